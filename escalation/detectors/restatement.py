"""Does a message state the problem of an earlier one again, in any words?

A trained pair head (``heads.json``, fitted by ``manage.py train_detectors``) over the two
messages' encodings (their elementwise product and difference, their cosine) and a few plain
figures (shared words and letter triples, shared or conflicting order and amount figures).
Its threshold, the lowest reaching precision 0.70 on leave-one-source-out validation, sits
at 0.5. It replaces a hand-written table of banking concepts that held only on the text it was
written against (leave-one-source-out F1 0.45 against 0.67; docs/triggers.md has the figures).
"""

from __future__ import annotations

from functools import lru_cache

from escalation.detectors.encoder import encode
from escalation.detectors.features import pair_vector, references
from escalation.detectors.heads import head
from escalation.detectors.signal import Signal

__all__ = ["DEFAULT_REPEAT_THRESHOLD", "is_restatement", "similarity"]

DEFAULT_REPEAT_THRESHOLD = 0.5


@lru_cache(maxsize=16384)
def similarity(a: str, b: str) -> float:
    """How likely ``b`` restates the problem of ``a`` (0..1; symmetric). Cached: the re-ask
    count compares each customer turn with the earlier ones again on every turn."""
    return head("repeats").probability(pair_vector(a, b))


def _quote(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return f'"{flat if len(flat) <= limit else flat[: limit - 1] + "…"}"'


@lru_cache(maxsize=16384)
def is_restatement(a: str, b: str, *, threshold: float = DEFAULT_REPEAT_THRESHOLD) -> Signal:
    """Does ``b`` restate the problem of ``a`` (a re-ask) rather than raise a new one? Cached
    too: its evidence costs more than the cached score (the bench's 30-turn evaluation ran at
    1,650/s without it)."""
    if not a.strip() or not b.strip():
        return Signal(False, 0.0, "empty message")
    score = round(similarity(a, b), 4)
    fired = score >= threshold
    evidence = f"meaning {float(encode(a) @ encode(b)):.2f} alike"
    shared = sorted(references(a) & references(b))
    if shared:
        evidence += f"; same reference {', '.join(shared)}"
    verdict = "restated" if fired else "different"
    return Signal(fired, score, f"{verdict} ({score:.2f}): {evidence}; {_quote(b)}")
