import asyncio
import re
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from agents_console import broadcast
from agents_console.models import CaseViewer
from agents_console.queue import NO_TEAM_GROUP, case_group
from escalation.asgi import application
from escalation.handoff import handoff_claim, handoff_create, handoff_reply
from escalation.models import AgentProfile, Handoff
from escalation.transcript import message_add
from escalation.turns import message_post
from tests.support.factories import (
    ConversationFactory,
    HandoffFactory,
    TeamFactory,
    UserFactory,
    console_agent,
    supervisor_user,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = b"http://testserver"


def session_cookie(user: Any) -> bytes:
    user.save()
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def connect(path: str, user: Any = None, origin: bytes = ORIGIN) -> WebsocketCommunicator:
    headers = [(b"host", b"testserver"), (b"origin", origin)]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    return WebsocketCommunicator(application, path, headers=headers)


async def connected_queue(user: Any) -> WebsocketCommunicator:
    communicator = await connect("/ws/console/queue/", user)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_from(timeout=5)  # the current queue, sent on connect
    return communicator


async def test_agent_gets_the_current_queue_on_connect() -> None:
    agent = await sync_to_async(console_agent)()
    handoff = await sync_to_async(HandoffFactory)()
    communicator = await connect("/ws/console/queue/", agent)
    await communicator.connect()

    message = await communicator.receive_from(timeout=5)

    assert 'id="queue"' in message and 'hx-swap-oob="true"' in message
    assert f'id="handoff-{handoff.pk}"' in message
    await communicator.disconnect()


async def test_agent_on_the_queue_receives_a_new_handoff() -> None:
    agent = await sync_to_async(console_agent)()
    communicator = await connected_queue(agent)
    conversation = await sync_to_async(ConversationFactory)(customer__name="Lena Fischer")

    handoff, _ = await sync_to_async(handoff_create)(conversation=conversation, reason="help")

    message = await communicator.receive_from(timeout=5)
    assert 'hx-swap-oob="beforeend:#queue-rows"' in message
    assert f'id="handoff-{handoff.pk}"' in message
    assert 'data-new-handoff="Lena Fischer"' in message
    await communicator.disconnect()


async def test_claimed_handoff_leaves_every_queue() -> None:
    agent = await sync_to_async(console_agent)()
    handoff = await sync_to_async(HandoffFactory)()
    communicator = await connected_queue(agent)

    await sync_to_async(handoff_claim)(handoff=handoff, agent=agent)

    message = await communicator.receive_from(timeout=5)
    assert message == f'<li id="handoff-{handoff.pk}" hx-swap-oob="delete"></li>'
    await communicator.disconnect()


async def test_queue_socket_heartbeat_marks_the_agent_seen() -> None:
    agent = await sync_to_async(console_agent)()
    await sync_to_async(AgentProfile.objects.filter(user=agent).update)(last_seen_at=None)
    communicator = await connected_queue(agent)

    await communicator.send_to(text_data='{"type": "heartbeat"}')
    await communicator.disconnect()

    profile = await sync_to_async(AgentProfile.objects.get)(user=agent)
    assert profile.last_seen_at is not None


async def test_unauthenticated_socket_is_refused() -> None:
    communicator = await connect("/ws/console/queue/")

    connected, code = await communicator.connect()

    assert not connected
    assert code == 4403


async def test_non_agent_socket_is_refused() -> None:
    communicator = await connect("/ws/console/queue/", await sync_to_async(UserFactory)())

    connected, _ = await communicator.connect()

    assert not connected


async def test_wrong_origin_socket_is_refused() -> None:
    agent = await sync_to_async(console_agent)()
    communicator = await connect("/ws/console/queue/", agent, origin=b"http://evil.example")

    connected, _ = await communicator.connect()

    assert not connected


async def test_case_screen_receives_new_messages_live() -> None:
    agent = await sync_to_async(console_agent)()
    handoff = await sync_to_async(HandoffFactory)()
    await sync_to_async(handoff_claim)(handoff=handoff, agent=agent)
    communicator = await connect(f"/ws/console/cases/{handoff.pk}/", agent)
    connected, _ = await communicator.connect()
    assert connected
    alone = await communicator.receive_from(timeout=5)
    assert 'id="viewers"' in alone and "Also viewing" not in alone

    await sync_to_async(handoff_reply)(handoff=handoff, agent=agent, text="On it, Tom.")

    message = await communicator.receive_from(timeout=5)
    assert 'hx-swap-oob="beforeend:#transcript-list"' in message
    assert "On it, Tom." in message and "from-agent" in message
    await communicator.disconnect()


async def test_the_viewer_is_counted_before_the_socket_opens() -> None:
    """The page re-reads the transcript when its socket opens; a line stored after that read
    is broadcast only if a viewer is counted by then (broadcast.message_stored)."""
    agent = await sync_to_async(console_agent)()
    handoff = await sync_to_async(HandoffFactory)()
    communicator = await connect(f"/ws/console/cases/{handoff.pk}/", agent)

    connected, _ = await communicator.connect()

    assert connected
    assert await sync_to_async(CaseViewer.objects.filter(handoff=handoff).exists)()
    await communicator.disconnect()


async def test_a_line_in_a_conversation_nobody_has_open_is_not_sent() -> None:
    layer = get_channel_layer()
    handoff = await sync_to_async(HandoffFactory)()
    listening = await layer.new_channel()
    await layer.group_add(case_group(handoff.conversation_id), listening)

    await sync_to_async(message_add)(
        conversation=handoff.conversation, sender="customer", text="Nobody is reading this."
    )
    await sync_to_async(CaseViewer.objects.create)(
        handoff=handoff,
        user=await sync_to_async(console_agent)(),
        channel_name=listening,
        seen_at=timezone.now(),
    )
    await sync_to_async(message_add)(
        conversation=handoff.conversation, sender="customer", text="An agent has it open."
    )

    event = await asyncio.wait_for(layer.receive(listening), 5)
    assert "An agent has it open." in event["html"]
    await layer.group_discard(case_group(handoff.conversation_id), listening)


async def test_a_bot_turn_reaches_the_open_case_screen() -> None:
    """The Bot API's turns skip the viewer check only in conversations that never had a case."""
    layer = get_channel_layer()
    handoff = await sync_to_async(HandoffFactory)()
    listening = await layer.new_channel()
    await layer.group_add(case_group(handoff.conversation_id), listening)
    await sync_to_async(CaseViewer.objects.create)(
        handoff=handoff,
        user=await sync_to_async(console_agent)(),
        channel_name=listening,
        seen_at=timezone.now(),
    )

    await sync_to_async(message_post)(
        conversation_id=handoff.conversation_id,
        bot_id=handoff.conversation.bot_id,
        external_id="t1",
        sender="customer",
        text="Are you still there?",
    )

    event = await asyncio.wait_for(layer.receive(listening), 5)
    assert "Are you still there?" in event["html"]
    await layer.group_discard(case_group(handoff.conversation_id), listening)


async def test_case_screen_shows_who_else_is_viewing() -> None:
    ana = await sync_to_async(console_agent)(first_name="Ana", last_name="Silva")
    ben = await sync_to_async(console_agent)(first_name="Ben", last_name="Okafor")
    handoff = await sync_to_async(HandoffFactory)()
    first = await connect(f"/ws/console/cases/{handoff.pk}/", ana)
    await first.connect()
    await first.receive_from(timeout=5)

    second = await connect(f"/ws/console/cases/{handoff.pk}/", ben)
    await second.connect()

    assert "Also viewing: Ben Okafor<" in await first.receive_from(timeout=5)
    assert "Also viewing: Ana Silva<" in await second.receive_from(timeout=5)
    await second.disconnect()
    alone_again = await first.receive_from(timeout=5)
    assert 'id="viewers"' in alone_again and "Also viewing" not in alone_again
    await first.disconnect()
    assert not await sync_to_async(CaseViewer.objects.exists)()


async def test_case_socket_for_unknown_case_is_refused() -> None:
    communicator = await connect("/ws/console/cases/999999/", await sync_to_async(console_agent)())

    connected, _ = await communicator.connect()

    assert not connected


async def test_case_status_change_reaches_the_case_screen() -> None:
    agent = await sync_to_async(console_agent)(first_name="Ana", last_name="Silva")
    handoff = await sync_to_async(HandoffFactory)()
    communicator = await connect(f"/ws/console/cases/{handoff.pk}/", agent)
    await communicator.connect()
    await communicator.receive_from(timeout=5)

    await sync_to_async(handoff_claim)(handoff=handoff, agent=agent)

    received = [await communicator.receive_from(timeout=5) for _ in range(2)]
    status = next(m for m in received if 'id="case-status"' in m)
    assert "with Ana Silva" in status
    assert await sync_to_async(Handoff.objects.filter(status="claimed").count)() == 1
    await communicator.disconnect()


async def test_a_broadcast_event_is_forwarded_without_a_database_cleanup(monkeypatch: Any) -> None:
    """Channels closes stale database connections before each handler, a hop to the one
    thread that runs database calls; a broadcast to 1,000 sockets waited for 1,000 of them.
    The forwarding handlers touch no database and skip it."""
    agent = await sync_to_async(console_agent)()
    communicator = await connected_queue(agent)
    cleanups = []

    async def cleanup() -> None:
        cleanups.append(1)

    monkeypatch.setattr("channels.consumer.aclose_old_connections", cleanup)
    await sync_to_async(broadcast.group_send)([NO_TEAM_GROUP], '<li id="x">hi</li>')

    assert await communicator.receive_from(timeout=5) == '<li id="x">hi</li>'
    assert cleanups == []
    await communicator.disconnect()


async def billing_case() -> Handoff:
    return await sync_to_async(HandoffFactory)(
        team=await sync_to_async(TeamFactory)(slug="billing")
    )


async def test_case_socket_of_an_agent_outside_the_team_is_refused_before_accepting() -> None:
    handoff = await billing_case()
    shipping = await sync_to_async(TeamFactory)(slug="shipping")
    outsider = await sync_to_async(console_agent)(teams=(shipping,))
    communicator = await connect(f"/ws/console/cases/{handoff.pk}/", outsider)

    connected, code = await communicator.connect()

    assert (connected, code) == (False, 4403)
    assert not await sync_to_async(CaseViewer.objects.exists)()


async def test_case_socket_of_a_team_member_is_accepted() -> None:
    handoff = await billing_case()
    member = await sync_to_async(console_agent)(teams=(handoff.team,))
    communicator = await connect(f"/ws/console/cases/{handoff.pk}/", member)

    connected, _ = await communicator.connect()

    assert connected
    await communicator.disconnect()


async def test_case_socket_of_a_supervisor_is_accepted() -> None:
    handoff = await billing_case()
    communicator = await connect(
        f"/ws/console/cases/{handoff.pk}/", await sync_to_async(supervisor_user)()
    )

    connected, _ = await communicator.connect()

    assert connected
    await communicator.disconnect()


async def test_an_agent_on_a_case_hears_of_new_handoffs_in_his_teams_only() -> None:
    """The case screen's socket brings the new-handoff alert (not the queue's rows) for the
    agent's teams; another team's new case sends him nothing."""
    handoff = await billing_case()
    shipping = await sync_to_async(TeamFactory)(slug="shipping")
    member = await sync_to_async(console_agent)(teams=(handoff.team,))
    communicator = await connect(f"/ws/console/cases/{handoff.pk}/", member)
    assert (await communicator.connect())[0]
    assert "Also viewing" not in await communicator.receive_from(timeout=5)  # who is viewing

    for team, name in ((shipping, "Otto Walled"), (handoff.team, "Lena Fischer")):
        conversation = await sync_to_async(ConversationFactory)(customer__name=name)
        new, _ = await sync_to_async(handoff_create)(conversation=conversation, team=team)

    message = await communicator.receive_from(timeout=5)
    assert 'id="new-handoff-alert"' in message and 'data-new-handoff="Lena Fischer"' in message
    assert f'href="/console/cases/{new.pk}/"' in message
    assert "queue-rows" not in message
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


def metrics_socket_path(user: Any) -> str:
    """Where the supervisors' metrics page opens its socket."""
    user.save()
    client = Client()
    client.force_login(user)
    match = re.search(r'ws-connect="([^"]+)"', client.get("/console/metrics/").content.decode())
    assert match, "the metrics page opens no socket"
    return match.group(1)


async def test_the_metrics_socket_brings_only_the_alerts_of_handoffs_its_user_may_see() -> None:
    """No queue and no rows, only the new-handoff alerts, behind the queue's team walls: the
    supervisor's queue shows every team, a billing agent's (the route is the console's) not
    shipping's; anyone else is refused."""
    billing = await sync_to_async(TeamFactory)(slug="billing")
    shipping = await sync_to_async(TeamFactory)(slug="shipping")
    supervisor = await sync_to_async(supervisor_user)()
    path = await sync_to_async(metrics_socket_path)(supervisor)
    member = await sync_to_async(console_agent)(teams=(billing,))
    customer = await connect(path, await sync_to_async(UserFactory)())
    assert await customer.connect() == (False, 4403)
    sockets = {}
    for user in (supervisor, member):
        sockets[user.pk] = await connect(path, user)
        assert (await sockets[user.pk].connect())[0]
        assert await sockets[user.pk].receive_nothing(timeout=0.3)  # no queue on connect

    for team, name in ((shipping, "Otto Walled"), (billing, "Lena Fischer")):
        conversation = await sync_to_async(ConversationFactory)(customer__name=name)
        await sync_to_async(handoff_create)(conversation=conversation, team=team)

    for user, names in ((supervisor, ["Otto Walled", "Lena Fischer"]), (member, ["Lena Fischer"])):
        socket = sockets[user.pk]
        for name in names:
            message = await socket.receive_from(timeout=5)
            assert message.startswith('<p id="new-handoff-alert" hx-swap-oob="innerHTML">')
            assert f'data-new-handoff="{name}"' in message
            assert "queue-rows" not in message and 'id="handoff-' not in message
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()


async def test_a_new_case_is_shown_on_the_open_screen_of_its_conversations_earlier_case() -> None:
    """Ana still has the customer's resolved case open when the customer is handed off again:
    her screen shows the new case's status."""
    ana = await sync_to_async(console_agent)(first_name="Ana", last_name="Silva")
    earlier = await sync_to_async(HandoffFactory)(
        status=Handoff.Status.RESOLVED, resolved_at=timezone.now()
    )
    communicator = await connect(f"/ws/console/cases/{earlier.pk}/", ana)
    assert (await communicator.connect())[0]
    await communicator.receive_from(timeout=5)  # who is viewing

    await sync_to_async(handoff_create)(conversation=earlier.conversation, reason="again")

    received = []  # the transcript's system line, the new-case alert, the case's status
    while not await communicator.receive_nothing(timeout=0.5):
        received.append(await communicator.receive_from())
    assert any('id="case-status"' in message for message in received), received
    await communicator.disconnect()
