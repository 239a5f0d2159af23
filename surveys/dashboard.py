"""The supervisor dashboard's figures, computed by the database: counts with filters, grouped by
day, trigger kind and agent, and nearest-rank percentiles by an ordered query with an offset."""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from escalation.models import Conversation, Handoff

WAIT = ExpressionWrapper(F("claimed_at") - F("queued_at"), output_field=DurationField())
AI_KEPT_TRYING = ExpressionWrapper(
    F("queued_at") - F("outcome__first_soft_signal_at"), output_field=DurationField()
)
ANSWERED = Q(survey__answered_at__isnull=False)
REPEAT_BOTH_KNOWN = ANSWERED & Q(
    survey__had_to_repeat__isnull=False, outcome__repeated__isnull=False
)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def last_days(cls, days: int = 30, *, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def abandoned_filter(*, now: datetime) -> Q:
    """Still waiting after the limit, or closed without anyone ever claiming it."""
    cutoff = now - timedelta(hours=settings.ABANDONED_AFTER_HOURS)
    return Q(status=Handoff.Status.QUEUED, queued_at__lt=cutoff) | Q(
        status__in=[Handoff.Status.RESOLVED, Handoff.Status.RETURNED], claimed_at__isnull=True
    )


def figure_filters(*, now: datetime) -> dict[str, tuple[str, Q]]:
    """Each figure's cases: the name used in links, its label, and the filter that finds them."""
    return {
        "escalations": ("All handoffs", Q()),
        "repeated": ("Customer repeated themselves", Q(outcome__repeated=True)),
        "not_repeated": ("No repeat", Q(outcome__repeated=False)),
        "fcr": ("Resolved at first contact", Q(outcome__first_contact_resolved=True)),
        "not_fcr": ("Not resolved at first contact", Q(outcome__first_contact_resolved=False)),
        "fcr_pending": (
            "First-contact window still open",
            Q(status=Handoff.Status.RESOLVED, outcome__first_contact_resolved__isnull=True),
        ),
        "helped": ("Survey: the handover helped", Q(survey__did_help=True)),
        "not_helped": ("Survey: the handover did not help", Q(survey__did_help=False)),
        "answered": ("Survey answered", ANSWERED),
        "claimed": ("Claimed by an agent (wait measured)", Q(claimed_at__isnull=False)),
        "abandoned": ("Abandoned in the queue", abandoned_filter(now=now)),
        "empty_queue": (
            "Escalated into an empty queue",
            Q(outcome__agents_available_at_handoff=False),
        ),
        "ai_kept_trying": (
            "AI kept trying after a soft signal",
            Q(outcome__first_soft_signal_at__isnull=False),
        ),
        "repeat_disagrees": (
            "Survey and transcript disagree about repeating",
            REPEAT_BOTH_KNOWN & ~Q(survey__had_to_repeat=F("outcome__repeated")),
        ),
    }


def _counts(*, now: datetime) -> dict[str, Any]:
    filters = figure_filters(now=now)
    return {
        "handoffs": Count("pk"),
        "repeated": Count("pk", filter=filters["repeated"][1]),
        "repeat_checked": Count("pk", filter=Q(outcome__repeated__isnull=False)),
        "fcr": Count("pk", filter=filters["fcr"][1]),
        "fcr_known": Count("pk", filter=Q(outcome__first_contact_resolved__isnull=False)),
        "helped": Count("pk", filter=filters["helped"][1]),
        "answered": Count("pk", filter=ANSWERED),
        "abandoned": Count("pk", filter=filters["abandoned"][1]),
        "empty_queue": Count("pk", filter=filters["empty_queue"][1]),
        "ai_kept_trying": Count("pk", filter=filters["ai_kept_trying"][1]),
        "repeat_agrees": Count(
            "pk", filter=REPEAT_BOTH_KNOWN & Q(survey__had_to_repeat=F("outcome__repeated"))
        ),
        "repeat_both_known": Count("pk", filter=REPEAT_BOTH_KNOWN),
    }


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    return row | {
        "repeat_rate": rate(row["repeated"], row["repeat_checked"]),
        "fcr_rate": rate(row["fcr"], row["fcr_known"]),
        "help_rate": rate(row["helped"], row["answered"]),
        "agreement_rate": rate(row["repeat_agrees"], row["repeat_both_known"]),
    }


def handoffs_in(*, period: Period) -> QuerySet[Handoff]:
    start, end = period.bounds
    return Handoff.objects.filter(queued_at__gte=start, queued_at__lt=end)


def duration_percentile(
    *, handoffs: QuerySet[Handoff], expression: Any, fraction: float
) -> timedelta | None:
    """Nearest-rank percentile: count, then fetch the one row at that rank in duration order."""
    durations = handoffs.annotate(duration=expression).filter(duration__isnull=False)
    count = durations.count()
    if not count:
        return None
    rank = max(math.ceil(fraction * count) - 1, 0)
    value = durations.order_by("duration", "pk").values_list("duration", flat=True)[rank]
    return value if isinstance(value, timedelta) else timedelta(microseconds=int(value))


def metrics_summary(*, period: Period, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    handoffs = handoffs_in(period=period)
    start, end = period.bounds
    totals = _with_rates(handoffs.aggregate(**_counts(now=now)))
    conversations = Conversation.objects.filter(created_at__gte=start, created_at__lt=end).count()
    claimed = handoffs.filter(claimed_at__isnull=False)
    kept_trying = handoffs.filter(outcome__first_soft_signal_at__isnull=False)
    return totals | {
        "conversations": conversations,
        "escalation_rate": rate(totals["handoffs"], conversations),
        "claimed": claimed.count(),
        "wait_median": duration_percentile(handoffs=claimed, expression=WAIT, fraction=0.5),
        "wait_p90": duration_percentile(handoffs=claimed, expression=WAIT, fraction=0.9),
        "ai_kept_trying_median": duration_percentile(
            handoffs=kept_trying, expression=AI_KEPT_TRYING, fraction=0.5
        ),
        "ai_kept_trying_p90": duration_percentile(
            handoffs=kept_trying, expression=AI_KEPT_TRYING, fraction=0.9
        ),
    }


def metrics_by_day(*, period: Period, now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per day of the period (days without handoffs included), by queue date."""
    now = now or timezone.now()
    start, end = period.bounds
    rows = {
        row["day"]: row
        for row in handoffs_in(period=period)
        .annotate(day=TruncDate("queued_at"))
        .values("day")
        .annotate(**_counts(now=now))
        .order_by("day")
    }
    conversations = dict(
        Conversation.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    empty = {name: 0 for name in _counts(now=now)}
    result = []
    for day in period.days():
        row = _with_rates(empty | {k: v for k, v in rows.get(day, {}).items() if k != "day"})
        row["day"] = day
        row["conversations"] = conversations.get(day, 0)
        row["escalation_rate"] = rate(row["handoffs"], row["conversations"])
        result.append(row)
    return result


def conversations_in(*, period: Period) -> int:
    start, end = period.bounds
    return Conversation.objects.filter(created_at__gte=start, created_at__lt=end).count()


def metrics_by(
    *,
    field: str,
    period: Period,
    now: datetime | None = None,
    then: str = "",
    conversations: int | None = None,
) -> list[dict[str, Any]]:
    """The indicators grouped by one handoff field (trigger kind, agent, kind of problem), or by
    two (`then`: trigger kind by kind of problem); with each group's handoff rate, its handoffs
    over all the period's conversations (`conversations`, when the caller counted them)."""
    now = now or timezone.now()
    fields = [field, then] if then else [field]
    rows = handoffs_in(period=period).values(*fields).annotate(**_counts(now=now)).order_by(*fields)
    if conversations is None:
        conversations = conversations_in(period=period)
    return [
        _with_rates(row)
        | {
            "key": row[field],
            "then_key": row[then] if then else None,
            "handoff_rate": rate(row["handoffs"], conversations),
        }
        for row in rows
    ]


def cases_for(
    *,
    figure: str,
    period: Period,
    trigger_kind: str = "",
    agent: str = "",
    disposition: str = "",
    now: datetime | None = None,
) -> QuerySet[Handoff]:
    """The handoffs behind a figure."""
    now = now or timezone.now()
    _, condition = figure_filters(now=now)[figure]
    cases = handoffs_in(period=period).filter(condition)
    if trigger_kind:
        cases = cases.filter(outcome__trigger_kind=trigger_kind)
    if agent:
        cases = cases.filter(claimed_by__username=agent)
    if disposition:
        cases = cases.filter(disposition__name=disposition)
    return cases.select_related(
        "conversation__customer", "claimed_by", "outcome", "survey", "disposition"
    )


# ------------------------------------------------------------------------------------------
# Server-rendered charts
# ------------------------------------------------------------------------------------------

CHART_WIDTH = 960
CHART_HEIGHT = 240
CHART_LEFT = 56  # room for the value axis' labels
CHART_RIGHT = 16
CHART_TOP = 16
CHART_BOTTOM = 40  # room for the dates
X_LABELS = 8  # at most this many dates under the axis


def chart(
    *, title: str, days: list[date], values: list[float | None], top: float | None = None
) -> dict[str, Any]:
    """An SVG line chart's geometry as wide as the page: points for days with a value, gaps
    where there is none, value-axis ticks at quarters of the top, a date every few days, and
    each point's value on hover (its <title>)."""
    is_rate = top is not None
    known = [v for v in values if v is not None]
    top = top if top is not None else max(known, default=0) or 1
    inner_w = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    inner_h = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    step = inner_w / max(len(days) - 1, 1)

    def y_of(value: float) -> float:
        return round(CHART_TOP + inner_h - (value / top) * inner_h, 1)

    dots = []
    for index, (day, value) in enumerate(zip(days, values, strict=True)):
        if value is None:
            continue
        x = round(CHART_LEFT + index * step, 1)
        dots.append({"x": x, "y": y_of(value), "day": day, "value": value})
    ticks = [
        {"y": y_of(top * q), "label": f"{q:.0%}" if is_rate else f"{top * q:g}"}
        for q in (0, 0.25, 0.5, 0.75, 1)
    ]
    every = max(math.ceil(len(days) / X_LABELS), 1)
    dates = [
        {"x": round(CHART_LEFT + index * step, 1), "day": day}
        for index, day in enumerate(days)
        if index % every == 0 or index == len(days) - 1
    ]
    return {
        "title": title,
        "is_rate": is_rate,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "points": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "dots": dots,
        "ticks": ticks,
        "dates": dates,
        "x0": CHART_LEFT,
        "x1": CHART_WIDTH - CHART_RIGHT,
        "y0": CHART_TOP + inner_h,
        "y1": CHART_TOP,
        "date_y": CHART_HEIGHT - CHART_BOTTOM + 20,
        "first_day": days[0] if days else None,
        "last_day": days[-1] if days else None,
    }
