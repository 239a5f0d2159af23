"""Customer names and words are shown as text on every page and in every email: markup a
customer (or a bot) sends never runs."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalation.handoff import handoff_create
from escalation.models import Handoff, Message
from escalation.transcript import message_add
from escalation.webchat.chat import chat_customer, chat_message_send
from surveys.links import survey_send
from tests.agents_console.conftest import logged_in
from tests.support.factories import ConversationFactory, UserFactory, console_agent

pytestmark = pytest.mark.django_db

NAME = "<script>alert('name')</script>"
TEXT = "<img src=x onerror=alert('text')>"


def assert_shown_as_text(body: str) -> None:
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in body
    assert NAME not in body
    assert "<img src=x" not in body


@pytest.fixture
def handoff() -> Handoff:
    conversation = ConversationFactory(customer__name=NAME)
    message_add(conversation=conversation, sender=Message.Sender.CUSTOMER, text=TEXT)
    handoff, _ = handoff_create(conversation=conversation, summary=TEXT, reason=TEXT)
    return handoff


@pytest.fixture
def agent_client() -> Client:
    return logged_in(console_agent(username="ana"))


def test_console_queue(agent_client: Client, handoff: Handoff) -> None:
    assert_shown_as_text(agent_client.get("/console/").content.decode())


def test_case_screen(agent_client: Client, handoff: Handoff) -> None:
    body = agent_client.get(f"/console/cases/{handoff.pk}/").content.decode()
    assert_shown_as_text(body)
    assert "&lt;img src=x onerror=alert(&#x27;text&#x27;)&gt;" in body


def test_admin_customer_list_and_handoff(handoff: Handoff) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("sam", "sam@example.com", "pw"))
    assert_shown_as_text(
        client.get(reverse("admin:escalation_customer_changelist")).content.decode()
    )
    assert_shown_as_text(
        client.get(reverse("admin:escalation_handoff_change", args=[handoff.pk])).content.decode()
    )


def test_web_chat(scope: None) -> None:
    user: Any = UserFactory(username="mallory", first_name=NAME, last_name="")
    user.save()
    chat_message_send(customer=chat_customer(user=user), text=TEXT)
    client = Client()
    client.force_login(user)

    body = client.get("/chat/").content.decode()

    assert_shown_as_text(body)
    assert "&lt;img src=x onerror=alert(&#x27;text&#x27;)&gt;" in body


def test_survey_email(handoff: Handoff) -> None:
    Handoff.objects.filter(pk=handoff.pk).update(
        status=Handoff.Status.RESOLVED, resolved_at=timezone.now()
    )

    survey_send(handoff=handoff)

    html, _ = mail.outbox[0].alternatives[0]
    assert_shown_as_text(str(html))
