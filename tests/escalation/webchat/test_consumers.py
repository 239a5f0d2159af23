from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from escalation.handoff import handoff_claim, handoff_create
from escalation.models import Conversation
from escalation.transcript import message_add
from escalation.webchat.chat import chat_customer, chat_message_send
from escalation.websocket_urls import websocket_urlpatterns
from tests.support.factories import UserFactory, agent_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("scope"),
]


def customer_chat(username: str) -> tuple[Any, Conversation]:
    user = UserFactory(username=username, first_name=username.title())
    user.save()
    message, _ = chat_message_send(customer=chat_customer(user=user), text="Where is order 5521?")
    return user, message.conversation


async def connect(user: Any, conversation_id: int) -> tuple[WebsocketCommunicator, bool]:
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/chat/{conversation_id}/"
    )
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_a_customer_socket_gets_its_own_thread_on_connect() -> None:
    maria, conversation = await database_sync_to_async(customer_chat)("maria")
    communicator, connected = await connect(maria, conversation.pk)
    assert connected
    state = await communicator.receive_from(timeout=5)
    assert 'id="thread"' in state
    assert "Where is order 5521?" in state
    await communicator.disconnect()


async def test_another_customers_socket_is_refused() -> None:
    _, conversation = await database_sync_to_async(customer_chat)("maria")
    tom, _ = await database_sync_to_async(customer_chat)("tom")
    _, connected = await connect(tom, conversation.pk)
    assert not connected


async def test_an_anonymous_socket_is_refused() -> None:
    _, conversation = await database_sync_to_async(customer_chat)("maria")
    _, connected = await connect(AnonymousUser(), conversation.pk)
    assert not connected


async def test_the_agent_joining_and_replying_reaches_the_customer() -> None:
    maria, conversation = await database_sync_to_async(customer_chat)("maria")
    communicator, _ = await connect(maria, conversation.pk)
    await communicator.receive_from(timeout=5)  # the current state

    def agent_joins_and_replies() -> None:
        ana = agent_user(first_name="Ana")
        handoff, _ = handoff_create(conversation=conversation, reason="A person was asked for.")
        handoff_claim(handoff=handoff, agent=ana)
        message_add(
            conversation=conversation, sender="agent", text="Hi Maria, Ana here.", agent=ana
        )

    await database_sync_to_async(agent_joins_and_replies)()
    received = [await communicator.receive_from(timeout=3)]
    while "Hi Maria, Ana here." not in received[-1]:
        received.append(await communicator.receive_from(timeout=3))
    assert any("Ana from support has joined" in html for html in received)
    assert 'hx-swap-oob="beforeend:#thread"' in received[-1]
    await communicator.disconnect()


async def test_another_conversations_messages_do_not_reach_the_socket() -> None:
    maria, conversation = await database_sync_to_async(customer_chat)("maria")
    _, other = await database_sync_to_async(customer_chat)("tom")
    communicator, _ = await connect(maria, conversation.pk)
    await communicator.receive_from(timeout=5)
    await database_sync_to_async(message_add)(conversation=other, sender="ai", text="Tom's reply")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()
