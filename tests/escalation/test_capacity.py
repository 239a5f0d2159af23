from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from escalation import capacity, triggers
from escalation.capacity import Capacity, capacity_estimate, soft_thresholds, wait_estimate
from escalation.decisions import verdict_reach
from escalation.models import AgentProfile, Handoff, TriggerPolicy
from escalation.triggers import TriggerResult, Turn
from tests.support.factories import HandoffFactory, agent_user

SOFT = TriggerResult("low_confidence", True, 0.8, 0.5, "AI confidence 0.20")
HARD = TriggerResult("human_requested", True, 0.9, None, "asked for a person")


def make_capacity(**kwargs: int | None) -> Capacity:
    values: dict = {
        "available_agents": 2,
        "total_slots": 6,
        "free_slots": 6,
        "queue_length": 0,
        "median_handle_seconds": 600,
        "estimated_wait_seconds": 0,
    }
    return Capacity(**(values | kwargs))


def available_agent(max_cases: int = 2) -> AgentProfile:
    user = agent_user()
    return AgentProfile.objects.create(
        user=user, presence=AgentProfile.Presence.AVAILABLE, max_concurrent_cases=max_cases
    )


def test_no_agents_hold_soft_triggers_back() -> None:
    nobody = make_capacity(
        available_agents=0, total_slots=0, free_slots=0, estimated_wait_seconds=None
    )
    verdict = verdict_reach(results=[SOFT], capacity=nobody, held_before=0, max_held=3)
    assert not verdict.escalate
    assert verdict.held


def test_no_agents_still_hand_off_on_hard_triggers() -> None:
    nobody = make_capacity(
        available_agents=0, total_slots=0, free_slots=0, estimated_wait_seconds=None
    )
    verdict = verdict_reach(results=[SOFT, HARD], capacity=nobody, held_before=0, max_held=3)
    assert verdict.escalate


def test_available_agents_take_soft_triggers() -> None:
    verdict = verdict_reach(results=[SOFT], capacity=make_capacity(), held_before=0, max_held=3)
    assert verdict.escalate


def test_the_try_too_long_guard_holds_n_signals_and_hands_off_on_the_next() -> None:
    nobody = make_capacity(
        available_agents=0, total_slots=0, free_slots=0, estimated_wait_seconds=None
    )
    assert verdict_reach(results=[SOFT], capacity=nobody, held_before=2, max_held=3).held
    assert verdict_reach(results=[SOFT], capacity=nobody, held_before=3, max_held=3).escalate


def test_idle_agents_relax_and_long_waits_tighten_the_soft_thresholds(db: None) -> None:
    policy = TriggerPolicy.current()
    idle = soft_thresholds(policy=policy, capacity=make_capacity())
    busy = soft_thresholds(
        policy=policy,
        capacity=make_capacity(free_slots=0, queue_length=9, estimated_wait_seconds=3600),
    )
    normal = soft_thresholds(
        policy=policy,
        capacity=make_capacity(free_slots=1, queue_length=1, estimated_wait_seconds=60),
    )
    assert idle.low_confidence > normal.low_confidence > busy.low_confidence
    assert idle.distress < normal.distress < busy.distress
    assert normal.low_confidence == policy.low_confidence_threshold


def test_wait_is_zero_while_a_slot_is_free_and_grows_with_the_queue() -> None:
    args = {"available_agents": 2, "total_slots": 4, "handle": 600}
    assert wait_estimate(free_slots=1, queue_length=0, **args) == 0
    assert wait_estimate(free_slots=0, queue_length=0, **args) == 150
    assert wait_estimate(free_slots=0, queue_length=3, **args) == 600
    assert (
        wait_estimate(free_slots=0, queue_length=3, available_agents=0, total_slots=0, handle=600)
        is None
    )


def test_capacity_is_measured_from_presence_load_and_queue(db: None) -> None:
    ana = available_agent(max_cases=2)
    available_agent(max_cases=3)
    away = agent_user()
    AgentProfile.objects.create(user=away, presence=AgentProfile.Presence.AWAY)
    HandoffFactory(status=Handoff.Status.CLAIMED, claimed_by=ana.user, claimed_at=timezone.now())
    HandoffFactory()
    HandoffFactory()

    measured = capacity_estimate()

    assert measured.available_agents == 2
    assert measured.total_slots == 5
    assert measured.free_slots == 4
    assert measured.queue_length == 2
    assert measured.estimated_wait_seconds == 0


def test_recent_handle_time_is_the_median_of_resolved_cases(db: None) -> None:
    agent = agent_user()
    now = timezone.now()
    for minutes in (2, 4, 30):
        HandoffFactory(
            status=Handoff.Status.RESOLVED,
            claimed_by=agent,
            claimed_at=now - timedelta(minutes=minutes),
            resolved_at=now,
        )
    assert capacity.median_handle_seconds(default=999) == pytest.approx(240, abs=1)


def test_without_history_the_policy_default_handle_time_is_used(db: None) -> None:
    assert capacity.median_handle_seconds(default=777) == 777


def test_turns_share_a_recent_capacity_estimate(db: None) -> None:
    from django.core.cache import cache

    estimate = capacity.capacity_recent(policy=TriggerPolicy.current())
    available_agent()

    assert capacity.capacity_recent(policy=TriggerPolicy.current()) == estimate
    cache.delete(capacity.RECENT_CAPACITY_KEY)  # as RECENT_CAPACITY_SECONDS passing does
    later = capacity.capacity_recent(policy=TriggerPolicy.current())
    assert later.available_agents == estimate.available_agents + 1


def test_the_policy_is_read_from_the_cache(db: None) -> None:
    from django.core.cache import cache

    TriggerPolicy.current()
    TriggerPolicy.objects.filter(pk=1).update(low_confidence_threshold=0.99)  # not through save

    assert TriggerPolicy.current().low_confidence_threshold == 0.5
    cache.delete(TriggerPolicy.CACHE_KEY)
    assert TriggerPolicy.current().low_confidence_threshold == 0.99


def test_a_saved_policy_applies_at_once(db: None) -> None:
    capacity.policy_and_capacity()
    policy = TriggerPolicy.current()
    policy.low_confidence_threshold = 0.42
    policy.save()

    assert capacity.policy_and_capacity()[0].low_confidence_threshold == 0.42


def test_a_policy_cached_by_another_request_meanwhile_is_cleared_on_commit(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.cache import cache

    policy = TriggerPolicy.current()
    with django_capture_on_commit_callbacks(execute=True):
        policy.low_confidence_threshold = 0.42
        policy.save()
        cache.set(TriggerPolicy.CACHE_KEY, TriggerPolicy(pk=1))  # read before the commit

    assert TriggerPolicy.current().low_confidence_threshold == 0.42


def test_with_agents_idle_a_calm_first_message_about_a_late_parcel_is_not_distress(
    db: None,
) -> None:
    idle = soft_thresholds(policy=TriggerPolicy.current(), capacity=make_capacity())
    assert idle.distress < TriggerPolicy.current().distress_threshold  # relaxed

    calm = [Turn("customer", "My parcel still hasn't arrived, can you check where it is?")]
    angry = [Turn("customer", "This is ridiculous, my parcel STILL hasn't arrived!!!")]

    assert not triggers.distress(turns=calm, thresholds=idle).fired
    assert triggers.distress(turns=angry, thresholds=idle).fired
