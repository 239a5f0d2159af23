"""What the heads see of a message or a pair of messages: the same code at training and at run
time, so a head is never scored on features other than those it was fitted on."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from escalation.detectors.encoder import Vector, encode

__all__ = [
    "PAIR_FEATURES",
    "STYLE_FEATURES",
    "message_vector",
    "pair_vector",
    "references",
]

Features = npt.NDArray[np.float32]

# Order, ticket, account and amount figures: three digits or more, or money with decimals.
_REFERENCE_RE = re.compile(r"\b\d[\d-]{2,}\d\b|\b\d+[.,]\d{2}\b")
_WORD_RE = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)
_UPPER_RE = re.compile(r"[A-Z]")


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # reads its lexicon file: on first use, not at import


STYLE_FEATURES = ("vader_negative", "vader_compound", "capitals", "exclamations", "questions")
PAIR_FEATURES = (
    "cosine",
    "same_reference",
    "other_reference",
    "shared_words",
    "shared_trigrams",
    "length_ratio",
)


def references(text: str) -> frozenset[str]:
    return frozenset(m.replace(",", ".").replace("-", "") for m in _REFERENCE_RE.findall(text))


@lru_cache(maxsize=4096)
def _style(text: str) -> tuple[float, ...]:
    scores = _vader().polarity_scores(text)
    letters = len(_LETTER_RE.findall(text)) or 1
    return (
        scores["neg"],
        scores["compound"],
        min(1.0, len(_UPPER_RE.findall(text)) / letters),
        min(1.0, text.count("!") / 3),
        min(1.0, text.count("?") / 3),
    )


def message_vector(text: str, *, style: bool, vector: Vector | None = None) -> Features:
    """The encoding of ``text``, followed by its style figures when ``style``."""
    vector = encode(text) if vector is None else vector
    if not style:
        return vector
    return np.concatenate([vector, np.asarray(_style(text), dtype=np.float32)])


def _trigrams(text: str) -> set[str]:
    folded = " ".join(text.lower().split())
    return {folded[i : i + 3] for i in range(len(folded) - 2)}


def _jaccard(left: set[str] | frozenset[str], right: set[str] | frozenset[str]) -> float:
    union = left | right
    return len(left & right) / len(union) if union else 0.0


def pair_vector(a: str, b: str, va: Vector | None = None, vb: Vector | None = None) -> Features:
    """Figures of a pair, in the order of ``PAIR_FEATURES``, then the two encodings' elementwise
    product and absolute difference (what the pair head weighs dimension by dimension)."""
    va = encode(a) if va is None else va
    vb = encode(b) if vb is None else vb
    refs_a, refs_b = references(a), references(b)
    words_a = {w.lower() for w in _WORD_RE.findall(a)}
    words_b = {w.lower() for w in _WORD_RE.findall(b)}
    shorter, longer = sorted((len(a), len(b)))
    figures = [
        float(va @ vb),
        1.0 if refs_a & refs_b else 0.0,
        1.0 if refs_a and refs_b and not refs_a & refs_b else 0.0,
        _jaccard(words_a, words_b),
        _jaccard(_trigrams(a), _trigrams(b)),
        shorter / longer if longer else 1.0,
    ]
    return np.concatenate([np.asarray(figures, dtype=np.float32), va * vb, np.abs(va - vb)])
