"""The shipped detector of asks for a person: the trained head with the phrase rules beside it."""

import pytest

from escalation.detectors import encoder, lexicons
from escalation.detectors.features import message_vector
from escalation.detectors.heads import head
from escalation.detectors.human_request import detect_human_request
from tests.conftest import EncoderRuns


def head_probability(text: str) -> float:
    return head("human_request").probability(message_vector(text, style=False))


@pytest.mark.parametrize(
    "text", ["human agent now pls", "put me through to billing", "Can a person call me back?"]
)
def test_a_first_ask_in_any_words_fires(text: str) -> None:
    signal = detect_human_request(text)
    assert signal.fired, signal
    assert signal.score >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "no need for a person, thanks",
        "where is my parcel",
        "what is your phone number",
        "are you a bot?",
        "I need help with my order",
        "",
    ],
)
def test_everyday_questions_and_negations_do_not_fire(text: str) -> None:
    assert not detect_human_request(text).fired


def test_a_negated_request_vetoes_the_head() -> None:
    text = "I don't want to talk to a human just fix it"
    assert head_probability(text) >= 0.5  # the head alone reads a request
    signal = detect_human_request(text)
    assert not signal.fired
    assert signal.negated
    assert "negated" in signal.evidence


def test_the_head_fires_where_no_rule_does_and_quotes_the_words_that_decided() -> None:
    # No request verb the rules know; the head reads a request.
    text = "representative needed urgently"
    assert not lexicons.detect_human_request(text).fired
    assert head_probability(text) >= 0.5
    signal = detect_human_request(text)
    assert signal.fired, signal
    quoted = signal.evidence.split('"')[1]
    assert quoted in text and "representative" in quoted


def test_the_deciding_words_are_those_the_head_weighs_most() -> None:
    """The quoted words are read off the head: each token's share of the encoding (the shares
    sum to it, so the head's score is a sum over words) times the head's weights."""
    text = "representative needed urgently"
    _, tokens = encoder.load().tokens(text)
    assert abs(tokens.sum(axis=0) - encoder.encode(text)).max() < 1e-5
    spans, shares = encoder.word_shares(text)
    assert [text[a:b] for a, b in spans] == ["representative", "needed", "urgently"]
    weights = head("human_request").weights[: encoder.DIMENSION]
    best = max(range(len(spans)), key=lambda i: float(shares[i] @ weights))
    assert text[slice(*spans[best])] in detect_human_request(text).evidence


def test_a_fired_head_quotes_its_words_from_the_run_that_encoded_the_message(
    encoder_runs: EncoderRuns,
) -> None:
    text = "representative needed urgently"
    vector = encoder.encode(text)  # as a customer turn is encoded when it is posted

    assert detect_human_request(text, vector).fired
    assert encoder_runs.texts == [text]
