from datetime import timedelta
from typing import cast

import pytest
from django.utils import timezone

from escalation.held import NO_AGENT, held_signals
from escalation.models import Handoff, HeldSignal
from tests.agents_console.conftest import logged_in
from tests.support.factories import HandoffFactory, console_agent

pytestmark = pytest.mark.django_db


def held(
    handoff: Handoff, *, minutes_before: int, kind: str = "distress", score: float = 0.8
) -> None:
    """A soft signal as the decisions record it when nobody can take the case."""
    HeldSignal.objects.create(
        conversation=handoff.conversation,
        kind=kind,
        at=handoff.queued_at - timedelta(minutes=minutes_before),
        score=score,
        threshold=0.65,
        evidence="angry",
        why=NO_AGENT,
        point=100 + minutes_before,
    )


def test_every_soft_signal_held_back_before_the_handoff_is_listed_oldest_first() -> None:
    handoff = cast(Handoff, HandoffFactory())
    for minutes in (30, 20, 10):
        held(handoff, minutes_before=minutes, score=minutes / 100)

    signals = held_signals(handoff=handoff)

    assert [(s.kind, s.score, s.threshold) for s in signals] == [
        ("distress", 0.3, 0.65),
        ("distress", 0.2, 0.65),
        ("distress", 0.1, 0.65),
    ]
    assert signals[0].at == handoff.queued_at - timedelta(minutes=30)
    assert signals[0].why == "no agent was available"


def test_a_signal_held_after_the_handoff_was_queued_is_not_listed() -> None:
    handoff = cast(Handoff, HandoffFactory())
    held(handoff, minutes_before=-1)

    assert held_signals(handoff=handoff) == []


def test_signals_held_before_an_earlier_handoff_belong_to_that_one() -> None:
    now = timezone.now()
    first = HandoffFactory(
        queued_at=now - timedelta(hours=2),
        status=Handoff.Status.RETURNED,
        resolved_at=now - timedelta(hours=1),
    )
    held(first, minutes_before=10)
    second = HandoffFactory(conversation=first.conversation, queued_at=now)
    held(second, minutes_before=11, kind="low_confidence")

    assert [s.kind for s in held_signals(handoff=second)] == ["low_confidence"]


def test_the_case_lists_them_under_why_it_escalated() -> None:
    handoff = HandoffFactory(triggers=[{"kind": "distress", "fired": True, "evidence": "x"}])
    for minutes in (30, 20, 10):
        held(handoff, minutes_before=minutes)
    client = logged_in(console_agent())

    content = client.get(f"/console/cases/{handoff.pk}/").content.decode()

    why = content[content.index('id="h-why"') : content.index('id="h-history"')]
    assert "Held back before the handoff (3)" in why
    assert why.count("held: no agent was available") == 3
    assert "score 0.80 (threshold 0.65)" in why
