from decimal import Decimal

import pytest

from escalation import triggers
from escalation.triggers import Scope, Thresholds, Turn

THRESHOLDS = Thresholds(low_confidence=0.5, distress=0.5, repeat_similarity=0.5, reask_limit=2)
SCOPE = Scope(actions={"lookup_order": {}, "issue_credit": {"amount": Decimal(50)}})


def test_low_confidence_fires_below_the_threshold_with_evidence() -> None:
    result = triggers.low_confidence(confidence=0.3, threshold=0.5)
    assert result.fired
    assert result.kind == "low_confidence"
    assert result.threshold == 0.5
    assert "0.30" in result.evidence and "below" in result.evidence


def test_low_confidence_holds_at_or_above_the_threshold() -> None:
    assert not triggers.low_confidence(confidence=0.5, threshold=0.5).fired
    assert not triggers.low_confidence(confidence=None, threshold=0.5).fired


@pytest.mark.parametrize(
    "text",
    [
        "can I talk to a real person",
        "agent please",
        "representative",
        "get me a human",
        "I want to speak to someone",
        "operator",
        "cna i tlak to a huamn",
        "quiero hablar con una persona",
        "je veux parler à un conseiller",
        "ich möchte mit einem Mitarbeiter sprechen",
        "quero falar com um atendente",
        "human agent now pls",
        "put me through to billing",
        "representative needed urgently",
        "is there somebody who could help me",
        "is anybody around to help",
    ],
)
def test_human_requested_fires_on_the_first_ask(text: str) -> None:
    result = triggers.human_requested(text=text)
    assert result.fired, text
    assert result.is_hard


@pytest.mark.parametrize(
    "text",
    [
        "the agent at the store said it would arrive Monday",
        "it was a human error on my side",
        "I am not a robot",
        "no need for a person, thanks",
        "where is my order 1234?",
    ],
)
def test_human_requested_ignores_mere_mentions(text: str) -> None:
    assert not triggers.human_requested(text=text).fired, text


def test_out_of_scope_blocks_an_amount_over_the_limit_with_the_rule() -> None:
    result = triggers.out_of_scope(name="issue_credit", params={"amount": 80}, scope=SCOPE)
    assert result.fired and result.is_hard
    assert "issue_credit.amount ≤ 50" in result.evidence
    assert "80" in result.evidence


def test_out_of_scope_allows_an_amount_within_the_limit() -> None:
    assert not triggers.out_of_scope(name="issue_credit", params={"amount": 50}, scope=SCOPE).fired


def test_out_of_scope_blocks_an_action_not_authorised() -> None:
    result = triggers.out_of_scope(name="close_account", params={}, scope=SCOPE)
    assert result.fired
    assert "close_account is not in the AI's scope" in result.evidence


def test_out_of_scope_blocks_a_limit_that_is_not_a_number() -> None:
    result = triggers.out_of_scope(name="issue_credit", params={"amount": "lots"}, scope=SCOPE)
    assert result.fired


def test_distress_fires_on_frustrated_language() -> None:
    turns = [Turn("customer", "This is RIDICULOUS, third time I'm asking, useless service!!")]
    result = triggers.distress(turns=turns, thresholds=THRESHOLDS)
    assert result.fired
    assert not result.is_hard


def test_distress_stays_quiet_on_a_calm_question() -> None:
    turns = [Turn("customer", "Could you tell me when my parcel will arrive?")]
    assert not triggers.distress(turns=turns, thresholds=THRESHOLDS).fired


def test_repeated_re_asks_after_answers_count_as_distress() -> None:
    turns = [
        Turn("customer", "Where is my refund for order 1234?"),
        Turn("ai", "Refunds take 5 days."),
        Turn("customer", "Where is the refund for my order 1234?"),
        Turn("ai", "Refunds take 5 days."),
        Turn("customer", "I still want to know where my refund for order 1234 is"),
    ]
    count, evidence = triggers.reask_count(turns, threshold=0.5)
    assert count == 2
    assert "re-asked" in evidence
    result = triggers.distress(turns=turns, thresholds=THRESHOLDS)
    assert result.fired
    assert "2 re-asks" in result.evidence


def test_a_question_asked_twice_before_any_answer_is_not_a_re_ask() -> None:
    turns = [
        Turn("customer", "Where is my refund for order 1234?"),
        Turn("customer", "Where is the refund for my order 1234?"),
    ]
    assert triggers.reask_count(turns, threshold=0.5)[0] == 0


def test_within_a_hand_back_grace_soft_signals_do_not_fire() -> None:
    turns = [Turn("customer", "This is useless and ridiculous, I am fed up!!!")]
    results = triggers.triggers_for_customer_turn(turns=turns, thresholds=THRESHOLDS)

    graced = triggers.handback_graced(results)

    distress = next(r for r in graced if r.kind == "distress")
    assert not distress.fired
    assert "handed back" in distress.evidence


def test_within_a_hand_back_grace_a_new_ask_for_a_person_still_fires() -> None:
    turns = [Turn("customer", "let me talk to a human")]
    results = triggers.triggers_for_customer_turn(turns=turns, thresholds=THRESHOLDS)

    graced = triggers.handback_graced(results)

    assert next(r for r in graced if r.kind == "human_requested").fired
