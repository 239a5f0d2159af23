"""What a detector says of one message, or of a pair of messages."""

from dataclasses import dataclass

__all__ = ["Signal", "quote"]


@dataclass(frozen=True)
class Signal:
    fired: bool
    score: float
    evidence: str  # what an agent reads on the case screen: the words or figures that decided
    negated: bool = False  # the words ask for the opposite ("no need for a person")


def quote(text: str, limit: int = 80) -> str:
    """A message as evidence quotes it: one line, cut at ``limit`` characters."""
    snippet = " ".join(text.split())
    if len(snippet) > limit:
        snippet = snippet[: limit - 1].rstrip() + "\u2026"
    return f'"{snippet}"'
