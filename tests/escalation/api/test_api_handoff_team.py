import pytest

from escalation.models import Handoff, TriggerPolicy
from tests.conftest import BotClient
from tests.support.factories import TeamFactory


def test_handoff_goes_to_the_team_the_bot_names(bot_client: BotClient) -> None:
    billing = TeamFactory(slug="billing")
    cid = bot_client.open_conversation()["id"]

    response = bot_client.post(
        f"/conversations/{cid}/handoff", {"external_id": "h1", "team": "billing"}
    )

    assert response.status_code == 201
    assert Handoff.objects.get(pk=response.json()["id"]).team == billing


def test_handoff_naming_no_team_goes_to_the_default_team(bot_client: BotClient) -> None:
    default = TeamFactory(slug="shipping", is_default=True)
    cid = bot_client.open_conversation()["id"]

    response = bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"})

    assert Handoff.objects.get(pk=response.json()["id"]).team == default


def test_unknown_team_is_refused(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]

    response = bot_client.post(
        f"/conversations/{cid}/handoff", {"external_id": "h1", "team": "nope"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert not Handoff.objects.exists()


@pytest.mark.usefixtures("scope")
def test_a_blocked_action_routes_by_the_policys_rule(bot_client: BotClient) -> None:
    TeamFactory(slug="general", is_default=True)
    billing = TeamFactory(slug="billing")
    rules = TriggerPolicy.current().routing_rules
    rules.create(position=1, trigger_kind="out_of_scope", action_name="issue_credit", team=billing)
    rules.create(position=2, trigger_kind="out_of_scope", team=TeamFactory(slug="escalations"))
    cid = bot_client.open_conversation()["id"]

    response = bot_client.post(
        f"/conversations/{cid}/actions",
        {"external_id": "a1", "name": "issue_credit", "params": {"amount": 80}},
    )

    assert response.json()["decision"]["escalate"] is True
    assert Handoff.objects.get(conversation_id=cid).team == billing


def test_the_first_matching_rule_wins(bot_client: BotClient) -> None:
    shipping = TeamFactory(slug="shipping")
    rules = TriggerPolicy.current().routing_rules
    rules.create(position=2, trigger_kind="human_requested", team=TeamFactory(slug="vip"))
    rules.create(position=1, trigger_kind="human_requested", team=shipping)
    cid = bot_client.open_conversation()["id"]

    bot_client.post(
        f"/conversations/{cid}/messages",
        {"external_id": "m1", "sender": "customer", "text": "Can I talk to a real person?"},
    )

    assert Handoff.objects.get(conversation_id=cid).team == shipping


@pytest.mark.usefixtures("scope")
def test_the_team_the_bot_names_beats_the_rules(bot_client: BotClient) -> None:
    TeamFactory(slug="vip")
    TriggerPolicy.current().routing_rules.create(
        action_name="lookup_order", team=TeamFactory(slug="shipping")
    )
    named, unnamed = (bot_client.open_conversation(f"c-{n}")["id"] for n in (1, 2))
    for cid in (named, unnamed):
        bot_client.post(
            f"/conversations/{cid}/actions",
            {"external_id": "a1", "name": "lookup_order", "params": {"order": "1234"}},
        )

    bot_client.post(f"/conversations/{named}/handoff", {"external_id": "h", "team": "vip"})
    bot_client.post(f"/conversations/{unnamed}/handoff", {"external_id": "h"})

    assert Handoff.objects.get(conversation_id=named).team.slug == "vip"
    assert Handoff.objects.get(conversation_id=unnamed).team.slug == "shipping"


def test_no_rule_matching_falls_back_to_the_default_team(bot_client: BotClient) -> None:
    default = TeamFactory(slug="general", is_default=True)
    TriggerPolicy.current().routing_rules.create(
        trigger_kind="distress", team=TeamFactory(slug="care")
    )
    cid = bot_client.open_conversation()["id"]

    bot_client.post(
        f"/conversations/{cid}/messages",
        {"external_id": "m1", "sender": "customer", "text": "Can I talk to a real person?"},
    )

    assert Handoff.objects.get(conversation_id=cid).team == default


def test_a_rule_added_after_a_handoff_routes_the_next_one(bot_client: BotClient) -> None:
    """The rules and the default team are cached (team_routing.routing_current): saving a rule
    or a team drops them."""

    def escalate(external_id: str) -> Handoff:
        cid = bot_client.open_conversation(external_id)["id"]
        bot_client.post(
            f"/conversations/{cid}/messages",
            {"external_id": "m1", "sender": "customer", "text": "Can I talk to a real person?"},
        )
        return Handoff.objects.get(conversation_id=cid)

    assert escalate("c-1").team is None
    default = TeamFactory(slug="general", is_default=True)
    assert escalate("c-2").team == default
    vip = TeamFactory(slug="vip")
    TriggerPolicy.current().routing_rules.create(trigger_kind="human_requested", team=vip)
    assert escalate("c-3").team == vip
