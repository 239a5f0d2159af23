"""Current capacity, measured: who is available now, their free slots, the queue, recent handle
time, and the wait that follows. The soft triggers' thresholds follow it."""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from escalation.backends import outage_safe
from escalation.models import AgentProfile, Handoff, Team, TriggerPolicy
from escalation.triggers import Thresholds

HANDLE_TIME_WINDOW = timedelta(days=7)
HANDLE_TIME_SAMPLE = 200
RECENT_CAPACITY_KEY = "capacity-estimate"
RECENT_CAPACITY_SECONDS = 2


@dataclass(frozen=True)
class Capacity:
    available_agents: int
    total_slots: int
    free_slots: int
    queue_length: int
    median_handle_seconds: int
    estimated_wait_seconds: int | None  # None: nobody is available to take it

    @property
    def is_idle(self) -> bool:
        return self.available_agents > 0 and self.free_slots > self.queue_length

    @property
    def queue_position(self) -> int:
        return self.queue_length + 1


def wait_estimate(
    *, available_agents: int, total_slots: int, free_slots: int, queue_length: int, handle: int
) -> int | None:
    """Seconds until a new case is picked up: nothing while a slot is free for it, else the cases
    ahead of it, worked off by every slot in parallel at the recent handle time."""
    if available_agents == 0 or total_slots == 0:
        return None
    ahead = queue_length + 1 - free_slots
    if ahead <= 0:
        return 0
    return math.ceil(ahead * handle / total_slots)


def median_handle_seconds(*, default: int) -> int:
    """Median of claimed → resolved over the latest resolved cases of the last week (a bounded
    sample, so the cost does not grow with history)."""
    since = timezone.now() - HANDLE_TIME_WINDOW
    durations = (
        Handoff.objects.filter(
            status=Handoff.Status.RESOLVED, resolved_at__gte=since, claimed_at__isnull=False
        )
        .annotate(
            handle=ExpressionWrapper(
                F("resolved_at") - F("claimed_at"), output_field=DurationField()
            )
        )
        .order_by("-resolved_at")[:HANDLE_TIME_SAMPLE]
    )
    values = sorted(durations.values_list("handle", flat=True))
    if not values:
        return default
    return max(1, int(values[len(values) // 2].total_seconds()))


def capacity_estimate(
    *, team: Team | None = None, policy: TriggerPolicy | None = None, handle: int | None = None
) -> Capacity:
    """`handle`: the recent handle time when the caller has it (from capacity_recent: it is
    measured over a week, over every team)."""
    agents = AgentProfile.objects.filter(presence=AgentProfile.Presence.AVAILABLE)
    queue = Handoff.objects.filter(status=Handoff.Status.QUEUED)
    if team is not None:
        agents = agents.filter(teams=team)
        queue = queue.filter(Q(team=team) | Q(team__isnull=True))
    loads = agents.annotate(
        open_cases=Count(
            "user__claimed_handoffs",
            filter=Q(user__claimed_handoffs__status=Handoff.Status.CLAIMED),
        )
    ).values_list("max_concurrent_cases", "open_cases")
    total_slots = free_slots = available = 0
    for max_cases, open_cases in loads:
        available += 1
        total_slots += max_cases
        free_slots += max(0, max_cases - open_cases)
    queue_length = queue.count()
    if handle is None:
        policy = policy or TriggerPolicy.current()
        handle = median_handle_seconds(default=policy.default_handle_seconds)
    return Capacity(
        available_agents=available,
        total_slots=total_slots,
        free_slots=free_slots,
        queue_length=queue_length,
        median_handle_seconds=handle,
        estimated_wait_seconds=wait_estimate(
            available_agents=available,
            total_slots=total_slots,
            free_slots=free_slots,
            queue_length=queue_length,
            handle=handle,
        ),
    )


def capacity_recent(*, policy: TriggerPolicy) -> Capacity:
    """The estimate each turn's decision weighs, at most RECENT_CAPACITY_SECONDS old: the
    turns share one from the cache instead of running its queries each. A handoff quotes the
    wait from a fresh estimate for its team (decisions.decide_and_act)."""
    capacity: Capacity | None = outage_safe.cache_get(RECENT_CAPACITY_KEY)
    if capacity is None:
        capacity = capacity_estimate(policy=policy)
        outage_safe.cache_set(RECENT_CAPACITY_KEY, capacity, RECENT_CAPACITY_SECONDS)
    return capacity


def policy_and_capacity() -> tuple[TriggerPolicy, Capacity]:
    policy = TriggerPolicy.current()
    return policy, capacity_recent(policy=policy)


def soft_thresholds(*, policy: TriggerPolicy, capacity: Capacity | None) -> Thresholds:
    """Idle agents relax the soft thresholds (escalate sooner); a long or unknown wait tightens
    them (the AI keeps trying a little longer). Without capacity, the policy's own values."""
    shift = 0.0
    if capacity is not None:
        wait = capacity.estimated_wait_seconds
        if wait is None or wait > policy.max_wait_seconds:
            shift = -policy.capacity_adjustment
        elif capacity.is_idle:
            shift = policy.capacity_adjustment
    return Thresholds(
        low_confidence=_clamp(policy.low_confidence_threshold + shift),
        distress=_clamp(policy.distress_threshold - shift),
        repeat_similarity=policy.repeat_similarity_threshold,
        reask_limit=policy.reask_limit,
    )


def _clamp(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)
