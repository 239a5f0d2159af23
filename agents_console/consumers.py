"""Console sockets: authenticate from the scope, join groups, send the current state, then
forward the server-rendered partials that broadcast.py sends. Agents act through POSTs."""

import json
import time
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from agents_console import broadcast, presence, queue
from agents_console.models import CaseViewer
from agents_console.roles import is_agent
from escalation.models import Handoff
from escalation.webchat.consumer import chat_agent_typing

REFUSED = 4403
# A typing signal is passed on at most this often per socket (the browser sends one every few
# seconds while keys are pressed); nothing about it is stored.
TYPING_EVERY_SECONDS = 2.0


class ConsoleConsumer(AsyncWebsocketConsumer):
    groups_joined: list[str]

    # Broadcast events, whose handlers forward what broadcast.py sends and touch no database.
    FORWARDED = frozenset(
        {
            broadcast.EVENT_TYPE,
            broadcast.VIEWERS_EVENT_TYPE,
            broadcast.CASE_EVENT_TYPE,
            broadcast.TYPING_EVENT_TYPE,
            broadcast.QUEUE_EVENT_TYPE,
        }
    )

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels closes stale database connections before every handler, a hop to the one
        thread that runs database calls: a broadcast to 1,000 sockets queued 1,000 hops there
        before its first frame left. The forwarding handlers skip it; the others (and every
        database call, through database_sync_to_async) still clean up."""
        handler = getattr(self, get_handler_name(message), None)
        if message["type"] in self.FORWARDED and handler is not None:
            await handler(message)
        else:
            await super().dispatch(message)

    async def console_event(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["html"])

    async def console_queue(self, event: dict[str, Any]) -> None:
        """Off the queue screen, only the alert of a new handoff in the agent's queues."""
        if event["alert"]:
            await self.send(text_data=event["alert"])

    async def join(self, groups: list[str]) -> None:
        self.groups_joined = groups
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)


@database_sync_to_async
def user_is_agent(user: Any) -> bool:
    return bool(user and user.is_authenticated and is_agent(user))


@database_sync_to_async
def case_visible(user: Any, handoff_id: int) -> Handoff | None:
    """The case, if it is on this agent's side of the team walls (as on its page)."""
    return queue.handoffs_visible_to(user=user).filter(pk=handoff_id).first()


class AgentQueueConsumer(ConsoleConsumer):
    """The live queue; its heartbeats are the agent's presence. With alerts_only, the socket
    of the console screens that show no queue nor case (the metrics): the same groups and
    presence, but only the new-handoff alerts."""

    def __init__(self, *args: Any, alerts_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.alerts_only = alerts_only

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not await user_is_agent(user):
            await self.close(code=REFUSED)
            return
        self.user = user
        await self.join(await database_sync_to_async(queue.queue_groups)(user=user))
        await self.accept()
        await database_sync_to_async(presence.presence_seen)(user=user)
        if not self.alerts_only:
            await self.send(text_data=await self.current_queue())

    @database_sync_to_async
    def current_queue(self) -> str:
        """Re-sync from the database on every (re)connect: events missed while the socket
        was down do not matter."""
        filters = queue.QueueFilters.from_query(QueryDict(self.scope.get("query_string", b"")))
        return render_to_string(
            "agents_console/queue.html#queue-oob",
            queue.queue_context(user=self.user, filters=filters) | {"live": True},
        )

    async def console_queue(self, event: dict[str, Any]) -> None:
        if self.alerts_only:
            await super().console_queue(event)
        else:
            await self.send(text_data=event["html"] + event["alert"])

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await database_sync_to_async(presence.presence_seen)(user=self.user)

    async def disconnect(self, code: int) -> None:
        await self.leave()
        if hasattr(self, "user"):
            await database_sync_to_async(presence.presence_seen)(user=self.user)


class CaseConsumer(ConsoleConsumer):
    """One case screen: new transcript lines, status changes and who else is viewing."""

    typed_at = 0.0

    async def console_viewers(self, event: dict[str, Any]) -> None:
        await self.send(text_data=broadcast.viewers_html(event["viewers"], user_id=self.user.pk))

    async def console_case(self, event: dict[str, Any]) -> None:
        is_owner = event["owner_id"] == self.user.pk
        await self.send(text_data=event["owner_html" if is_owner else "others_html"])

    async def console_typing(self, event: dict[str, Any]) -> None:
        if event["user_id"] != self.user.pk:
            await self.send(text_data=event["html"])

    async def connect(self) -> None:
        user = self.scope.get("user")
        handoff_id = self.scope["url_route"]["kwargs"]["handoff_id"]
        handoff = await case_visible(user, handoff_id) if await user_is_agent(user) else None
        if handoff is None:
            await self.close(code=REFUSED)
            return
        self.user = user
        self.handoff = handoff
        # In the group and counted as a viewer before the page hears the socket is open and
        # re-reads the transcript: a line stored in between is sent (broadcast.message_stored).
        # In the agent's queue groups too, for the alert of a new handoff there.
        queue_groups = await database_sync_to_async(queue.queue_groups)(user=user)
        await self.join([queue.case_group(handoff.conversation_id), *queue_groups])
        await database_sync_to_async(self.viewer_add)()
        await self.accept()

    def viewer_add(self) -> None:
        CaseViewer.objects.update_or_create(
            channel_name=self.channel_name,
            defaults={"handoff": self.handoff, "user": self.user, "seen_at": timezone.now()},
        )
        broadcast.viewers_changed(self.handoff.pk, self.handoff.conversation_id)

    def viewer_remove(self) -> None:
        CaseViewer.objects.filter(channel_name=self.channel_name).delete()
        broadcast.viewers_changed(self.handoff.pk, self.handoff.conversation_id)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            kind = json.loads(text_data or "{}").get("type")
        except (json.JSONDecodeError, AttributeError):
            return
        if kind == "heartbeat":
            await database_sync_to_async(
                CaseViewer.objects.filter(channel_name=self.channel_name).update
            )(seen_at=timezone.now())
        elif kind == "typing" and time.monotonic() - self.typed_at >= TYPING_EVERY_SECONDS:
            self.typed_at = time.monotonic()
            await database_sync_to_async(self.typing_announce)()

    def typing_announce(self) -> None:
        """The other agents on the case see who is replying; the customer sees it too when the
        typist holds the case (only they can send what they type)."""
        name = self.user.get_full_name() or self.user.get_username()
        conversation_id = self.handoff.conversation_id
        broadcast.agent_typing(conversation_id=conversation_id, user_id=self.user.pk, name=name)
        holds_it = Handoff.objects.filter(
            pk=self.handoff.pk, status=Handoff.Status.CLAIMED, claimed_by=self.user
        ).exists()
        if holds_it:
            chat_agent_typing(conversation_id, name=self.user.first_name or name)

    async def disconnect(self, code: int) -> None:
        await self.leave()
        if hasattr(self, "handoff"):
            await database_sync_to_async(self.viewer_remove)()
