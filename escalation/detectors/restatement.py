"""Does a message state the problem of an earlier one again, in any words?

A trained pair head (``heads.json``, fitted by ``manage.py train_detectors``) over the two
messages' encodings (their elementwise product and difference, their cosine) and a few plain
figures (shared words and letter triples, shared or conflicting order and amount figures).
Its threshold, the lowest reaching precision 0.73 on leave-one-source-out validation (a margin
over the 0.70 it must hold on unseen sources), sits at 0.5. It replaces a hand-written table of
banking concepts that held only on the text it was written against (leave-one-source-out F1
0.45 against 0.65; docs/triggers.md has the figures).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Generic, ParamSpec, Protocol, TypeVar, cast

from escalation.detectors.encoder import Vector, encode
from escalation.detectors.features import pair_vector, references
from escalation.detectors.heads import head
from escalation.detectors.signal import Signal, quote

__all__ = ["DEFAULT_REPEAT_THRESHOLD", "is_restatement", "similarity"]

DEFAULT_REPEAT_THRESHOLD = 0.5
CACHE_SIZE = 16384

Params = ParamSpec("Params")
Answer = TypeVar("Answer", covariant=True)


class _CachedByText(Protocol, Generic[Params, Answer]):
    def __call__(self, *args: Params.args, **kwargs: Params.kwargs) -> Answer: ...

    cache_clear: Callable[[], None]


def _cached_by_text(function: Callable[Params, Answer]) -> _CachedByText[Params, Answer]:
    """The answers of a function of two texts, their vectors (their messages' stored encodings;
    None: encoded when needed) and keyword options, kept by the texts and options alone: a
    vector is a function of its text. Not lru_cache, which would key on the vectors (numpy
    arrays cannot be keys) and keep them alive in its keys (3 KB a pair). When full it empties:
    each pair is scored again on its next evaluation, 24 µs a pair with its vectors given
    (measured over 435 pairs of the bench's customer turns)."""
    answers: dict[tuple[object, ...], Answer] = {}

    @wraps(function)
    def cached(
        a: str, b: str, va: Vector | None = None, vb: Vector | None = None, **options: float
    ) -> Answer:
        key = (a, b, *options.items())
        answer = answers.get(key)
        if answer is None:
            if len(answers) >= CACHE_SIZE:
                answers.clear()
            answer = answers[key] = function(a, b, va, vb, **options)  # type: ignore[arg-type]
        return answer

    typed = cast(_CachedByText[Params, Answer], cached)
    typed.cache_clear = answers.clear
    return typed


@_cached_by_text
def similarity(a: str, b: str, va: Vector | None = None, vb: Vector | None = None) -> float:
    """How likely ``b`` restates the problem of ``a`` (0..1; symmetric); ``va`` and ``vb``, their
    stored encodings when they have one. Cached: the re-ask count compares each customer turn
    with the earlier ones again on every turn."""
    return head("repeats").probability(pair_vector(a, b, va, vb))


@_cached_by_text
def is_restatement(
    a: str,
    b: str,
    va: Vector | None = None,
    vb: Vector | None = None,
    *,
    threshold: float = DEFAULT_REPEAT_THRESHOLD,
) -> Signal:
    """Does ``b`` restate the problem of ``a`` (a re-ask) rather than raise a new one? ``va`` and
    ``vb`` as for similarity. Cached too: its evidence costs more than the cached score (the
    bench's 30-turn evaluation ran at 1,650/s without it)."""
    if not a.strip() or not b.strip():
        return Signal(False, 0.0, "empty message")
    va = encode(a) if va is None else va
    vb = encode(b) if vb is None else vb
    score = round(similarity(a, b, va, vb), 4)
    fired = score >= threshold
    evidence = f"meaning {float(va @ vb):.2f} alike"
    shared = sorted(references(a) & references(b))
    if shared:
        evidence += f"; same reference {', '.join(shared)}"
    verdict = "restated" if fired else "different"
    return Signal(fired, score, f"{verdict} ({score:.2f}): {evidence}; {quote(b, 60)}")
