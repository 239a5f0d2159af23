import csv
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from agents_console.roles import is_supervisor
from agents_console.views import profile_context
from surveys import dashboard
from surveys.dashboard import Period

CASE_LIMIT = 200


def supervisor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_supervisor(request.user):
            raise PermissionDenied("The metrics are for supervisors.")
        return view(request, *args, **kwargs)

    return wrapped


def date_field(label: str) -> forms.DateField:
    # The ISO format is the one a date input reads, whatever the locale.
    widget = forms.DateInput({"type": "date"}, format="%Y-%m-%d")
    return forms.DateField(label=label, required=False, widget=widget)


class PeriodForm(forms.Form):
    start = date_field("From")
    end = date_field("To")

    def period(self) -> Period:
        default = Period.last_days(30)
        if not self.is_valid():
            return default
        start = self.cleaned_data["start"] or default.start
        end = self.cleaned_data["end"] or default.end
        if end < start:
            start, end = end, start
        return Period(start, min(end, start + timedelta(days=366)))


def _period(request: HttpRequest) -> tuple[PeriodForm, Period, bool]:
    """The period asked for (the last 30 days by default), a form showing the period in force
    (not blank fields, nor the dates as typed when they were swapped or capped), and whether
    the dates asked for were not understood."""
    asked = PeriodForm(request.GET or None)
    period = asked.period()
    shown = PeriodForm({"start": period.start.isoformat(), "end": period.end.isoformat()})
    shown.is_valid()
    return shown, period, asked.is_bound and not asked.is_valid()


@require_GET
@supervisor_required
def metrics(request: HttpRequest) -> HttpResponse:
    form, period, unclear = _period(request)
    now = timezone.now()
    days = dashboard.metrics_by_day(period=period, now=now)
    dates = [row["day"] for row in days]
    charts = [
        dashboard.chart(
            title=title, days=dates, values=[row[key] for row in days], top=1.0 if rate else None
        )
        for title, key, rate in [
            ("Repeat rate", "repeat_rate", True),
            ("First-contact resolution", "fcr_rate", True),
            ("Survey: the handover helped", "help_rate", True),
            ("Handoffs per day", "handoffs", False),
        ]
    ]
    summary = dashboard.metrics_summary(period=period, now=now)

    def by(field: str, then: str = "") -> list[dict[str, Any]]:
        return dashboard.metrics_by(
            field=field,
            then=then,
            period=period,
            now=now,
            conversations=summary["conversations"],
        )

    context = {
        "form": form,
        "period": period,
        "query": f"start={period.start.isoformat()}&end={period.end.isoformat()}",
        "summary": summary,
        "charts": charts,
        "by_kind": by("outcome__trigger_kind"),
        "by_agent": by("claimed_by__username"),
        "by_disposition": by("disposition__name"),
        "by_kind_and_disposition": by("outcome__trigger_kind", then="disposition__name"),
        "abandoned_hours": settings.ABANDONED_AFTER_HOURS,
        "period_unclear": unclear,
    }
    return render(request, "surveys/metrics.html", context | profile_context(request))


@require_GET
@supervisor_required
def metrics_cases(request: HttpRequest) -> HttpResponse:
    form, period, unclear = _period(request)
    now = timezone.now()
    figures = dashboard.figure_filters(now=now)
    figure = request.GET.get("figure", "escalations")
    if figure not in figures:
        raise Http404("No such figure.")
    kind = request.GET.get("kind", "")
    agent = request.GET.get("agent", "")
    category = request.GET.get("category", "")
    cases = dashboard.cases_for(
        figure=figure,
        period=period,
        trigger_kind=kind,
        agent=agent,
        disposition=category,
        now=now,
    ).order_by("-queued_at")
    context = {
        "form": form,
        "period": period,
        "figure": figure,
        "label": figures[figure][0],
        "kind": kind,
        "agent": agent,
        "category": category,
        "period_unclear": unclear,
        "cases": cases[:CASE_LIMIT],
        "total": cases.count(),
        "limit": CASE_LIMIT,
    }
    return render(request, "surveys/metrics_cases.html", context | profile_context(request))


CSV_COLUMNS = [
    "day",
    "conversations",
    "handoffs",
    "escalation_rate",
    "repeated",
    "repeat_checked",
    "repeat_rate",
    "fcr",
    "fcr_known",
    "fcr_rate",
    "helped",
    "answered",
    "help_rate",
    "abandoned",
    "empty_queue",
    "ai_kept_trying",
]


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


@require_GET
@supervisor_required
def metrics_csv(request: HttpRequest) -> HttpResponse:
    _, period, _ = _period(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"handover-metrics-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in dashboard.metrics_by_day(period=period):
        writer.writerow([_csv_value(row[column]) for column in CSV_COLUMNS])
    return response
