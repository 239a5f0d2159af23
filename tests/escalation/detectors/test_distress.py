"""The distress detector: the trained head over the encoding and the style figures."""

import pytest

from escalation.detectors.distress import DEFAULT_DISTRESS_THRESHOLD, detect_distress

RELAXED = 0.35  # the policy's 0.5 relaxed by its capacity adjustment when agents are idle


@pytest.mark.parametrize(
    "text",
    [
        "My parcel still hasn't arrived, can you check?",
        "I'll leave on the 5th, can I change the booking?",
        "How do I change my delivery address?",
        "Thanks, that was really helpful!",
        "Can I get a refund for my last order?",
        "I need help with my PIN",
        "OK",
        "",
    ],
)
def test_calm_messages_do_not_fire_even_at_the_relaxed_threshold(text: str) -> None:
    assert not detect_distress(text, threshold=RELAXED).fired


@pytest.mark.parametrize(
    "text",
    [
        "This is ridiculous, third time I'm asking!!!",
        "THIS IS THE WORST SERVICE I HAVE EVER HAD",
        "what the fuck is wrong with your app",
        "you are useless",
        "complete waste of time",
        "totally unacceptable, still not fixed after two weeks",
        "I am so angry right now",
    ],
)
def test_frustration_fires_with_the_words_that_decided(text: str) -> None:
    signal = detect_distress(text)
    assert signal.fired, signal
    assert signal.score >= DEFAULT_DISTRESS_THRESHOLD
    quoted = signal.evidence.split('"')[1]
    assert quoted and quoted in text


def test_the_threshold_is_respected() -> None:
    text = "this is a bit annoying"
    score = detect_distress(text).score
    assert 0.0 < score < 1.0
    assert detect_distress(text, threshold=score).fired
    assert not detect_distress(text, threshold=min(1.0, score + 0.01)).fired


def test_the_evidence_names_the_words_and_the_tone() -> None:
    signal = detect_distress("you are useless")
    assert '"you are useless"' in signal.evidence
    assert "negative wording" in signal.evidence
