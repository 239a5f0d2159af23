from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents_console.queue import QueueFilters
from escalation.handoff import handoff_claim
from escalation.models import Handoff
from tests.agents_console.conftest import logged_in
from tests.support.factories import HandoffFactory, TeamFactory, console_agent


@pytest.fixture
def teams(db: None) -> dict[str, Any]:
    billing = TeamFactory(name="Billing", slug="billing", waiting_target_seconds=600)
    shipping = TeamFactory(name="Shipping", slug="shipping", waiting_target_seconds=120)
    now = timezone.now()
    return {
        "billing": billing,
        "shipping": shipping,
        "fresh_bill": HandoffFactory(
            team=billing,
            queued_at=now - timedelta(minutes=1),
            triggers=[{"kind": "distress", "fired": True}],
        ),
        "late_ship": HandoffFactory(
            team=shipping,
            queued_at=now - timedelta(minutes=3),
            triggers=[{"kind": "human_requested", "fired": True}],
        ),
        "half_bill": HandoffFactory(team=billing, queued_at=now - timedelta(minutes=6)),
        "agent": console_agent(username="ana", first_name="Ana", teams=(billing, shipping)),
    }


def shown(content: bytes, *handoffs: Handoff) -> list[int]:
    text = content.decode()
    present = [h for h in handoffs if f'id="handoff-{h.pk}"' in text]
    return [h.pk for h in sorted(present, key=lambda h: text.index(f'id="handoff-{h.pk}"'))]


def everyone(teams: dict[str, Any]) -> list[Handoff]:
    return [teams["fresh_bill"], teams["late_ship"], teams["half_bill"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("team={billing}", ["fresh_bill", "half_bill"]),
        ("kind=human_requested", ["late_ship"]),
        ("over=1", ["late_ship"]),
        ("team={billing}&kind=distress", ["fresh_bill"]),
    ],
)
def test_each_filter_keeps_only_its_cases(
    teams: dict[str, Any], query: str, expected: list[str]
) -> None:
    url = "/console/?" + query.format(billing=teams["billing"].pk)

    content = logged_in(teams["agent"]).get(url).content

    assert set(shown(content, *everyone(teams))) == {teams[name].pk for name in expected}


def test_mine_lists_the_agents_own_cases_instead(teams: dict[str, Any]) -> None:
    agent = teams["agent"]
    handoff_claim(handoff=teams["half_bill"], agent=agent)

    content = logged_in(agent).get("/console/?mine=1").content.decode()

    assert shown(content.encode(), *everyone(teams)) == [teams["half_bill"].pk]
    assert f'href="/console/cases/{teams["half_bill"].pk}/">Open</a>' in content


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", ["late_ship", "fresh_bill", "half_bill"]),  # urgent first, then the oldest
        ("oldest", ["half_bill", "late_ship", "fresh_bill"]),
        ("target", ["late_ship", "half_bill", "fresh_bill"]),  # nearest its own target
    ],
)
def test_the_queue_sorts_as_asked(teams: dict[str, Any], sort: str, order: list[str]) -> None:
    content = logged_in(teams["agent"]).get(f"/console/?sort={sort}").content

    assert shown(content, *everyone(teams)) == [teams[name].pk for name in order]


def test_each_filter_shows_how_many_cases_it_holds(teams: dict[str, Any]) -> None:
    content = logged_in(teams["agent"]).get("/console/").content.decode()

    billing = teams["billing"].pk
    assert f'href="/console/?team={billing}">Billing <span class="count">2</span>' in content
    assert 'href="/console/?over=1">Over target <span class="count">1</span>' in content
    assert 'aria-current="true">All waiting <span class="count">3</span>' in content
    assert 'href="/console/?mine=1">Mine <span class="count">0</span>' in content


def test_an_active_filter_links_back_without_it_and_keeps_the_others(
    teams: dict[str, Any],
) -> None:
    billing = teams["billing"].pk

    content = logged_in(teams["agent"]).get(f"/console/?team={billing}&sort=oldest").content

    assert b'href="/console/?sort=oldest" aria-current="true">Billing' in content
    assert f'href="/console/?team={billing}&amp;over=1&amp;sort=oldest">Over'.encode() in content


def test_the_socket_and_the_polls_keep_the_filters(teams: dict[str, Any]) -> None:
    content = logged_in(teams["agent"]).get("/console/?over=1").content.decode()

    assert 'ws-connect="/ws/console/queue/?over=1"' in content
    assert 'data-poll-url="/console/?over=1&amp;poll=1"' in content


def test_filters_not_understood_are_ignored(db: None) -> None:
    from django.http import QueryDict

    filters = QueueFilters.from_query(QueryDict("team=x&kind=nope&sort=drop+table&over=yes"))

    assert filters == QueueFilters()


def test_each_row_carries_its_clock_against_the_teams_target(teams: dict[str, Any]) -> None:
    content = logged_in(teams["agent"]).get("/console/").content.decode()

    assert f'id="handoff-{teams["fresh_bill"].pk}"' in content
    for name, state, target in (
        ("fresh_bill", "", 600),
        ("half_bill", "half", 600),
        ("late_ship", "over", 120),
    ):
        row = content[content.index(f'id="handoff-{teams[name].pk}"') :]
        assert row.index(f'data-wait-state="{state}"') < row.index("</li>")
        assert row.index(f'data-target="{target}"') < row.index("</li>")


def test_a_case_crosses_its_target_as_time_passes(teams: dict[str, Any]) -> None:
    client = logged_in(teams["agent"])
    url = "/console/?over=1"
    assert teams["half_bill"].pk not in shown(client.get(url).content, teams["half_bill"])

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert shown(client.get(url).content, teams["half_bill"]) == [teams["half_bill"].pk]


def queue_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/console/?sort=target").status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_queries_however_many_cases_wait(teams: dict[str, Any]) -> None:
    client = logged_in(teams["agent"])
    few = queue_queries(client)

    for minutes in range(20):
        HandoffFactory(
            team=teams["shipping"], queued_at=timezone.now() - timedelta(minutes=minutes)
        )

    assert queue_queries(client) == few
