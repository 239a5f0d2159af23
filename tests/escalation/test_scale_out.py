"""Past one machine: two daphne processes and two Celery workers on one database and one
Redis, as a deployment behind a proxy runs them."""

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from celery import Celery
from django.contrib.auth.models import User
from django.db import connection

from escalation.models import Handoff, Message, WebhookDelivery
from escalation.processes import celery_worker, daphne_server, database_url, redis_server, stop
from tests.support.factories import HandoffFactory, bot_with_key, console_agent
from tests.support.live import (
    bot_post,
    eventually,
    http,
    needs_redis_server,
    session_headers,
    socket_open,
)
from tests.support.webhook_server import Endpoint

pytestmark = needs_redis_server


@dataclass
class Cluster:
    servers: list[str]
    redis_url: str
    env: dict[str, str]
    workers: list[subprocess.Popen[Any]]


@pytest.fixture(scope="module")
def cluster(django_db_setup: None, django_db_blocker: Any) -> Iterator[Cluster]:
    with ExitStack() as stack:
        redis_url, _ = stack.enter_context(redis_server())
        env = {
            "DATABASE_URL": database_url(connection.settings_dict),
            "REDIS_URL": redis_url,
            "CELERY_VISIBILITY_TIMEOUT_SECONDS": "3",  # a dead worker's task moves on soon
            "WEBHOOK_TIMEOUT_SECONDS": "60",
            "SURVEY_DELAY_SECONDS": "0",
        }
        # One process each, thread pool: a SIGKILL takes the whole worker down at once.
        processes: list[AbstractContextManager[Any]] = [
            celery_worker(env, name="one", extra=("-P", "threads")),
            celery_worker(env, name="two", extra=("-P", "threads")),
            daphne_server(env),
            daphne_server(env),
        ]
        with ThreadPoolExecutor(len(processes)) as pool:  # they start in parallel
            started = list(pool.map(stack.enter_context, processes))
        workers, servers = started[:2], [base_url for base_url, _ in started[2:]]
        yield Cluster(servers=servers, redis_url=redis_url, env=env, workers=workers)


@pytest.mark.django_db(transaction=True)
def test_an_agent_socket_on_one_process_sees_a_handoff_made_through_the_other(
    cluster: Cluster,
) -> None:
    first, second = cluster.servers
    agent = console_agent()
    _bot, key = bot_with_key(name="bot")
    status, opened = bot_post(
        second, key, "/conversations", {"external_id": "c", "customer": {"external_id": "u"}}
    )
    assert status == 201

    with socket_open(first, "/ws/console/queue/", agent) as socket:
        socket.recv(timeout=5)  # the current queue
        status, handoff = bot_post(
            second, key, f"/conversations/{opened['id']}/handoff", {"external_id": "h"}
        )
        assert status == 201
        frame = str(socket.recv(timeout=10))

    assert f'id="handoff-{handoff["id"]}"' in frame


@pytest.mark.django_db(transaction=True)
def test_a_claim_race_across_two_processes_has_one_winner(cluster: Cluster) -> None:
    handoff = HandoffFactory()
    agents = [console_agent() for _ in range(10)]
    headers = [session_headers(agent) for agent in agents]
    barrier = threading.Barrier(len(agents))

    def claim(index: int) -> int:
        server = cluster.servers[index % 2]
        barrier.wait()
        return http("POST", f"{server}/console/cases/{handoff.pk}/claim/", **headers[index])[0]

    with ThreadPoolExecutor(len(agents)) as pool:
        statuses = list(pool.map(claim, range(len(agents))))

    assert statuses == [200] * len(agents)  # the losers are told, nobody sees an error
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED and handoff.claimed_by in agents
    joined = Message.objects.filter(
        conversation_id=handoff.conversation_id, text__contains="joined"
    )
    assert joined.count() == 1


def worker_pid_running(probe: Celery, task_name: str) -> int | None:
    inspect = probe.control.inspect(timeout=1)
    for hostname, tasks in (inspect.active() or {}).items():
        if any(task["name"] == task_name for task in tasks):
            return int((inspect.stats() or {})[hostname]["pid"])
    return None


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_loses_nothing(cluster: Cluster, endpoint: Endpoint) -> None:
    agent = console_agent()
    customer = User.objects.create_user("maria")
    probe = Celery(broker=cluster.redis_url, set_as_current=False)
    endpoint.plan, endpoint.hang_seconds = [0, 200], 60  # the first delivery hangs
    _bot, key = bot_with_key(name="bot", callback_url=endpoint.url)
    status, opened = bot_post(
        cluster.servers[0],
        key,
        "/conversations",
        {"external_id": "c", "customer": {"external_id": "u"}},
    )
    status, handoff = bot_post(
        cluster.servers[0], key, f"/conversations/{opened['id']}/handoff", {"external_id": "h"}
    )
    assert status == 201
    eventually(lambda: endpoint.received, what="the first delivery under way")
    pid = eventually(lambda: worker_pid_running(probe, "escalation.tasks.webhook_deliver"))

    os.kill(pid, signal.SIGKILL)
    assert len(endpoint.received) == 1  # nobody else has taken it up yet

    console = session_headers(agent)
    server = cluster.servers[1]
    http("POST", f"{server}/console/cases/{handoff['id']}/claim/", **console)
    http(
        "POST",
        f"{server}/console/cases/{handoff['id']}/resolve/",
        form={"resolution": "resolved"},
        **console,
    )
    http(
        "POST",
        f"{server}/chat/messages/",
        form={"text": "What are your opening hours?"},
        **session_headers(customer),
    )
    eventually(
        lambda: WebhookDelivery.objects.filter(
            event="handoff.created", status="succeeded"
        ).exists(),
        what="the killed delivery completed by the other worker",
    )
    created = [r for r in endpoint.received if r.headers["X-Handover-Event"] == "handoff.created"]
    assert len(created) == 2  # the killed attempt, then the one that completed it
    eventually(
        lambda: Message.objects.filter(conversation__channel="web-chat", sender="ai").exists(),
        what="the chat turn scored and answered",
    )
    eventually(
        lambda: Message.objects.filter(
            conversation_id=opened["id"], text__startswith="Did the handover help?"
        ).exists(),
        what="the survey sent",
    )
    probe.close()


@pytest.mark.django_db(transaction=True)
def test_work_waits_for_a_worker_and_runs_when_one_comes_back(
    cluster: Cluster, endpoint: Endpoint
) -> None:
    """Last in this module: it stops the cluster's workers."""
    for worker in cluster.workers:
        stop(worker)
    agent = console_agent()
    customer = User.objects.create_user("maria")
    server = cluster.servers[0]
    _bot, key = bot_with_key(name="bot", callback_url=endpoint.url)
    customer_turn = {"external_id": "c", "customer": {"external_id": "u"}}
    status, opened = bot_post(server, key, "/conversations", customer_turn)
    ask = {"external_id": "m", "sender": "customer", "text": "Let me talk to a real person"}
    status, answer = bot_post(server, key, f"/conversations/{opened['id']}/messages", ask)
    assert status == 201 and answer["decision"]["escalate"] is True
    handoff_id = answer["decision"]["handoff"]["id"]
    console = session_headers(agent)
    http("POST", f"{server}/console/cases/{handoff_id}/claim/", **console)
    resolve = {"resolution": "resolved"}
    http("POST", f"{server}/console/cases/{handoff_id}/resolve/", form=resolve, **console)
    chat = {"text": "What are your opening hours?"}
    http("POST", f"{server}/chat/messages/", form=chat, **session_headers(customer))
    turn = Message.objects.get(conversation__channel="web-chat", sender="customer")
    assert turn.decision is None  # stored, waiting for a worker
    assert WebhookDelivery.objects.filter(status="pending").count() == 3
    survey = Message.objects.filter(text__startswith="Did the handover help?")
    assert not survey.exists()

    with celery_worker(cluster.env, name="three"):
        eventually(lambda: len(endpoint.received) == 3, what="the three webhooks")
        eventually(lambda: survey.exists(), what="the survey")
        eventually(
            lambda: Message.objects.filter(
                conversation_id=turn.conversation_id, sender="ai"
            ).exists(),
            what="the chat turn answered",
        )
