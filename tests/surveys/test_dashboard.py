import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.test import Client

from escalation.models import Conversation, Handoff
from surveys.dashboard import Period, metrics_by, metrics_by_day, metrics_summary
from surveys.models import HandoffOutcome, Survey
from tests.support.factories import (
    ConversationFactory,
    HandoffFactory,
    UserFactory,
    agent_user,
    supervisor_user,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
PERIOD = Period(date(2025, 3, 1), date(2025, 3, 2))
QUERY = "start=2025-03-01&end=2025-03-02"


def _saved(user: User) -> User:
    """The factory sets the password after creating the row; the session checks the stored one."""
    user.save()
    return user


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def _conversation(created: datetime) -> Conversation:
    conversation = ConversationFactory()
    Conversation.objects.filter(pk=conversation.pk).update(created_at=created)
    return conversation


def _case(
    *,
    queued: datetime,
    agent: User | None,
    wait_minutes: int | None,
    kind: str,
    outcome: dict[str, Any],
    survey: dict[str, Any] | None = None,
) -> Handoff:
    resolved = wait_minutes is not None
    handoff = cast(
        Handoff,
        HandoffFactory(
            conversation=_conversation(queued - timedelta(minutes=30)),
            queued_at=queued,
            status=Handoff.Status.RESOLVED if resolved else Handoff.Status.QUEUED,
            claimed_by=agent,
            claimed_at=queued + timedelta(minutes=wait_minutes) if resolved else None,
            resolved_at=queued + timedelta(hours=1) if resolved else None,
            resolution=Handoff.Resolution.RESOLVED if resolved else "",
        ),
    )
    HandoffOutcome.objects.create(handoff=handoff, trigger_kind=kind, **outcome)
    if survey is not None:
        Survey.objects.create(handoff=handoff, answered_at=queued + timedelta(hours=2), **survey)
    return handoff


@pytest.fixture
def cases() -> dict[str, Handoff]:
    """Four handoffs over 1 and 2 March 2025 (six conversations), one outside the period."""
    ana, ben = agent_user(username="ana"), agent_user(username="ben")
    h1 = _case(
        queued=at(1, 10),
        agent=ana,
        wait_minutes=2,
        kind="low_confidence",
        outcome={
            "repeated": True,
            "first_contact_resolved": True,
            "agents_available_at_handoff": True,
        },
        survey={"did_help": True, "had_to_repeat": True, "rating": 5},
    )
    h2 = _case(
        queued=at(1, 11),
        agent=ben,
        wait_minutes=10,
        kind="human_requested",
        outcome={
            "repeated": False,
            "first_contact_resolved": False,
            "agents_available_at_handoff": False,
            "first_soft_signal_at": at(1, 10, 30),
        },
        survey={"did_help": False, "had_to_repeat": True, "rating": 2},
    )
    h3 = _case(
        queued=at(2, 9),
        agent=ana,
        wait_minutes=4,
        kind="human_requested",
        outcome={
            "repeated": False,
            "agents_available_at_handoff": True,
            "first_soft_signal_at": at(2, 8, 50),
        },
    )
    h4 = _case(
        queued=at(2, 12),
        agent=None,
        wait_minutes=None,
        kind="distress",
        outcome={"agents_available_at_handoff": False},
    )
    _conversation(at(1, 8))
    _conversation(at(1, 9))
    outside = _case(
        queued=at(5, 10),
        agent=ana,
        wait_minutes=1,
        kind="distress",
        outcome={"repeated": True, "agents_available_at_handoff": False},
    )
    return {"h1": h1, "h2": h2, "h3": h3, "h4": h4, "outside": outside}


@pytest.fixture
def supervisor_client(client: Client) -> Client:
    client.force_login(_saved(supervisor_user()))
    return client


def test_indicators_over_the_period(cases: dict[str, Handoff]) -> None:
    summary = metrics_summary(period=PERIOD, now=NOW)
    assert (summary["repeated"], summary["repeat_checked"]) == (1, 3)
    assert (summary["fcr"], summary["fcr_known"]) == (1, 2)
    assert (summary["helped"], summary["answered"]) == (1, 2)
    assert summary["repeat_rate"] == pytest.approx(1 / 3)
    assert summary["fcr_rate"] == pytest.approx(0.5)
    assert summary["help_rate"] == pytest.approx(0.5)


def test_escalation_rate_is_handoffs_over_conversations(cases: dict[str, Handoff]) -> None:
    summary = metrics_summary(period=PERIOD, now=NOW)
    assert (summary["handoffs"], summary["conversations"]) == (4, 6)
    assert summary["escalation_rate"] == pytest.approx(4 / 6)


def test_wait_median_and_p90_by_nearest_rank(cases: dict[str, Handoff]) -> None:
    summary = metrics_summary(period=PERIOD, now=NOW)
    assert summary["wait_median"] == timedelta(minutes=4)
    assert summary["wait_p90"] == timedelta(minutes=10)


def test_abandoned_and_empty_queue_counts(cases: dict[str, Handoff]) -> None:
    summary = metrics_summary(period=PERIOD, now=NOW)
    assert summary["abandoned"] == 1
    assert summary["empty_queue"] == 2


def test_how_long_the_ai_kept_trying(cases: dict[str, Handoff]) -> None:
    summary = metrics_summary(period=PERIOD, now=NOW)
    assert summary["ai_kept_trying"] == 2
    assert summary["ai_kept_trying_median"] == timedelta(minutes=10)
    assert summary["ai_kept_trying_p90"] == timedelta(minutes=30)


def test_survey_and_transcript_agreement_on_repeating(cases: dict[str, Handoff]) -> None:
    summary = metrics_summary(period=PERIOD, now=NOW)
    assert (summary["repeat_agrees"], summary["repeat_both_known"]) == (1, 2)
    assert summary["agreement_rate"] == pytest.approx(0.5)


def test_figures_by_day(cases: dict[str, Handoff]) -> None:
    days = metrics_by_day(period=PERIOD, now=NOW)
    assert [(d["day"], d["conversations"], d["handoffs"]) for d in days] == [
        (date(2025, 3, 1), 4, 2),
        (date(2025, 3, 2), 2, 2),
    ]
    assert days[0]["repeat_rate"] == pytest.approx(0.5)
    assert days[1]["repeat_rate"] == 0.0
    assert days[1]["fcr_rate"] is None


def test_figures_by_agent_and_trigger_kind(cases: dict[str, Handoff]) -> None:
    by_agent = {
        row["key"]: row["handoffs"]
        for row in metrics_by(field="claimed_by__username", period=PERIOD, now=NOW)
    }
    assert by_agent == {"ana": 2, "ben": 1, None: 1}
    by_kind = {
        row["key"]: row["handoffs"]
        for row in metrics_by(field="outcome__trigger_kind", period=PERIOD, now=NOW)
    }
    assert by_kind == {"low_confidence": 1, "human_requested": 2, "distress": 1}


def test_dashboard_page_shows_the_figures(
    cases: dict[str, Handoff],
    supervisor_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(21):  # the console nav reads the supervisor's profile
        response = supervisor_client.get(f"/console/metrics/?{QUERY}")
    assert response.status_code == 200
    content = response.content.decode()
    assert "33%" in content  # repeat rate
    assert "67%" in content  # escalation rate
    assert "4 min 00 s / 10 min 00 s" in content
    assert content.count("<svg") == 4
    assert (
        "/console/metrics/cases/?start=2025-03-01&amp;end=2025-03-02&amp;figure=abandoned"
        in content
    )


def test_figure_links_to_the_cases_behind_it(
    cases: dict[str, Handoff], supervisor_client: Client
) -> None:
    response = supervisor_client.get(f"/console/metrics/cases/?{QUERY}&figure=empty_queue")
    content = response.content.decode()
    assert response.status_code == 200
    assert f'id="case-{cases["h2"].pk}"' in content
    assert f'id="case-{cases["h4"].pk}"' in content
    assert f'id="case-{cases["h1"].pk}"' not in content
    assert f'id="case-{cases["outside"].pk}"' not in content
    assert f'href="/console/cases/{cases["h2"].pk}/"' in content
    assert f"/admin/escalation/handoff/{cases['h2'].pk}/change/" in content


def test_cases_can_be_narrowed_to_an_agent(
    cases: dict[str, Handoff], supervisor_client: Client
) -> None:
    response = supervisor_client.get(
        f"/console/metrics/cases/?{QUERY}&figure=escalations&agent=ana"
    )
    content = response.content.decode()
    assert f'id="case-{cases["h1"].pk}"' in content
    assert f'id="case-{cases["h2"].pk}"' not in content


def test_unknown_figure_is_not_found(supervisor_client: Client) -> None:
    assert supervisor_client.get("/console/metrics/cases/?figure=nope").status_code == 404


def test_csv_export_has_one_row_per_day(
    cases: dict[str, Handoff], supervisor_client: Client
) -> None:
    response = supervisor_client.get(f"/console/metrics/export.csv?{QUERY}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["day"] for row in rows] == ["2025-03-01", "2025-03-02"]
    assert rows[0]["handoffs"] == "2"
    assert rows[0]["conversations"] == "4"
    assert rows[0]["escalation_rate"] == "0.5000"
    assert rows[0]["repeat_rate"] == "0.5000"
    assert rows[1]["abandoned"] == "1"
    assert rows[1]["fcr_rate"] == ""


@pytest.mark.parametrize(
    "path", ["/console/metrics/", "/console/metrics/cases/", "/console/metrics/export.csv"]
)
def test_agents_are_refused(client: Client, path: str) -> None:
    client.force_login(_saved(agent_user()))
    assert client.get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    response = client.get("/console/metrics/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_superusers_see_the_dashboard(client: Client) -> None:
    client.force_login(_saved(UserFactory(is_superuser=True)))
    assert client.get("/console/metrics/").status_code == 200


def test_the_date_fields_show_the_period_in_force(supervisor_client: Client) -> None:
    content = supervisor_client.get("/console/metrics/").content.decode()

    today = date.today()
    start = today - timedelta(days=29)
    assert f'name="start" value="{start.isoformat()}"' in content
    assert f'name="end" value="{today.isoformat()}"' in content


def test_swapped_dates_show_as_the_period_shown(supervisor_client: Client) -> None:
    content = supervisor_client.get("/console/metrics/?start=2025-03-02&end=2025-03-01").content

    assert b'name="start" value="2025-03-01"' in content
    assert b'name="end" value="2025-03-02"' in content


def with_dispositions(cases: dict[str, Handoff]) -> None:
    from escalation.models import Disposition

    billing = Disposition.objects.create(name="Billing")
    delivery = Disposition.objects.create(name="Late delivery")
    for key, disposition in (("h1", delivery), ("h2", billing), ("h3", delivery)):
        Handoff.objects.filter(pk=cases[key].pk).update(disposition=disposition)


def test_indicators_and_handoff_rate_by_kind_of_problem(cases: dict[str, Handoff]) -> None:
    with_dispositions(cases)

    rows = {row["key"]: row for row in metrics_by(field="disposition__name", period=PERIOD)}

    assert {key: row["handoffs"] for key, row in rows.items()} == {
        "Billing": 1,
        "Late delivery": 2,
        None: 1,
    }
    assert rows["Late delivery"]["handoff_rate"] == pytest.approx(2 / 6)
    assert rows["Late delivery"]["repeat_rate"] == pytest.approx(0.5)
    assert rows["Billing"]["help_rate"] == 0.0


def test_handoffs_by_trigger_and_kind_of_problem(cases: dict[str, Handoff]) -> None:
    with_dispositions(cases)

    rows = metrics_by(field="outcome__trigger_kind", then="disposition__name", period=PERIOD)

    assert {(row["key"], row["then_key"]): row["handoffs"] for row in rows} == {
        ("distress", None): 1,
        ("human_requested", "Billing"): 1,
        ("human_requested", "Late delivery"): 1,
        ("low_confidence", "Late delivery"): 1,
    }


def test_a_cross_breakdown_links_to_its_cases(
    cases: dict[str, Handoff], supervisor_client: Client
) -> None:
    with_dispositions(cases)
    link = f"/console/metrics/cases/?{QUERY}&kind=human_requested&category=Billing"

    page = supervisor_client.get(f"/console/metrics/?{QUERY}").content.decode()
    content = supervisor_client.get(f"{link}&figure=escalations").content.decode()

    assert link.replace("&", "&amp;") in page
    assert f'id="case-{cases["h2"].pk}"' in content
    assert f'id="case-{cases["h3"].pk}"' not in content


def test_charts_span_the_page_with_labelled_axes_and_values_on_hover(
    cases: dict[str, Handoff], supervisor_client: Client
) -> None:
    content = supervisor_client.get(f"/console/metrics/?{QUERY}").content.decode()

    assert 'viewBox="0 0 960 240"' in content
    for tick in (">0%<", ">50%<", ">100%<", ">1 Mar<", ">2 Mar<"):
        assert tick in content
    assert "<title>1 Mar: 50%</title>" in content  # the repeat rate on 1 March


@pytest.mark.parametrize("path", ["/console/metrics/", "/console/metrics/cases/"])
def test_the_metrics_pages_are_console_screens(supervisor_client: Client, path: str) -> None:
    """The console's nav (presence, alerts, the new-handoff line) and its script, with a
    socket for the alerts."""
    content = supervisor_client.get(path).content.decode()
    assert 'class="console-nav"' in content and 'action="/console/presence/"' in content
    assert 'id="new-handoff-alert"' in content and 'id="live-status"' in content
    assert 'ws-connect="/ws/console/alerts/"' in content
    assert "js/console.js" in content
