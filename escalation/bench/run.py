"""One benchmark run: its own database, the in-process figures, then daphne and a Celery worker
on that database for the figures over loopback and the soak."""

import asyncio
import contextlib
import datetime
import os
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client

from escalation.bench import data, encoding, inprocess, load
from escalation.bench.report import Figure, Report
from escalation.models import Message
from escalation.processes import celery_worker, daphne_server, database_url

BENCH_SETTINGS = "escalation.bench.settings"
BENCH_DATABASE_PREFIX = "handover_bench_run"


@dataclass(frozen=True)
class Plan:
    """How much of everything a run measures."""

    seconds: float  # each Bot API run (the baseline's and the endpoint's)
    samples: int  # escalations timed to the agent's screen
    sockets: int  # agent sockets the one broadcast reaches
    soak_seconds: float
    repeat: int  # renders of each console page
    scale: bool  # the data-volume check (PostgreSQL)
    soak_bots: int = 4
    soak_agents: int = 3
    scale_conversations: int = 100_000
    scale_messages_per_conversation: int = 10

    @classmethod
    def of(cls, *, quick: bool, **overrides: Any) -> "Plan":
        if quick:
            plan = cls(seconds=5, samples=20, sockets=1000, soak_seconds=20, repeat=5, scale=False)
        else:
            plan = cls(
                seconds=15, samples=100, sockets=1000, soak_seconds=180, repeat=20, scale=False
            )
        given = {k: v for k, v in overrides.items() if v is not None}
        return cls(**{**plan.__dict__, **given})


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """A fresh database beside the configured one (PostgreSQL: handover_bench_run_<pid> on the
    same server; SQLite: a temporary file), migrated, used by this process and handed to the
    children as a DATABASE_URL, and dropped at the end. The configured database is not touched."""
    with tempfile.TemporaryDirectory(prefix="handover-bench-") as directory:
        if connection.vendor == "sqlite":
            name = str(Path(directory) / "bench.sqlite3")
        else:
            name = f"{BENCH_DATABASE_PREFIX}_{os.getpid()}"
        connection.settings_dict.setdefault("TEST", {})["NAME"] = name
        original = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        try:
            yield database_url(connection.settings_dict)
        finally:
            connection.close()
            connection.creation.destroy_test_db(original, verbosity=0)


def open_files_raise() -> None:
    """Each agent socket is a file descriptor on both ends; the children inherit the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def machine() -> dict[str, Any]:
    layer = str(settings.CHANNEL_LAYERS["default"]["BACKEND"]).rsplit(".", 1)[-1]
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "database": connection.vendor,
        "channel_layer": layer,
        "celery": "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "worker",
    }


def phase(report: Report, name: str, measure: Callable[[], Any]) -> Any:
    """Run one measurement; a failure is recorded as a broken benchmark and the run goes on."""
    started = time.perf_counter()
    try:
        result = measure()
    except Exception as exc:  # reported, and the command exits non-zero
        report.errors.append(f"{name}: {exc!r}")
        return None
    report.sections.setdefault("durations_s", {})[name] = round(time.perf_counter() - started, 1)
    return result


def run(plan: Plan, say: Callable[[str], None]) -> Report:
    report = Report()
    open_files_raise()
    with bench_database() as url:
        report.sections["machine"] = machine()
        data.policy_for_load()
        bot = data.bot_make("bench-bot")
        soak_bot = data.bot_make("bench-soak-bot")
        page_agent, shown_agent, *soak_agents = data.agents_make(
            "bench-agent", 2 + plan.soak_agents
        )
        socket_agents = data.agents_make("bench-socket-agent", plan.sockets)

        if plan.scale:
            say(
                f"building {plan.scale_conversations:,} conversations of "
                f"{plan.scale_messages_per_conversation} messages"
            )
            phase(
                report,
                "scale_build",
                lambda: data.scale_build(
                    bot_id=bot.id,
                    conversations=plan.scale_conversations,
                    per_conversation=plan.scale_messages_per_conversation,
                ),
            )
            report.sections["data_volume"] = {
                "messages": Message.objects.count(),
                "conversations": plan.scale_conversations,
            }

        say("sentence encoder")
        report.add(*(phase(report, "encoder", encoding.figures) or []))

        say("trigger evaluation")
        figure = phase(
            report,
            "triggers",
            lambda: inprocess.trigger_evaluation(seconds=3 if plan.seconds >= 10 else 1),
        )
        report.add(*([figure] if figure else []))

        say("console pages")
        client = Client()
        client.force_login(page_agent)
        for name, measure in (
            (
                "case_screen",
                lambda: inprocess.case_screens(client, bot_id=bot.id, repeat=plan.repeat),
            ),
            (
                "queue_screen",
                lambda: inprocess.queue_screen(client, bot_id=bot.id, repeat=plan.repeat),
            ),
        ):
            report.add(*(phase(report, name, measure) or []))

        if plan.scale:
            say("query plans of the hot paths")
            plans = phase(report, "explain", lambda: hot_path_plans(client, bot))
            if plans:
                report.sections["data_volume"]["hot_paths"] = plans

        env = {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS}
        with celery_worker(env), daphne_server(env, verbosity=0) as (base_url, server):
            shown_cookies = data.session_cookies([shown_agent])[0]
            say("Bot API")
            report.add(
                *(
                    phase(
                        report,
                        "bot_api",
                        lambda: asyncio.run(load.bot_api(base_url, bot.key, seconds=plan.seconds)),
                    )
                    or []
                )
            )
            data.queue_clear()  # the Bot API's escalating turns
            say("escalation to the agent's screen")
            report.add(
                *(
                    phase(
                        report,
                        "handoff_shown",
                        lambda: asyncio.run(
                            load.handoff_shown(
                                base_url, bot.key, shown_cookies, samples=plan.samples
                            )
                        ),
                    )
                    or []
                )
            )
            data.queue_clear()
            say(f"one broadcast to {plan.sockets:,} agent sockets")
            cookies = data.session_cookies(socket_agents)
            report.add(
                *(
                    phase(
                        report,
                        "sockets",
                        lambda: asyncio.run(
                            load.broadcast_fan_out(
                                base_url,
                                bot.key,
                                cookies,
                                baseline_sockets=min(10, plan.sockets),
                                server_pid=server.pid,
                            )
                        ),
                    )
                    or []
                )
            )
            # The soak starts on a settled server, not during the wave of closing sockets.
            report.add(
                Figure(
                    "sockets_closed_settle_s",
                    f"{plan.sockets:,} agent sockets closed at once: recorded by the server in",
                    data.presence_settled(socket_agents),
                    None,
                    "s",
                )
            )
            data.queue_clear()
            say(
                f"soak: {plan.soak_bots} bots and {plan.soak_agents} agents "
                f"for {plan.soak_seconds:g} s"
            )
            soak = phase(
                report,
                "soak",
                lambda: asyncio.run(
                    load.soak_run(
                        base_url,
                        soak_bot.key,
                        data.session_cookies(soak_agents),
                        seconds=plan.soak_seconds,
                        bots=plan.soak_bots,
                        server_pid=server.pid,
                    )
                ),
            )
        if soak is not None:
            soak_report(report, soak, bot_id=soak_bot.id, plan=plan)
    return report


def soak_report(report: Report, soak: load.Soak, *, bot_id: int, plan: Plan) -> None:
    stored = Message.objects.filter(conversation__bot_id=bot_id).exclude(sender="system").count()
    memory = soak.memory_mb
    third = max(1, len(memory) // 3)
    start, end = statistics.mean(memory[:third]), statistics.mean(memory[-third:])
    report.sections["soak"] = {
        "seconds": plan.soak_seconds,
        "bots": plan.soak_bots,
        "agents": plan.soak_agents,
        "messages_in": soak.messages_in,
        "messages_stored": stored,
        "lost": soak.messages_in - stored,
        "handoffs": soak.handoffs,
        "resolved": soak.resolved,
        "errors": soak.errors,
        "memory_mb_start": round(start, 1),
        "memory_mb_end": round(end, 1),
    }
    report.add(
        Figure(
            "soak_messages_lost",
            f"soak: messages lost of {soak.messages_in:,} posted",
            soak.messages_in - stored,
            None,
            "msgs",
            "value<=",
            0,
        ),
        Figure(
            "soak_server_memory_mb",
            "soak: daphne memory, last third (first third as baseline)",
            end,
            start,
            "MB",
            "ratio<=",
            1.1,
        ),
    )
    report.errors += [f"soak: {e}" for e in soak.errors]
    if stored != soak.messages_in:
        report.errors.append(f"soak: {soak.messages_in} messages posted, {stored} stored")


def hot_path_plans(client: Client, bot: data.BenchBot) -> dict[str, Any]:
    """The queue with 1,000 waiting, a case, and a Bot API turn, each EXPLAINed."""
    data.queue_clear()
    data.queue_fill(bot.id, "explain-queue", 1000)
    case = data.case_make(bot.id, "explain-case", 50)
    (conversation,) = data.conversations_make(bot.id, "explain-api", 1)
    api = Client(headers={"Authorization": f"Bearer {bot.key}"})
    plans = inprocess.hot_path_plans(
        calls={
            "queue": lambda: client.get("/console/"),
            "case_screen": lambda: client.get(f"/console/cases/{case.pk}/"),
            "bot_api_message": lambda: api.post(
                f"/api/v1/conversations/{conversation.pk}/messages",
                {"external_id": "explain-1", "sender": "customer", "text": data.customer_turn(1)},
                content_type="application/json",
            ),
        }
    )
    data.queue_clear()
    return plans
