"""Handing a conversation back to the AI: the agent's note is for the assistant, never for the
customer; the assistant's next unsure replies do not send it straight back (the grace)."""

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from escalation.handoff import handoff_claim, handoff_create, handoff_hand_back
from escalation.models import Conversation, Handoff, Message, TriggerPolicy
from escalation.tasks import chat_turn_respond, webhook_deliver
from escalation.webchat.assistant import Draft
from escalation.webchat.chat import chat_customer, chat_message_send, chat_turn_answer
from escalation.webchat.tools import ToolGate
from tests.conftest import BotClient
from tests.support.factories import UserFactory, console_agent
from tests.support.webhook_server import Endpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scope")]

NOTE = "Internal: chargeback pending on this card, do not offer a refund."


class RecordingAssistant:
    """Answers with one fixed draft and keeps the note each call was given."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.handback_notes: list[str] = []

    def draft_reply(
        self, *, conversation: Conversation, tools: ToolGate, handback_note: str = ""
    ) -> Draft:
        self.handback_notes.append(handback_note)
        return self.draft


@pytest.fixture
def maria() -> Any:
    user = UserFactory(username="maria", first_name="Maria", last_name="Gomez")
    user.save()
    return user


@pytest.fixture
def maria_client(maria: Any) -> Client:
    client = Client()
    client.force_login(maria)
    return client


@pytest.fixture
def ana() -> Any:
    """An agent available now (so a soft signal would hand off at once)."""
    agent = console_agent(first_name="Ana", last_name="Silva")
    agent.save()  # the factory sets the password without saving it; the session hash needs it
    return agent


def ana_client(ana: Any) -> Client:
    client = Client()
    client.force_login(ana)
    return client


def chat_turn(maria: Any, text: str) -> str:
    message, _ = chat_message_send(customer=chat_customer(user=maria), text=text)
    return str(chat_turn_respond.apply(args=[message.pk]).get())


def chat_handed_back(maria: Any, ana: Any) -> Conversation:
    """Maria's unsure question went to Ana, who handed it back from the console with a note."""
    assert chat_turn(maria, "Can my parrot join the loyalty programme?") == "handed off"
    handoff = Handoff.objects.get(status=Handoff.Status.QUEUED)
    handoff_claim(handoff=handoff, agent=ana)
    response = ana_client(ana).post(f"/console/cases/{handoff.pk}/hand-back/", {"note": NOTE})
    assert response.status_code == 302
    return Conversation.objects.get(pk=handoff.conversation_id)


def grace(*, turns: int, minutes: int) -> None:
    policy = TriggerPolicy.current()
    policy.handback_grace_turns, policy.handback_grace_minutes = turns, minutes
    policy.save()


# --- the note -----------------------------------------------------------------------------


def test_the_customer_chat_does_not_show_the_hand_back_note(
    maria: Any, maria_client: Client, ana: Any
) -> None:
    chat_handed_back(maria, ana)

    page = maria_client.get("/chat/").content.decode()

    assert "chargeback" not in page
    assert "back with the assistant" in page


def test_the_bot_transcript_does_not_carry_the_hand_back_note(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    agent = console_agent()
    handoff, _ = handoff_create(conversation=Conversation.objects.get(pk=cid))
    handoff_claim(handoff=handoff, agent=agent)
    handoff_hand_back(handoff=handoff, agent=agent, note=NOTE)

    transcript = bot_client.get(f"/conversations/{cid}").json()["messages"]

    assert transcript, "the hand-back is in the transcript"
    assert not [m for m in transcript if "chargeback" in m["text"]]


def test_the_bot_gets_the_note_in_the_hand_back_webhook(endpoint: Endpoint, ana: Any) -> None:
    from tests.support.factories import ConversationFactory

    conversation = ConversationFactory(callback_url=endpoint.url)
    handoff, _ = handoff_create(conversation=conversation)
    handoff_claim(handoff=handoff, agent=ana)
    handoff_hand_back(handoff=handoff, agent=ana, note=NOTE)
    delivery = conversation.webhook_deliveries.get(event="conversation.handed_back")

    assert webhook_deliver.apply(args=[delivery.pk]).get() == "delivered"

    body = json.loads(endpoint.received[-1].body)
    assert body["event"] == "conversation.handed_back"
    assert body["data"]["note"] == NOTE
    assert body["data"]["agent"]["name"] == "Ana Silva"
    assert body["data"]["handoff"]["status"] == "returned"


def test_the_built_in_assistant_gets_the_note_as_context(maria: Any, ana: Any) -> None:
    conversation = chat_handed_back(maria, ana)
    message, _ = chat_message_send(customer=chat_customer(user=maria), text="So, can he?")
    assistant = RecordingAssistant(Draft(text="Let me check.", confidence=0.9))

    chat_turn_answer(message=message, assistant=assistant)

    assert assistant.handback_notes == [NOTE]
    assert conversation.messages.filter(sender="ai", text="Let me check.").exists()


def test_the_demo_assistant_hands_the_note_on_to_the_next_agent(maria: Any, ana: Any) -> None:
    chat_handed_back(maria, ana)
    grace(turns=0, minutes=0)

    assert chat_turn(maria, "Can my hamster join it too?") == "handed off"

    handoff = Handoff.objects.get(status=Handoff.Status.QUEUED)
    assert NOTE in handoff.summary


# --- the grace ----------------------------------------------------------------------------


def test_an_unsure_reply_within_the_grace_does_not_send_the_case_back(maria: Any, ana: Any) -> None:
    """The round trip in the web chat: handed off on low confidence, handed back, and the
    assistant's next low-confidence reply (an agent is available) is answered, not queued."""
    conversation = chat_handed_back(maria, ana)

    assert chat_turn(maria, "Can my hamster join it too?") == "answered"

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.AI
    assert Handoff.objects.filter(conversation=conversation).count() == 1
    reply = conversation.messages.filter(sender="ai").last()
    assert reply is not None and reply.confidence is not None and reply.confidence < 0.5


def test_a_request_for_a_person_within_the_grace_hands_off(maria: Any, ana: Any) -> None:
    conversation = chat_handed_back(maria, ana)

    assert chat_turn(maria, "Can I speak to a real person please?") == "handed off"

    assert conversation.handoffs.filter(status=Handoff.Status.QUEUED).count() == 1


def test_soft_signals_hand_off_again_once_the_grace_turns_have_passed(maria: Any, ana: Any) -> None:
    chat_handed_back(maria, ana)
    grace(turns=1, minutes=0)

    assert chat_turn(maria, "Can my hamster join it too?") == "answered"
    assert chat_turn(maria, "And my goldfish?") == "handed off"


def test_soft_signals_hand_off_again_once_the_grace_minutes_have_passed(
    maria: Any, ana: Any
) -> None:
    chat_handed_back(maria, ana)
    grace(turns=0, minutes=10)

    assert chat_turn(maria, "Can my hamster join it too?") == "answered"
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert chat_turn(maria, "And my goldfish?") == "handed off"


def test_re_asks_from_before_the_hand_back_do_not_fire_once_the_grace_is_over(
    bot_client: BotClient,
) -> None:
    """The history the agent dealt with is not held against the AI afterwards."""
    console_agent()  # available: a soft signal would hand off at once
    grace(turns=0, minutes=0)
    cid = bot_client.open_conversation()["id"]

    def post(n: int, sender: str, text: str, **extra: Any) -> dict[str, Any]:
        body = {"external_id": f"m{n}", "sender": sender, "text": text} | extra
        response = bot_client.post(f"/conversations/{cid}/messages", body)
        assert response.status_code == 201, response.content
        return dict(response.json()["decision"])

    question = "Where is the refund for my order 1234?"
    for n in range(2):
        post(2 * n, "customer", question)
        post(2 * n + 1, "ai", "It is on its way.", confidence=0.9)
    assert post(4, "customer", question)["escalate"] is True  # two re-asks: distress
    handoff = Handoff.objects.get(conversation_id=cid)
    agent = console_agent()
    Handoff.objects.filter(pk=handoff.pk).update(status="claimed", claimed_by=agent)
    handoff_hand_back(handoff=handoff, agent=agent, note="Explained the refund date.")

    after = post(10, "customer", "Thanks. And can I change my delivery address?")

    assert after["escalate"] is False
    assert not any(t["fired"] for t in after["triggers"])


def test_a_new_handoff_ends_the_grace(maria: Any, ana: Any) -> None:
    conversation = chat_handed_back(maria, ana)

    chat_turn(maria, "Can I speak to a real person please?")

    conversation.refresh_from_db()
    assert conversation.handed_back_at is None
    assert Message.objects.filter(conversation=conversation, sender="system").exists()
