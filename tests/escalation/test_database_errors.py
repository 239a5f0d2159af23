"""The database fails in the middle of a state change: the transaction is rolled back whole,
the caller is told to retry (503 with Retry-After), and the retry is stored exactly once."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client

from escalation.models import Conversation, Handoff, Message, WebhookDelivery
from tests.agents_console.conftest import logged_in
from tests.conftest import BotClient
from tests.support.factories import HandoffFactory, console_agent


@contextmanager
def database_fails_on(fragment: str) -> Iterator[list[str]]:
    """The connection drops when a statement containing `fragment` is sent, as a server restart
    would do mid-transaction. Yields the statements that reached the database meanwhile."""
    sent: list[str] = []

    def fail(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if fragment in sql:
            raise OperationalError("server closed the connection unexpectedly")
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield sent


HUMAN = {"external_id": "m-1", "sender": "customer", "text": "I want to talk to a person"}


@pytest.mark.django_db(transaction=True)
def test_a_handoff_that_fails_midway_leaves_nothing_and_the_retry_is_stored_once(
    bot_client: BotClient,
) -> None:
    bot_client.bot.callback_url = "https://bot.example.com/hooks"
    bot_client.bot.save()
    cid = bot_client.open_conversation()["id"]

    with database_fails_on('INSERT INTO "escalation_webhookdelivery"') as sent:
        failed = bot_client.post(f"/conversations/{cid}/messages", HUMAN)

    assert any('INSERT INTO "escalation_handoff"' in sql for sql in sent)  # it got that far
    assert failed.status_code == 503
    assert failed["Retry-After"] == "5"
    assert failed.json()["error"]["code"] == "unavailable"
    assert not Message.objects.filter(conversation_id=cid).exists()
    assert not Handoff.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert Conversation.objects.get(pk=cid).status == Conversation.Status.AI

    retried = bot_client.post(f"/conversations/{cid}/messages", HUMAN)
    again = bot_client.post(f"/conversations/{cid}/messages", HUMAN)

    assert (retried.status_code, again.status_code) == (201, 200)
    assert retried.json()["decision"]["escalate"] is True
    assert Message.objects.filter(conversation_id=cid, sender="customer").count() == 1
    assert Handoff.objects.filter(conversation_id=cid).count() == 1
    assert WebhookDelivery.objects.filter(event="handoff.created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_claim_that_fails_midway_leaves_the_case_in_the_queue() -> None:
    handoff = HandoffFactory()
    agent = console_agent()
    client = logged_in(agent)

    with database_fails_on('INSERT INTO "agents_console_auditevent"'):
        response = client.post(f"/console/cases/{handoff.pk}/claim/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"try again" in response.content
    handoff.refresh_from_db()
    assert (handoff.status, handoff.claimed_by) == (Handoff.Status.QUEUED, None)
    assert not Message.objects.filter(conversation_id=handoff.conversation_id).exists()
    assert Conversation.objects.get(pk=handoff.conversation_id).status != "with_agent"


@pytest.mark.django_db
def test_a_console_page_without_its_database_is_a_readable_503() -> None:
    client: Client = logged_in(console_agent())

    with database_fails_on("escalation_handoff"):
        response = client.get("/console/")

    assert response.status_code == 503
    assert b"Back in a moment" in response.content
