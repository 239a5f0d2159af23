from datetime import timedelta
from typing import Any, cast

import pytest
from django.utils import timezone

from escalation.held import held_signals
from escalation.models import Handoff, Message
from tests.agents_console.conftest import logged_in
from tests.factories import HandoffFactory, MessageFactory, console_agent

pytestmark = pytest.mark.django_db


def held_decision(kind: str = "distress", score: float = 0.8) -> dict[str, Any]:
    """A decision as decide_and_act stores it when nobody can take the case: the soft trigger
    fired, the conversation stayed with the AI."""
    return {
        "escalate": False,
        "triggers": [
            {"kind": kind, "fired": True, "score": score, "threshold": 0.65, "evidence": "angry"},
            {"kind": "human_requested", "fired": False, "score": 0.1, "threshold": 0.5},
        ],
        "handoff": None,
    }


def turn(handoff: Handoff, *, minutes_before: int, decision: dict[str, Any] | None) -> Message:
    message = cast(
        Message,
        MessageFactory(
            conversation=handoff.conversation,
            sent_at=handoff.queued_at - timedelta(minutes=minutes_before),
            decision=decision,
        ),
    )
    return message


def test_every_soft_signal_held_back_before_the_handoff_is_listed_oldest_first() -> None:
    handoff = cast(Handoff, HandoffFactory())
    for minutes in (30, 20, 10):
        turn(handoff, minutes_before=minutes, decision=held_decision(score=minutes / 100))

    signals = held_signals(handoff=handoff)

    assert [(s.kind, s.score, s.threshold) for s in signals] == [
        ("distress", 0.3, 0.65),
        ("distress", 0.2, 0.65),
        ("distress", 0.1, 0.65),
    ]
    assert signals[0].at == handoff.queued_at - timedelta(minutes=30)
    assert signals[0].why == "no agent was available"


def test_a_decision_that_says_it_held_nothing_is_not_listed() -> None:
    """A soft trigger that fired within a hand-back's grace, say, was not held back."""
    handoff = cast(Handoff, HandoffFactory())
    turn(handoff, minutes_before=5, decision=held_decision() | {"held": False})
    turn(handoff, minutes_before=4, decision=held_decision() | {"held": True, "held_count": 1})

    assert len(held_signals(handoff=handoff)) == 1


def test_a_decision_that_handed_off_or_fired_nothing_is_not_held() -> None:
    handoff = HandoffFactory()
    turn(handoff, minutes_before=5, decision=held_decision() | {"escalate": True})
    turn(handoff, minutes_before=4, decision={"escalate": False, "triggers": []})
    turn(handoff, minutes_before=3, decision=None)

    assert held_signals(handoff=handoff) == []


def test_signals_held_before_an_earlier_handoff_belong_to_that_one() -> None:
    now = timezone.now()
    first = HandoffFactory(
        queued_at=now - timedelta(hours=2),
        status=Handoff.Status.RETURNED,
        resolved_at=now - timedelta(hours=1),
    )
    turn(first, minutes_before=10, decision=held_decision())
    second = HandoffFactory(conversation=first.conversation, queued_at=now)
    turn(second, minutes_before=10, decision=held_decision(kind="low_confidence"))

    assert [s.kind for s in held_signals(handoff=second)] == ["low_confidence"]


def test_the_case_lists_them_under_why_it_escalated() -> None:
    handoff = HandoffFactory(triggers=[{"kind": "distress", "fired": True, "evidence": "x"}])
    for minutes in (30, 20, 10):
        turn(handoff, minutes_before=minutes, decision=held_decision())
    client = logged_in(console_agent())

    content = client.get(f"/console/cases/{handoff.pk}/").content.decode()

    why = content[content.index('id="h-why"') : content.index('id="h-history"')]
    assert "Held back before the handoff (3)" in why
    assert why.count("held: no agent was available") == 3
    assert "score 0.80 (threshold 0.65)" in why
