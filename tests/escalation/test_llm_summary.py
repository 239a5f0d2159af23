"""The handover summary the model writes right after the handoff is queued, in place of the
fallback; a bot's own summary still wins."""

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from escalation import llm
from escalation.asgi import application
from escalation.handoff import handoff_claim
from escalation.models import Handoff
from escalation.tasks import chat_turn_respond
from escalation.webchat.chat import chat_customer, chat_message_send
from tests.conftest import BotClient
from tests.support.factories import HandoffFactory, UserFactory, console_agent
from tests.support.openai_server import (
    Answer,
    ScriptedModel,
    Status,
    calling,
    completion,
    tool_call,
)

pytestmark = [pytest.mark.usefixtures("scope")]

LOST_PARCEL = (
    "My parcel, order 5521, never arrived: I have been waiting two weeks. I don't want a "
    "replacement any more. Please refund the 120 EUR to my card."
)
WRITTEN = (
    "Order 5521 lost in transit after two weeks; the customer no longer wants a replacement "
    "and asks for a 120 EUR refund to their card. Lookup: lost. Credit of 120 EUR blocked "
    "(limit 50). Open: the refund."
)


def the_shop_model(request: dict[str, Any]) -> Answer:
    """Looks the order up, then asks for the credit; writes the summary when asked to."""
    if "tools" not in request:
        return completion(WRITTEN)
    if request["messages"][-1]["role"] == "user":
        return calling(tool_call("lookup_order", {"order": "5521"}))
    return calling(tool_call("issue_credit", {"amount": 120, "currency": "EUR"}, "call_2"))


def lost_parcel_handed_off(capture: Any) -> tuple[Handoff, list[Any]]:
    user = UserFactory(username="maria", first_name="Maria", last_name="Gomez")
    user.save()
    with capture() as callbacks:
        message, _ = chat_message_send(customer=chat_customer(user=user), text=LOST_PARCEL)
        assert chat_turn_respond.apply(args=[message.pk]).get() == "handed off"
    return Handoff.objects.get(), callbacks


def summary_requests(model: ScriptedModel) -> list[dict[str, Any]]:
    return [request for request in model.requests if "tools" not in request]


@pytest.mark.django_db
def test_the_handoff_is_queued_with_the_fallback_and_the_model_writes_it_after(
    llm_server: ScriptedModel, django_capture_on_commit_callbacks: Any, eager_celery: None
) -> None:
    llm_server.responder = the_shop_model
    handoff, after_commit = lost_parcel_handed_off(django_capture_on_commit_callbacks)

    assert handoff.status == Handoff.Status.QUEUED
    assert handoff.summary_source == Handoff.SummarySource.EXTRACT
    assert "120 EUR" in handoff.summary
    assert summary_requests(llm_server) == []  # nothing asked before the handoff committed

    for callback in after_commit:
        callback()

    handoff.refresh_from_db()
    assert (handoff.summary, handoff.summary_source) == (WRITTEN, Handoff.SummarySource.AI)


@pytest.mark.django_db
def test_the_model_writes_from_the_masked_transcript_and_the_actions_with_results(
    llm_server: ScriptedModel,
) -> None:
    llm_server.responder = the_shop_model
    user = UserFactory(username="maria")
    user.save()
    message, _ = chat_message_send(
        customer=chat_customer(user=user), text=LOST_PARCEL + " Card 4242 4242 4242 4242."
    )
    chat_turn_respond.apply(args=[message.pk])

    assert llm.handoff_summary_write(handoff_id=Handoff.objects.get().pk)

    [request] = summary_requests(llm_server)
    prompt = request["messages"][-1]["content"]
    assert "customer: My parcel, order 5521, never arrived" in prompt
    assert "4242 4242 4242 4242" not in prompt
    assert "lookup_order order=5521 — succeeded: lost: order 5521 has been marked lost" in prompt
    assert "issue_credit amount=120 currency=EUR — blocked: blocked by rule" in prompt


@pytest.mark.django_db
def test_a_second_delivery_of_the_task_changes_nothing(llm_server: ScriptedModel) -> None:
    llm_server.script = [completion(WRITTEN), completion("Another summary.")]
    handoff = HandoffFactory(summary_source=Handoff.SummarySource.EXTRACT)

    assert llm.handoff_summary_write(handoff_id=handoff.pk)
    assert not llm.handoff_summary_write(handoff_id=handoff.pk)

    handoff.refresh_from_db()
    assert handoff.summary == WRITTEN
    assert len(llm_server.requests) == 1


@pytest.mark.django_db
def test_when_the_model_fails_the_fallback_stays(llm_server: ScriptedModel) -> None:
    llm_server.script = [Status(500), Status(500)]
    handoff = HandoffFactory(summary="The fallback.", summary_source=Handoff.SummarySource.EXTRACT)

    assert not llm.handoff_summary_write(handoff_id=handoff.pk)

    handoff.refresh_from_db()
    assert (handoff.summary, handoff.summary_source) == ("The fallback.", "extract")


@pytest.mark.django_db
def test_a_long_summary_is_cut_to_about_eighty_words(llm_server: ScriptedModel) -> None:
    llm_server.script = [completion(" ".join(["word"] * 200))]
    handoff = HandoffFactory(summary_source=Handoff.SummarySource.EXTRACT)

    llm.handoff_summary_write(handoff_id=handoff.pk)

    handoff.refresh_from_db()
    assert len(handoff.summary.split()) == llm.SUMMARY_MAX_WORDS


@pytest.mark.django_db
def test_a_bots_own_summary_wins_and_the_model_is_not_asked(
    llm_server: ScriptedModel, bot_client: BotClient, django_capture_on_commit_callbacks: Any
) -> None:
    conversation = bot_client.open_conversation()
    with django_capture_on_commit_callbacks(execute=True):
        response = bot_client.post(
            f"/conversations/{conversation['id']}/handoff",
            {"external_id": "h-1", "summary": "Wants a refund of 120 EUR for order 5521."},
        )
    assert response.status_code == 201

    handoff = Handoff.objects.get()
    assert handoff.summary == "Wants a refund of 120 EUR for order 5521."
    assert handoff.summary_source == Handoff.SummarySource.BOT
    assert llm_server.requests == []


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_case_screen_swaps_in_the_written_summary_live(
    llm_server: ScriptedModel,
) -> None:
    llm_server.script = [completion(WRITTEN)]
    agent = await sync_to_async(console_agent)()
    handoff = await sync_to_async(HandoffFactory)(
        summary="The fallback.", summary_source=Handoff.SummarySource.EXTRACT
    )
    await sync_to_async(handoff_claim)(handoff=handoff, agent=agent)
    await sync_to_async(agent.save)()
    client = Client()
    await sync_to_async(client.force_login)(agent)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    communicator = WebsocketCommunicator(
        application,
        f"/ws/console/cases/{handoff.pk}/",
        headers=[
            (b"host", b"testserver"),
            (b"origin", b"http://testserver"),
            (b"cookie", cookie.encode()),
        ],
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_from(timeout=5)  # who else is viewing

    await sync_to_async(llm.handoff_summary_write)(handoff_id=handoff.pk)

    frame = await communicator.receive_from(timeout=5)
    assert 'id="case-summary"' in frame and 'hx-swap-oob="true"' in frame
    assert "Order 5521 lost in transit after two weeks" in frame
    assert "from the customer" not in frame  # no longer the fallback's label
    await communicator.disconnect()


@pytest.mark.django_db
def test_the_case_page_marks_the_fallback_as_drawn_from_the_customers_messages() -> None:
    agent = console_agent()
    agent.save()
    handoff = HandoffFactory(summary="Order 5521 lost.", summary_source="extract")
    client = Client()
    client.force_login(agent)
    page = client.get(f"/console/cases/{handoff.pk}/").content.decode()
    assert "(from the customer's messages)" in page.replace("&#x27;", "'")
