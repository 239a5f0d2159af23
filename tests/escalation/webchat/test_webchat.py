import re
from typing import Any

import pytest
from django.test import Client

from escalation.handoff import handoff_claim, handoff_create, handoff_resolve
from escalation.models import AIAction, Conversation, Handoff, Message
from escalation.tasks import chat_turn_respond
from escalation.transcript import message_add
from escalation.webchat.assistant import AssistantUnavailable, Draft
from escalation.webchat.chat import (
    UNAVAILABLE_NOTICE,
    chat_customer,
    chat_message_send,
    chat_turn_answer,
)
from escalation.webchat.tools import ToolGate
from tests.support.factories import UserFactory, agent_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scope")]


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


class FixedAssistant:
    """Calls the tools it is given, then drafts the same reply."""

    def __init__(
        self, draft: Draft, actions: list[tuple[str, dict[str, Any]]] | None = None
    ) -> None:
        self.draft = draft
        self.actions = actions or []
        self.calls = 0
        self.handback_notes: list[str] = []

    def draft_reply(
        self, *, conversation: Conversation, tools: ToolGate, handback_note: str = ""
    ) -> Draft:
        self.calls += 1
        self.handback_notes.append(handback_note)
        for name, params in self.actions:
            tools.call(name, params)
        return self.draft


def test_the_chat_needs_a_login() -> None:
    response = Client().get("/chat/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_agents_are_sent_to_the_console_not_the_chat() -> None:
    client = Client()
    agent = agent_user()
    agent.save()
    client.force_login(agent)
    assert client.get("/chat/").status_code == 403


def test_the_page_shows_the_identity_verified_by_login(maria_client: Client) -> None:
    response = maria_client.get("/chat/")
    assert response.status_code == 200
    assert "Signed in as <strong>Maria Gomez</strong>" in response.content.decode()
    assert "verified by login" in response.content.decode()


def test_the_customer_is_verified_by_the_login(maria: Any) -> None:
    customer = chat_customer(user=maria)
    assert (customer.is_verified, customer.verification_method) == (True, "login")
    assert chat_customer(user=maria) == customer


def test_posting_stores_the_message_and_the_assistant_answers(
    maria_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = maria_client.post("/chat/messages/", {"text": "Where is my order 1234?"})
    assert response.status_code == 302
    message = Message.objects.get(sender="customer")
    assert message.text == "Where is my order 1234?"
    assert message.conversation.channel == "web-chat"
    # The turn is answered by a task queued after commit.
    assert [c for c in callbacks if "chat_turn_respond" in repr(c)]

    chat_turn_respond.apply(args=[message.pk])

    reply = Message.objects.get(sender="ai")
    assert "delayed" in reply.text
    assert reply.confidence == pytest.approx(0.9)


def test_reloading_keeps_the_whole_thread(maria: Any, maria_client: Client) -> None:
    message, _ = chat_message_send(customer=chat_customer(user=maria), text="Hello there")
    chat_turn_respond.apply(args=[message.pk])
    page = maria_client.get("/chat/").content.decode()
    assert "Hello there" in page
    assert "How can I help you today?" in page


def test_an_htmx_post_returns_a_fresh_composer(maria: Any, maria_client: Client) -> None:
    chat_message_send(customer=chat_customer(user=maria), text="Hello")
    response = maria_client.post(
        "/chat/messages/", {"text": "Hi again"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="composer"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_the_turn_is_answered_once(maria: Any) -> None:
    message, _ = chat_message_send(customer=chat_customer(user=maria), text="Where is order 1042?")
    chat_turn_respond.apply(args=[message.pk])
    assert chat_turn_respond.apply(args=[message.pk]).get() == "already answered"
    assert Message.objects.filter(sender="ai").count() == 1


def test_the_assistant_is_not_asked_once_a_human_has_the_case(maria: Any) -> None:
    message, _ = chat_message_send(customer=chat_customer(user=maria), text="Anyone?")
    handoff_create(conversation=message.conversation, reason="The customer asked for a person.")
    assistant = FixedAssistant(Draft(text="Hi", confidence=0.9))

    assert chat_turn_answer(message=message, assistant=assistant) == "with a human"
    assert assistant.calls == 0


def test_a_blocked_credit_hands_off_instead_of_answering(maria: Any) -> None:
    """The scope check blocks the action before it runs: the customer is not told it was done."""
    message, _ = chat_message_send(customer=chat_customer(user=maria), text="80 EUR back please")
    assistant = FixedAssistant(
        Draft(text="Done!", confidence=0.9), actions=[("issue_credit", {"amount": 80})]
    )

    assert chat_turn_answer(message=message, assistant=assistant) == "handed off"
    assert not Message.objects.filter(sender="ai").exists()
    assert Handoff.objects.get().status == Handoff.Status.QUEUED
    assert AIAction.objects.get().detail == ""  # never performed


def test_a_credit_over_the_limit_hands_over_the_lookup_and_the_blocked_credit(
    maria: Any,
) -> None:
    text = "I want a refund of 80 EUR for order 1234"
    message, _ = chat_message_send(customer=chat_customer(user=maria), text=text)
    chat_turn_respond.apply(args=[message.pk])
    handoff = Handoff.objects.get(conversation=message.conversation)
    assert "refund of 80 EUR for order 1234" in handoff.summary
    assert [(a["name"], a["outcome"]) for a in handoff.actions] == [
        ("lookup_order", "succeeded"),
        ("issue_credit", "blocked"),
    ]
    assert handoff.actions[0]["detail"].startswith("delayed")


def test_an_assistant_that_cannot_answer_hands_off_with_an_honest_line(maria: Any) -> None:
    message, _ = chat_message_send(customer=chat_customer(user=maria), text="Where is 1234?")

    class Unavailable:
        def draft_reply(
            self, *, conversation: Conversation, tools: ToolGate, handback_note: str = ""
        ) -> Draft:
            raise AssistantUnavailable("the model did not answer in time")

    assert chat_turn_answer(message=message, assistant=Unavailable()) == "handed off"
    handoff = Handoff.objects.get()
    assert handoff.reason == "The assistant could not answer: the model did not answer in time"
    assert list(Message.objects.filter(sender="system").values_list("text", flat=True)) == [
        UNAVAILABLE_NOTICE,
        "Handed off to a human agent.",
    ]


def test_the_queue_status_shows_the_notice_and_place(maria: Any, maria_client: Client) -> None:
    message, _ = chat_message_send(customer=chat_customer(user=maria), text="A person, please")
    assert chat_turn_respond.apply(args=[message.pk]).get() == "handed off"
    page = maria_client.get("/chat/status/").content.decode()
    assert "No one from our support team is available right now" in page
    assert 'id="queue-position">1<' in page
    assert 'hx-trigger="every 10s"' in page


def test_leaving_an_email_keeps_the_case_queued(maria: Any, maria_client: Client) -> None:
    message, _ = chat_message_send(customer=chat_customer(user=maria), text="A person, please")
    chat_turn_respond.apply(args=[message.pk])
    maria_client.post("/chat/contact/", {"email": "maria@example.com"})
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.QUEUED
    assert conversation.customer.email == "maria@example.com"
    assert conversation.messages.filter(
        sender="system", text__contains="maria@example.com"
    ).exists()


def test_the_agent_joining_and_replying_shows_in_the_thread(
    maria: Any, maria_client: Client
) -> None:
    message, _ = chat_message_send(customer=chat_customer(user=maria), text="A person, please")
    chat_turn_respond.apply(args=[message.pk])
    handoff = Handoff.objects.get(conversation=message.conversation)  # the first ask handed off
    ana = agent_user(first_name="Ana", last_name="Silva")
    handoff_claim(handoff=handoff, agent=ana)
    message_add(conversation=message.conversation, sender="agent", text="Hi Maria", agent=ana)
    page = maria_client.get("/chat/").content.decode()
    assert "Ana Silva from support has joined" in page
    assert "Ana Silva (support)" in page


@pytest.mark.parametrize(
    "wording,kind",
    [
        ("Can I speak to a real person please?", "human_requested"),
        ("I want a refund of 80 EUR for order 1234", "out_of_scope"),
        ("Can my parrot join the loyalty programme?", "low_confidence"),
        ("This is RIDICULOUS, where is order 1234?? Useless service, I'm fed up!!!", "distress"),
    ],
)
def test_the_demo_reaches_each_trigger_from_customer_wording(
    maria: Any, wording: str, kind: str
) -> None:
    from escalation.models import AgentProfile

    AgentProfile.objects.create(user=agent_user(), presence=AgentProfile.Presence.AVAILABLE)
    message, _ = chat_message_send(customer=chat_customer(user=maria), text=wording)

    chat_turn_respond.apply(args=[message.pk])

    handoff = Handoff.objects.get(conversation=message.conversation)
    assert kind in {t["kind"] for t in handoff.triggers if t["fired"]}
    assert not Message.objects.filter(conversation=message.conversation, sender="ai").exists()


def test_the_demo_hands_off_when_the_customer_keeps_re_asking(maria: Any) -> None:
    from escalation.models import AgentProfile

    AgentProfile.objects.create(user=agent_user(), presence=AgentProfile.Presence.AVAILABLE)
    customer = chat_customer(user=maria)
    first, _ = chat_message_send(customer=customer, text="Where is my order 7788?")
    assert chat_turn_respond.apply(args=[first.pk]).get() == "answered"

    again, _ = chat_message_send(customer=customer, text="Where is order 7788?")

    # The assistant knows it is answering the same question again and says so in its
    # confidence; with an agent free, that hands off on the second ask.
    assert chat_turn_respond.apply(args=[again.pk]).get() == "handed off"
    handoff = Handoff.objects.get(conversation=again.conversation)
    assert {t["kind"] for t in handoff.triggers if t["fired"]} & {"low_confidence", "distress"}


def resolved_with_survey(maria: Any) -> Handoff:
    from surveys.links import survey_send

    message, _ = chat_message_send(customer=chat_customer(user=maria), text="A person, please")
    chat_turn_respond.apply(args=[message.pk])
    handoff = Handoff.objects.get(conversation=message.conversation)
    ana = agent_user(first_name="Ana", last_name="Silva")
    handoff_claim(handoff=handoff, agent=ana)
    handoff_resolve(handoff=handoff, agent=ana, resolution=Handoff.Resolution.RESOLVED)
    survey_send(handoff=handoff)
    return handoff


def test_the_chat_asks_with_one_tap_and_shows_no_signed_link(
    maria: Any, maria_client: Client
) -> None:
    """The signed link is for the email; in the chat the customer answers with one tap."""
    resolved_with_survey(maria)

    page = maria_client.get("/chat/").content.decode()

    assert re.search(r'href="[^"]*/survey/[^"]+"', page) is None
    assert 'name="did_help" value="yes"' in page


def test_a_resolved_chat_shows_the_survey_invitation_and_the_resolution_once(
    maria: Any, maria_client: Client
) -> None:
    resolved_with_survey(maria)

    page = maria_client.get("/chat/").content.decode()

    assert page.count("Did the handover help?") == 1
    assert page.count("The conversation was marked resolved.") == 1
    assert "This conversation is closed" in page


def test_after_a_bounce_the_customer_is_told_once_that_a_person_will_join(
    maria: Any, maria_client: Client
) -> None:
    """Handed off, handed back, handed off again: the queue box says it once, live."""
    from escalation.handoff import handoff_hand_back
    from escalation.models import AgentProfile, TriggerPolicy

    policy = TriggerPolicy.current()
    policy.handback_grace_turns = policy.handback_grace_minutes = 0
    policy.save()
    ana = agent_user(first_name="Ana", last_name="Silva")
    AgentProfile.objects.create(user=ana, presence=AgentProfile.Presence.AVAILABLE)
    customer = chat_customer(user=maria)
    first, _ = chat_message_send(customer=customer, text="Can I speak to a real person please?")
    chat_turn_respond.apply(args=[first.pk])
    handoff = Handoff.objects.get()
    handoff_claim(handoff=handoff, agent=ana)
    handoff_hand_back(handoff=handoff, agent=ana, note="Explained the programme.")
    again, _ = chat_message_send(customer=customer, text="Can my parrot join the programme?")
    assert chat_turn_respond.apply(args=[again.pk]).get() == "handed off"

    page = maria_client.get("/chat/").content.decode()

    assert page.count("bringing in a person") + page.count("will join") == 1
