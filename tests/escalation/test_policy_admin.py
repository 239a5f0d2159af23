import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from escalation import transcript
from escalation.models import PolicyChange, RoutingRule, TriggerPolicy
from tests.support.factories import ConversationFactory, TeamFactory

FORM = {
    "low_confidence_threshold": "0.5",
    "distress_threshold": "0.5",
    "repeat_similarity_threshold": "0.5",
    "reask_limit": "2",
    "capacity_adjustment": "0.15",
    "max_wait_seconds": "300",
    "max_held_soft_signals": "3",
    "handback_grace_turns": "3",
    "handback_grace_minutes": "10",
    "default_handle_seconds": "600",
    "routing_rules-TOTAL_FORMS": "0",
    "routing_rules-INITIAL_FORMS": "0",
    "routing_rules-MIN_NUM_FORMS": "0",
    "routing_rules-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def supervisor(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("sam", "sam@example.com", "pw"))
    return client


def change_url() -> str:
    return reverse("admin:escalation_triggerpolicy_change", args=[TriggerPolicy.current().pk])


def ai_turn(confidence: float) -> None:
    conversation = ConversationFactory()
    transcript.message_add(conversation=conversation, sender="customer", text="Clause 14b?")
    transcript.message_add(
        conversation=conversation, sender="ai", text="Perhaps.", confidence=confidence
    )


def test_what_if_compares_a_proposed_policy_without_saving(supervisor: Client) -> None:
    ai_turn(0.45)
    ai_turn(0.9)

    response = supervisor.post(
        change_url(),
        FORM | {"low_confidence_threshold": "0.95", "_whatif": "1", "whatif_days": "7"},
    )

    assert response.status_code == 200
    comparison = response.context["whatif"]
    assert comparison.current.conversations == 2
    assert comparison.current.by_trigger["low_confidence"] == 1
    assert comparison.proposed.by_trigger["low_confidence"] == 2
    assert b'id="whatif-proposed">2<' in response.content
    assert TriggerPolicy.current().low_confidence_threshold == 0.5
    assert not PolicyChange.objects.exists()


def test_what_if_names_the_triggers_and_says_rows_need_not_add_up(supervisor: Client) -> None:
    ai_turn(0.45)

    response = supervisor.post(change_url(), FORM | {"_whatif": "1", "whatif_days": "7"})

    page = response.content.decode()
    assert "<tr><td>Low confidence</td>" in page
    assert "<td>low_confidence</td>" not in page
    assert "One conversation can escalate on several triggers at once" in page


@pytest.mark.parametrize("asked,replayed", [("365", 90), ("0", 1)])
def test_what_if_says_when_it_clamped_the_days(
    supervisor: Client, asked: str, replayed: int
) -> None:
    response = supervisor.post(change_url(), FORM | {"_whatif": "1", "whatif_days": asked})

    assert response.context["whatif"].days == replayed
    assert f"asked for {asked}, replayed {replayed}" in response.content.decode()


def test_what_if_says_nothing_of_clamping_days_in_range(supervisor: Client) -> None:
    response = supervisor.post(change_url(), FORM | {"_whatif": "1", "whatif_days": "30"})

    assert b'id="whatif-days-clamped"' not in response.content


def test_saving_keeps_who_changed_what(supervisor: Client) -> None:
    response = supervisor.post(change_url(), FORM | {"distress_threshold": "0.7", "_save": "1"})

    assert response.status_code == 302
    assert TriggerPolicy.current().distress_threshold == 0.7
    change = PolicyChange.objects.get()
    assert change.changed_by.username == "sam"
    assert change.changes == {"distress_threshold": [0.5, 0.7]}


@pytest.mark.parametrize(
    "field,value",
    [
        ("low_confidence_threshold", "1.5"),
        ("distress_threshold", "-0.1"),
        ("max_wait_seconds", "-5"),
    ],
)
def test_out_of_range_values_are_refused(supervisor: Client, field: str, value: str) -> None:
    response = supervisor.post(change_url(), FORM | {field: value, "_save": "1"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not PolicyChange.objects.exists()


def test_an_agent_cannot_open_the_policy(db: None) -> None:
    client = Client()
    client.force_login(User.objects.create_user("ana", password="pw"))
    response = client.get(change_url())
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def one_rule(team_pk: int, **fields: str) -> dict[str, str]:
    rule = {"position": "0", "trigger_kind": "", "action_name": "", "team": str(team_pk)} | fields
    return {"routing_rules-TOTAL_FORMS": "1"} | {
        f"routing_rules-0-{name}": value for name, value in rule.items()
    }


def test_supervisor_sets_a_routing_rule(supervisor: Client) -> None:
    billing = TeamFactory(slug="billing")
    form = FORM | {"_save": "1"}

    response = supervisor.post(
        change_url(), form | one_rule(billing.pk, action_name="issue_credit")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = RoutingRule.objects.get()
    assert (rule.action_name, rule.team) == ("issue_credit", billing)
    assert PolicyChange.objects.get().changes == {"routing_rules": [[], [str(rule)]]}


def test_a_routing_rule_edit_alone_is_a_policy_change(supervisor: Client) -> None:
    billing, shipping = TeamFactory(slug="billing"), TeamFactory(slug="shipping")
    rule = RoutingRule.objects.create(trigger_kind="distress", team=billing)
    before = str(rule)
    edit = one_rule(shipping.pk, trigger_kind="distress") | {
        "routing_rules-INITIAL_FORMS": "1",
        "routing_rules-0-id": str(rule.pk),
        "routing_rules-0-policy": "1",
    }

    response = supervisor.post(change_url(), FORM | {"_save": "1"} | edit)

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule.refresh_from_db()
    assert rule.team == shipping
    change = PolicyChange.objects.get()
    assert change.changes == {"routing_rules": [[before], [str(rule)]]}
    listing = supervisor.get(reverse("admin:escalation_policychange_changelist")).content.decode()
    assert f"routing_rules: [{before}] ⇒ [{rule!s}]" in listing


def test_a_rule_that_matches_nothing_is_refused(supervisor: Client) -> None:
    billing = TeamFactory(slug="billing")

    response = supervisor.post(change_url(), FORM | {"_save": "1"} | one_rule(billing.pk))

    assert response.status_code == 200
    assert b"A routing rule names a trigger, an action, or both." in response.content
    assert not RoutingRule.objects.exists()


def test_preview_keeps_the_routing_rules_being_edited(supervisor: Client) -> None:
    billing = TeamFactory(slug="billing")
    form = FORM | {"_whatif": "1"} | one_rule(billing.pk, trigger_kind="distress")

    response = supervisor.post(change_url(), form)

    assert response.status_code == 200
    assert b'name="routing_rules-TOTAL_FORMS"' in response.content
    assert b'<option value="distress" selected>' in response.content
    assert not RoutingRule.objects.exists()
