"""The sentence encoder's own figures, measured in a fresh process (run as
``python -m escalation.bench.encoding``) so that the load time and the memory it adds are its
own: nothing else is loaded or warm."""

import json
import subprocess
import sys
import time

from escalation.bench.report import Figure

MESSAGES = 300


def _resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def _measure() -> dict[str, float]:
    before = _resident_mb()
    start = time.perf_counter()
    from escalation.detectors import encoder

    encoder.encode("load the model")
    load_seconds = time.perf_counter() - start
    added_mb = _resident_mb() - before
    # Ordinary customer messages of 5 to 60 words, each new to the cache.
    times = []
    for n in range(MESSAGES):
        words = " ".join(
            ["my parcel for order", str(10000 + n), "has still not arrived"] * (1 + n % 4)
        )
        started = time.perf_counter()
        encoder.encode(words)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "load_seconds": load_seconds,
        "added_mb": added_mb,
        "p50_ms": times[len(times) // 2],
        "p99_ms": times[int(len(times) * 0.99) - 1],
    }


def figures() -> list[Figure]:
    out = subprocess.run(
        [sys.executable, "-m", "escalation.bench.encoding"],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    return [
        Figure("encoder_load_s", "sentence encoder load", measured["load_seconds"], None, "s",
               "value<=", 2),
        Figure("encoder_added_mb", "sentence encoder, memory added", measured["added_mb"], None,
               "MB", "value<=", 200),
        Figure("encode_p50_ms", "encode one message, p50", measured["p50_ms"], None, "ms"),
        Figure("encode_p99_ms", "encode one message, p99", measured["p99_ms"], None, "ms",
               "value<=", 10),
    ]  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(_measure()))
