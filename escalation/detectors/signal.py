"""What a detector says of one message, or of a pair of messages."""

from dataclasses import dataclass

__all__ = ["Signal"]


@dataclass(frozen=True)
class Signal:
    fired: bool
    score: float
    evidence: str  # what an agent reads on the case screen: the words or figures that decided
