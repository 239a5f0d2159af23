"""The customer's chat socket: authorised to the customer's own conversation, it sends the
current thread on connect and then the same server-rendered partials the page uses."""

import json
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import transaction
from django.template.loader import render_to_string

from escalation import events
from escalation.backends import outage_safe
from escalation.models import Conversation, Handoff, Message
from escalation.webchat.chat import chat_page_context

CHANNEL = "web-chat"
NOT_FOUND = 4404
TYPING_EVERY_SECONDS = 2.0  # at most one typing signal passed on per socket in this time


def chat_group(conversation_id: int) -> str:
    return f"chat.{conversation_id}"


class CustomerChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        html = await database_sync_to_async(chat_socket_state)(
            user=user, conversation_id=conversation_id
        )
        if html is None:
            await self.close(code=4403)
            return
        self.group = chat_group(conversation_id)
        self.conversation_id = conversation_id
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send(text_data=html)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    typed_at = 0.0

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Customers post through ordinary requests; the socket only says they are typing,
        which the agents on their case see and nothing stores."""
        try:
            kind = json.loads(text_data or "{}").get("type")
        except (json.JSONDecodeError, AttributeError):
            return
        if kind == "typing" and time.monotonic() - self.typed_at >= TYPING_EVERY_SECONDS:
            self.typed_at = time.monotonic()
            user = self.scope["user"]
            await sync_to_async(events.customer_typing)(
                conversation_id=self.conversation_id,
                name=user.first_name or user.get_username(),
            )

    async def chat_html(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["html"])


def chat_socket_state(*, user: Any, conversation_id: int) -> str | None:
    """The thread and status as out-of-band swaps, or None when it is not this user's chat."""
    conversation = (
        Conversation.objects.select_related("customer")
        .filter(pk=conversation_id, channel=CHANNEL, customer__user=user)
        .first()
    )
    if conversation is None:
        return None
    context = chat_page_context(conversation, oob=True)
    return render_to_string("chat/chat.html#thread", context) + render_to_string(
        "chat/chat.html#status", context
    )


def chat_push(conversation_id: int, html: str) -> None:
    outage_safe.group_send(chat_group(conversation_id), {"type": "chat.html", "html": html})


def chat_agent_typing(conversation_id: int, *, name: str) -> None:
    """The agent holding the case is writing: the customer sees it (nothing is stored)."""
    html = render_to_string("chat/chat.html#typing", {"typing": f"{name} is typing…", "oob": True})
    chat_push(conversation_id, html)


def chat_on_message_stored(*, message: Message, has_handoffs: bool | None = None) -> None:
    if message.conversation.channel != CHANNEL:
        return
    conversation_id, message_pk = message.conversation_id, message.pk

    def push() -> None:
        stored = Message.objects.select_related("agent").get(pk=message_pk)
        chat_push(conversation_id, render_to_string("chat/chat.html#message_oob", {"m": stored}))

    transaction.on_commit(push)


def chat_on_handoff_changed(handoff: Handoff) -> None:
    if handoff.conversation.channel != CHANNEL:
        return
    conversation_id = handoff.conversation_id

    def push() -> None:
        conversation = Conversation.objects.select_related("customer").get(pk=conversation_id)
        context = chat_page_context(conversation, oob=True)
        chat_push(conversation_id, render_to_string("chat/chat.html#status", context))

    transaction.on_commit(push)


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """A socket to a path no route serves: closed before it opens, as an HTTP 404 would be."""

    async def connect(self) -> None:
        await self.close(code=NOT_FOUND)
