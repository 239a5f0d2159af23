"""Typing signals over the sockets, both ways, and the case controls that change live."""

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from escalation.handoff import handoff_claim, handoff_create
from escalation.models import Handoff, Message
from escalation.webchat.chat import chat_customer, chat_message_send
from tests.agents_console.test_consumers import connect as console_connect
from tests.support.factories import UserFactory, console_agent

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

TYPING = json.dumps({"type": "typing"})


def chat_case(*, claimed: bool) -> tuple[Any, Any, Any, Handoff]:
    """Maria's web chat handed off; Ana holds it (or it waits); Ben is another agent."""
    maria = UserFactory(username="maria", first_name="Maria", last_name="Gomez")
    maria.save()
    message, _ = chat_message_send(customer=chat_customer(user=maria), text="Where is my order?")
    handoff, _ = handoff_create(conversation=message.conversation, reason="asked for a person")
    ana = console_agent(username="ana", first_name="Ana", last_name="Silva")
    ben = console_agent(username="ben", first_name="Ben", last_name="Okafor")
    if claimed:
        handoff_claim(handoff=handoff, agent=ana)
    return maria, ana, ben, handoff


async def drained(communicator: WebsocketCommunicator) -> WebsocketCommunicator:
    while not await communicator.receive_nothing(timeout=0.3):
        await communicator.receive_from()
    return communicator


async def on_case(user: Any, handoff: Handoff) -> WebsocketCommunicator:
    communicator = await console_connect(f"/ws/console/cases/{handoff.pk}/", user)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def in_chat(user: Any, handoff: Handoff) -> WebsocketCommunicator:
    from channels.routing import URLRouter

    from escalation.websocket_urls import websocket_urlpatterns

    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/chat/{handoff.conversation_id}/"
    )
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_an_agent_typing_shows_on_the_other_agents_screen_not_their_own() -> None:
    _, ana, ben, handoff = await sync_to_async(chat_case)(claimed=True)
    ana_screen, ben_screen = await on_case(ana, handoff), await on_case(ben, handoff)
    await drained(ana_screen)
    await drained(ben_screen)

    await ana_screen.send_to(text_data=TYPING)

    seen = await ben_screen.receive_from(timeout=5)
    assert 'id="agent-typing"' in seen and "Ana Silva is replying…" in seen
    assert await ana_screen.receive_nothing(timeout=0.5)
    await ana_screen.disconnect()
    await ben_screen.disconnect()


async def test_the_agent_holding_the_case_typing_reaches_the_customer() -> None:
    maria, ana, _, handoff = await sync_to_async(chat_case)(claimed=True)
    chat = await drained(await in_chat(maria, handoff))
    ana_screen = await drained(await on_case(ana, handoff))

    await ana_screen.send_to(text_data=TYPING)

    seen = await chat.receive_from(timeout=5)
    assert 'id="chat-typing"' in seen and "Ana is typing…" in seen
    await ana_screen.disconnect()
    await chat.disconnect()


async def test_an_agent_not_holding_the_case_typing_does_not_reach_the_customer() -> None:
    maria, _, ben, handoff = await sync_to_async(chat_case)(claimed=True)
    chat = await drained(await in_chat(maria, handoff))
    ben_screen = await drained(await on_case(ben, handoff))

    await ben_screen.send_to(text_data=TYPING)

    assert await chat.receive_nothing(timeout=1)
    await ben_screen.disconnect()
    await chat.disconnect()


async def test_the_customer_typing_reaches_the_case_screen() -> None:
    maria, ana, _, handoff = await sync_to_async(chat_case)(claimed=True)
    chat = await drained(await in_chat(maria, handoff))
    ana_screen = await drained(await on_case(ana, handoff))

    await chat.send_to(text_data=TYPING)

    seen = await ana_screen.receive_from(timeout=5)
    assert 'id="customer-typing"' in seen and "Maria is typing…" in seen
    await ana_screen.disconnect()
    await chat.disconnect()


async def test_typing_signals_are_passed_on_at_most_every_two_seconds() -> None:
    _, ana, ben, handoff = await sync_to_async(chat_case)(claimed=True)
    ana_screen, ben_screen = await on_case(ana, handoff), await on_case(ben, handoff)
    await drained(ana_screen)
    await drained(ben_screen)

    for _ in range(5):
        await ana_screen.send_to(text_data=TYPING)

    assert "Ana Silva is replying…" in await ben_screen.receive_from(timeout=5)
    assert await ben_screen.receive_nothing(timeout=1)
    await ana_screen.disconnect()
    await ben_screen.disconnect()


async def test_typing_stores_nothing() -> None:
    maria, ana, _, handoff = await sync_to_async(chat_case)(claimed=True)
    chat = await drained(await in_chat(maria, handoff))
    ana_screen = await drained(await on_case(ana, handoff))
    stored = await sync_to_async(Message.objects.count)()

    await chat.send_to(text_data=TYPING)
    await ana_screen.receive_from(timeout=5)
    await ana_screen.send_to(text_data=TYPING)
    await chat.receive_from(timeout=5)

    assert await sync_to_async(Message.objects.count)() == stored
    await ana_screen.disconnect()
    await chat.disconnect()


async def test_a_claim_takes_the_claim_button_off_every_other_screen_and_offers_a_take_over() -> (
    None
):
    _, ana, ben, handoff = await sync_to_async(chat_case)(claimed=False)
    ben_screen = await drained(await on_case(ben, handoff))

    await sync_to_async(handoff_claim)(handoff=handoff, agent=ana)

    received = [await ben_screen.receive_from(timeout=5)]
    while 'id="case-controls"' not in received[-1]:
        received.append(await ben_screen.receive_from(timeout=5))
    assert "Claim this case" not in received[-1]
    assert "Yes, take it over from Ana Silva" in received[-1]
    assert "with Ana Silva" in received[-1]  # the status, in the same message
    await ben_screen.disconnect()


async def test_the_agent_who_claimed_is_offered_no_take_over_of_their_own_case() -> None:
    _, ana, _, handoff = await sync_to_async(chat_case)(claimed=False)
    ana_screen = await drained(await on_case(ana, handoff))

    await sync_to_async(handoff_claim)(handoff=handoff, agent=ana)

    received = [await ana_screen.receive_from(timeout=5)]
    while 'id="case-controls"' not in received[-1]:
        received.append(await ana_screen.receive_from(timeout=5))
    assert "Claim this case" not in received[-1]
    assert "take it over" not in received[-1]
    await ana_screen.disconnect()
