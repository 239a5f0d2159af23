"""`manage.py bench` in a very small configuration, with its own database and servers: it must
report every figure and lose nothing in the soak. No timing is asserted: a slow machine is not
a broken benchmark."""

import json
import subprocess
import sys
from pathlib import Path

from escalation.processes import child_env

FIGURES = {
    "api_messages_throughput",
    "api_messages_p50_ms",
    "api_messages_p99_ms",
    "api_escalating_p99_ms",
    "handoff_shown_p50_ms",
    "handoff_shown_p99_ms",
    "handoff_shown_end_to_end_p99_ms",
    "case_screen_1000_ms",
    "case_screen_1000_queries",
    "case_screen_5000_ms",
    "case_screen_5000_queries",
    "queue_screen_1000_ms",
    "queue_screen_1000_queries",
    "sockets_broadcast_p99_ms",
    "server_memory_mb",
    "sockets_closed_settle_s",
    "trigger_evaluations_per_second",
    "encoder_load_s",
    "encoder_added_mb",
    "encode_p50_ms",
    "encode_p99_ms",
    "soak_messages_lost",
    "soak_server_memory_mb",
}


def test_a_small_bench_reports_every_figure_and_loses_nothing() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench",
            "--quick",
            "--seconds=0.5",
            "--samples=3",
            "--sockets=20",
            "--soak-seconds=3",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=child_env(),  # this run's key: outside DEBUG no command runs without one
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report["figures"]) == FIGURES
    assert report["ok"] is True and report["errors"] == []
    soak = report["soak"]
    assert soak["messages_in"] > 0 and soak["handoffs"] > 0
    assert soak["messages_stored"] == soak["messages_in"]
    assert report["figures"]["case_screen_1000_queries"]["passed"] is True
