import json
import re
from pathlib import Path

import pytest

from escalation import triggers
from escalation.detectors import encoder
from escalation.detectors.heads import HEADS_FILE
from escalation.detectors.restatement import (
    DEFAULT_REPEAT_THRESHOLD,
    is_restatement,
    similarity,
)
from escalation.detectors.signal import Signal
from tests.conftest import REASKED, EncoderRuns

ROOT = Path(__file__).resolve().parents[3]


def test_the_same_order_in_other_words_is_a_repeat() -> None:
    signal = is_restatement(
        "My order 48213 hasn't arrived yet",
        "I already told the bot: the package for order 48213 never showed up",
    )
    assert signal.fired, signal
    assert "same reference 48213" in signal.evidence


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("my parcel is late", "where is my package?"),
        ("I want to cancel my subscription", "how do I unsubscribe?"),
        ("I was charged twice for the same purchase", "Why is there a duplicate payment?"),
        ("What is the termination penalty?", "how much is the cancellation fee"),
    ],
)
def test_restatements_in_other_words_fire(a: str, b: str) -> None:
    assert is_restatement(a, b).fired, is_restatement(a, b)
    assert similarity(a, b) > similarity(a, "What is the exchange rate for euros?")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("My transfer did not go through", "What is the exchange rate for euros?"),
        ("What is the top-up limit?", "How do I close my account?"),
        ("My order 48213 hasn't arrived", "Order 51877 arrived broken"),
        # A different problem with the same card: one shared word is not one problem (the
        # banking intents' hard negatives taught it).
        ("I lost my card", "my card payment was declined"),
        ("my card was charged twice for one order", "my card does not work at the ATM"),
        ("someone stole my card", "I want to change my card PIN"),
        ("the ATM swallowed my card", "my card has an unknown charge on it"),
        ("I was charged twice on my card", "my card expired, how do I get a new one"),
    ],
)
def test_a_different_problem_is_not_a_repeat(a: str, b: str) -> None:
    signal = is_restatement(a, b)
    assert not signal.fired, signal


@pytest.mark.parametrize(
    ("a", "same", "other"),
    [
        (
            "My card payment was declined at the shop",
            "the store refused my card when I tried to pay",
            "How do I change the PIN of my card?",
        ),
        ("my card is lost", "I can't find my card anywhere", "my card was charged twice"),
        (
            "My order never arrived",
            "I still haven't received my order",
            "How do I return my order?",
        ),
    ],
)
def test_the_same_problem_scores_above_another_problem_with_the_same_thing(
    a: str, same: str, other: str
) -> None:
    assert similarity(a, same) > similarity(a, other)


def test_similarity_is_symmetric_and_bounded() -> None:
    a, b = "my card is not working", "the card stopped working at the ATM"
    assert similarity(a, b) == pytest.approx(similarity(b, a), abs=1e-6)
    assert 0.0 <= similarity(a, b) <= 1.0
    assert similarity(a, a) > DEFAULT_REPEAT_THRESHOLD


def test_the_threshold_is_respected() -> None:
    a, b = "my top up failed", "why did my top-up not work?"
    score = is_restatement(a, b).score
    assert is_restatement(a, b, threshold=score).fired
    assert not is_restatement(a, b, threshold=min(1.0, score + 0.01)).fired


def test_empty_text_is_no_restatement() -> None:
    assert is_restatement("", "my card is lost") == Signal(False, 0.0, "empty message")


def test_a_message_is_encoded_once_however_often_the_conversation_is_evaluated(
    encoder_runs: EncoderRuns,
) -> None:
    texts = [f"encoded once {n}: where is parcel {n}{n}{n}?" for n in range(4)]
    turns = [triggers.Turn("customer" if i % 2 == 0 else "ai", t, 0.9) for i, t in enumerate(texts)]
    for _ in range(3):
        triggers.reask_count(turns, threshold=DEFAULT_REPEAT_THRESHOLD)
    customer_texts = [t.text for t in turns if t.sender == "customer"]
    assert sorted(encoder_runs.texts) == sorted(customer_texts)


def test_turns_with_their_stored_vectors_are_not_encoded(encoder_runs: EncoderRuns) -> None:
    stored = [
        triggers.Turn(sender, text, None, encoder.encode(text) if sender == "customer" else None)
        for sender, text in REASKED
    ]
    encoder_runs.forget()  # read in another process

    count, evidence = triggers.reask_count(stored, threshold=DEFAULT_REPEAT_THRESHOLD)

    assert encoder_runs.texts == []
    assert (count, evidence) == (
        2,
        're-asked after an answer: "I still have not received my refund for order 5521"',
    )


def test_the_caches_are_keyed_by_the_texts(encoder_runs: EncoderRuns) -> None:
    """A vector is a function of its text: a pair judged with its vectors is not judged (nor
    encoded) again without them."""
    a, b = "my card was charged twice", "why was I billed two times?"
    with_vectors = is_restatement(a, b, encoder.encode(a), encoder.encode(b))
    encoder.encode.cache_clear()
    encoder_runs.texts.clear()

    assert is_restatement(a, b) is with_vectors
    assert encoder_runs.texts == []


def test_the_heads_file_names_its_encoder_and_every_source_with_its_commit() -> None:
    shipped = json.loads(HEADS_FILE.read_text(encoding="utf-8"))
    assert shipped["encoder"] == encoder.MODEL_ID
    data_md = (ROOT / "DATA.md").read_text(encoding="utf-8")
    for source, pinned in shipped["sources"].items():
        assert f"`{source}`" in data_md, source
        assert pinned["commit"] in data_md, source
        assert re.fullmatch(r"[0-9a-f]{40}", pinned["commit"])
    repeats = shipped["heads"]["repeats"]
    assert len(repeats["weights"]) == len(repeats["features"])
    assert repeats["leave_one_source_out"]["folds"], "the report of the unseen sources"
