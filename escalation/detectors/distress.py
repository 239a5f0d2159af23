"""Is the customer frustrated, angry or distressed?

The trained head (``heads.json``) over the message's encoding and five style figures (VADER's
negative share and compound score, capitals, "!" and "?"). Its threshold, chosen on
leave-one-source-out validation so that at the relaxed threshold (agents idle: 0.35) no more
than 1% of calm customer-service messages fire, sits at 0.5. It replaced cue-word rules that
fired on calm queries ("still hasn't arrived", a product named "Dumb Phone") and measured no
better on unseen sources (docs/triggers.md).
"""

from __future__ import annotations

from escalation.detectors import encoder
from escalation.detectors.encoder import Vector
from escalation.detectors.explain import deciding_words
from escalation.detectors.features import STYLE_FEATURES, message_vector
from escalation.detectors.heads import head
from escalation.detectors.signal import Signal, quote

__all__ = ["DEFAULT_DISTRESS_THRESHOLD", "detect_distress"]

DEFAULT_DISTRESS_THRESHOLD = 0.5

# How each style figure reads as evidence, where it raised the score by a logit or more.
_STYLE_EVIDENCE = {
    "vader_negative": "negative wording",
    "vader_compound": "negative tone",
    "capitals": "capitals",
    "exclamations": "exclamation marks",
    "questions": "question marks",
}
_STYLE_PUSH = 1.0


def detect_distress(
    text: str, vector: Vector | None = None, *, threshold: float = DEFAULT_DISTRESS_THRESHOLD
) -> Signal:
    """Fires when the head's probability reaches ``threshold``; ``vector``: the message's stored
    encoding, if it has one (else it is encoded). The evidence names the words that raised the
    score most and any style figure that raised it by a logit or more."""
    if not text.strip():
        return Signal(False, 0.0, "empty message")
    model = head("distress")
    features = message_vector(text, style=True, vector=vector)
    probability = round(model.probability(features), 4)
    if probability < threshold:
        return Signal(False, probability, f"below threshold ({probability:.2f})")
    pushes = features[encoder.DIMENSION :] * model.weights[encoder.DIMENSION :]
    style = [
        _STYLE_EVIDENCE[name]
        for name, push in zip(STYLE_FEATURES, pushes, strict=True)
        if push >= _STYLE_PUSH
    ]
    words = deciding_words(text, model.weights[: encoder.DIMENSION])
    evidence = "; ".join([quote(words), *style])
    return Signal(True, probability, f"distress ({probability:.2f}): {evidence}")
