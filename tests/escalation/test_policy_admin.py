import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from escalation import conversations
from escalation.models import PolicyChange, TriggerPolicy
from tests.factories import ConversationFactory

FORM = {
    "low_confidence_threshold": "0.5",
    "distress_threshold": "0.5",
    "repeat_similarity_threshold": "0.5",
    "reask_limit": "2",
    "capacity_adjustment": "0.15",
    "max_wait_seconds": "300",
    "max_held_soft_signals": "3",
    "default_handle_seconds": "600",
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
    conversations.message_add(conversation=conversation, sender="customer", text="Clause 14b?")
    conversations.message_add(
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
