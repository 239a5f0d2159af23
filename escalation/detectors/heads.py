"""The trained heads: logistic models over the encoder's vectors, read from ``heads.json``.

``manage.py train_detectors`` writes the file (weights, the bias shifted so that the threshold
chosen on leave-one-source-out validation is probability 0.5, and the per-source report); here
it is only read, once per process, and scored with numpy.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["HEADS_FILE", "Head", "HeadName", "head"]

HEADS_FILE = Path(__file__).with_name("heads.json")
HeadName = Literal["human_request", "distress", "repeats"]


class Head:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.weights = np.asarray(spec["weights"], dtype=np.float32)
        self.bias = float(spec["bias"])

    def probability(self, features: npt.NDArray[np.float32]) -> float:
        logit = float(features @ self.weights) + self.bias
        return 1.0 / (1.0 + math.exp(-logit))


@lru_cache(maxsize=1)
def _heads() -> dict[str, Any]:
    return dict(json.loads(HEADS_FILE.read_text(encoding="utf-8")))


@lru_cache(maxsize=3)
def head(name: HeadName) -> Head:
    return Head(_heads()["heads"][name])
