"""The sentence encoder: one per process, however many requests ask for it at once."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from escalation.detectors import encoder


def test_requests_arriving_together_load_one_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight threads ask for the encoder of a process that has none yet, all at once (eight
    bots' first turns on a new daphne): one model is loaded, and all eight get it."""
    monkeypatch.setattr(encoder, "_loaded", [])
    built = []
    real = encoder._Encoder

    def slow_load() -> Any:
        built.append(threading.get_ident())
        time.sleep(0.05)  # a real load takes 0.5 s: long enough for the others to arrive
        return real()

    monkeypatch.setattr(encoder, "_Encoder", slow_load)
    barrier = threading.Barrier(8)

    def ask(_: int) -> Any:
        barrier.wait()
        return encoder.load()

    with ThreadPoolExecutor(8) as pool:
        loaded = list(pool.map(ask, range(8)))

    assert len(built) == 1
    assert all(model is loaded[0] for model in loaded)
    assert loaded[0].tokens("one model")[1].shape[1] == encoder.DIMENSION
