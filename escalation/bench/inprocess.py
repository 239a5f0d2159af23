"""Figures measured inside the bench process: trigger evaluation, console page renders (Django's
test client, with the queries counted) and the query plans of the hot paths."""

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalation import triggers
from escalation.bench import data
from escalation.bench.report import Figure
from escalation.capacity import soft_thresholds
from escalation.models import TriggerPolicy

# Tables that grow with history: a sequential scan of one of them on a hot path is a finding.
LARGE_TABLES = frozenset(
    {"escalation_customer", "escalation_conversation", "escalation_message", "escalation_handoff"}
)


def turns_of(length: int) -> list[triggers.Turn]:
    return [
        triggers.Turn("customer", data.customer_turn(i))
        if i % 2 == 0
        else triggers.Turn("ai", data.ai_turn(i), 0.9)
        for i in range(length)
    ]


def rate(call: Callable[[], object], seconds: float) -> float:
    """Calls per second of `call`, run for about `seconds`."""
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(10):
            call()
        count += 10
    return count / (time.perf_counter() - start)


def trigger_evaluation(*, seconds: float) -> Figure:
    turns = turns_of(30)
    policy = TriggerPolicy.current()
    thresholds = soft_thresholds(policy=policy, capacity=None)

    def evaluate() -> object:
        return triggers.triggers_for_customer_turn(turns=turns, thresholds=thresholds)

    def no_op(*, turns: list[triggers.Turn], thresholds: triggers.Thresholds) -> list[Any]:
        return []

    evaluate()  # the lexicons load on first use
    return Figure(
        "trigger_evaluations_per_second",
        "trigger evaluation, 30-turn conversation",
        rate(evaluate, seconds),
        rate(lambda: no_op(turns=turns, thresholds=thresholds), seconds),
        "evals/s",
        "value>=",
        2000,
    )


def page_render(client: Client, url: str, *, repeat: int) -> tuple[float, int]:
    """Median render time (ms) of the page and the queries one render runs."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)  # now: every request clears the connection's query log
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), count


def case_screens(client: Client, *, bot_id: int, repeat: int) -> list[Figure]:
    measured = {}
    for size in (10, 1000, 5000):
        handoff = data.case_make(bot_id, f"case{size}", size)
        measured[size] = page_render(client, f"/console/cases/{handoff.pk}/", repeat=repeat)
    (base_ms, base_queries) = measured[10]
    figures = []
    for size, bound in ((1000, 4.0), (5000, None)):
        ms, queries = measured[size]
        figures += [
            Figure(
                f"case_screen_{size}_ms",
                f"case screen, {size:,} messages (10 as baseline)",
                ms,
                base_ms,
                "ms",
                "ratio<=" if bound else "info",
                bound,
            ),
            Figure(
                f"case_screen_{size}_queries",
                f"case screen queries, {size:,} messages",
                queries,
                base_queries,
                "queries",
                "equal",
            ),
        ]
    return figures


def queue_screen(client: Client, *, bot_id: int, repeat: int) -> list[Figure]:
    data.queue_clear()
    data.queue_fill(bot_id, "queue10", 10)
    base_ms, base_queries = page_render(client, "/console/", repeat=repeat)
    data.queue_fill(bot_id, "queue1000", 990)
    ms, queries = page_render(client, "/console/", repeat=repeat)
    data.queue_clear()
    return [
        Figure(
            "queue_screen_1000_ms",
            "queue screen, 1,000 queued (10 as baseline)",
            ms,
            base_ms,
            "ms",
            "ratio<=",
            3,
        ),
        Figure(
            "queue_screen_1000_queries",
            "queue screen queries, 1,000 queued",
            queries,
            base_queries,
            "queries",
            "equal",
        ),
    ]


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's nodes that read a table, depth first."""
    found = []
    if "Relation Name" in plan:
        found.append(
            {
                "node": plan["Node Type"],
                "table": plan["Relation Name"],
                "index": plan.get("Index Name"),
            }
        )
    for child in plan.get("Plans", []):
        found += plan_nodes(child)
    return found


def hot_path_plans(*, calls: dict[str, Callable[[], object]]) -> dict[str, Any]:
    """Run each hot path once, EXPLAIN every query it ran (PostgreSQL), and list the sequential
    scans of large tables."""
    result: dict[str, Any] = {}
    for name, call in calls.items():
        with CaptureQueriesContext(connection) as captured:
            call()
        plans = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
                    continue
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                nodes = plan_nodes(plan[0]["Plan"])
                scans = [n["table"] for n in nodes if n["node"] == "Seq Scan"]
                plans.append(
                    {
                        "sql": sql[:160],
                        "reads": nodes,
                        "seq_scans": [t for t in scans if t in LARGE_TABLES],
                    }
                )
        result[name] = {
            "queries": len(plans),
            "seq_scans": sorted({t for p in plans for t in p["seq_scans"]}),
            "plans": plans,
        }
    return result
