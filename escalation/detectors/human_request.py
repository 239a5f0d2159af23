"""Does the customer ask to be handed to a person, a role or a department?

Two parts, validated together on sources neither saw (docs/triggers.md): the trained head over
the message's encoding (``heads.json``), and the phrase rules of ``lexicons.py``. A request the
rules find fires, as does one the head scores at 0.5 or more (its leave-one-source-out
threshold); a request the rules find negated ("I don't want to talk to an agent, just...") does
not, whatever the head says. Measured leave-one-source-out on the eleven sources with hand-off
intents, the head alone reached mean F1 0.79 and the rules alone 0.87; together, 0.89.
"""

from __future__ import annotations

from escalation.detectors import encoder, lexicons
from escalation.detectors.encoder import Vector
from escalation.detectors.explain import deciding_words
from escalation.detectors.features import message_vector
from escalation.detectors.heads import head
from escalation.detectors.signal import Signal, quote

__all__ = ["detect_human_request"]


def detect_human_request(text: str, vector: Vector | None = None) -> Signal:
    """Does ``text`` ask for a person? ``vector``: its stored encoding, if it has one (else it
    is encoded). Evidence: the rule's phrase, or the words that raised the head's score most."""
    if not text.strip():
        return Signal(False, 0.0, "empty message")
    rules = lexicons.detect_human_request(text)
    if rules.fired or rules.negated:
        return rules
    model = head("human_request")
    probability = round(model.probability(message_vector(text, style=False, vector=vector)), 4)
    if probability < 0.5:
        return Signal(False, probability, f"no request for a person ({probability:.2f})")
    words = deciding_words(text, model.weights[: encoder.DIMENSION])
    return Signal(True, probability, f"asked for a person ({probability:.2f}): {quote(words)}")
