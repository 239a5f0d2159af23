from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from escalation.models import Handoff
from tests.agents_console.conftest import logged_in
from tests.support.factories import HandoffFactory, TeamFactory, console_agent


def row_order(content: bytes, *handoffs: Handoff) -> list[int]:
    text = content.decode()
    return sorted((h.pk for h in handoffs), key=lambda pk: text.index(f'id="handoff-{pk}"'))


def test_queue_row_shows_customer_badge_trigger_summary_line_and_wait(
    agent_client: Client, queued: Handoff
) -> None:
    content = agent_client.get("/console/").content.decode()

    assert "Tom Becker" in content
    assert 'class="badge verified"' in content
    assert "low_confidence" in content
    assert "Order 1234 is late." in content
    assert "The customer wants a credit." not in content
    assert f'data-since="{queued.queued_at.isoformat()}"' in content


def test_hard_triggers_rank_before_older_soft_ones(agent_client: Client) -> None:
    now = timezone.now()
    soft = HandoffFactory(
        queued_at=now - timedelta(minutes=10),
        triggers=[{"kind": "low_confidence", "fired": True}],
    )
    hard = HandoffFactory(
        queued_at=now - timedelta(minutes=1),
        triggers=[{"kind": "human_requested", "fired": True}],
    )
    distress = HandoffFactory(
        queued_at=now - timedelta(minutes=2), triggers=[{"kind": "distress", "fired": True}]
    )

    content = agent_client.get("/console/").content

    assert row_order(content, soft, hard, distress) == [distress.pk, hard.pk, soft.pk]


def test_unfired_hard_trigger_does_not_rank_higher(agent_client: Client) -> None:
    now = timezone.now()
    older = HandoffFactory(queued_at=now - timedelta(minutes=5))
    newer = HandoffFactory(queued_at=now, triggers=[{"kind": "human_requested", "fired": False}])

    assert row_order(agent_client.get("/console/").content, older, newer) == [older.pk, newer.pk]


def test_claimed_handoffs_are_not_in_the_queue(agent_client: Client, claimed: Handoff) -> None:
    assert f'id="handoff-{claimed.pk}"' not in agent_client.get("/console/").content.decode()


def test_agent_sees_own_teams_and_unassigned_but_not_other_teams(db: None) -> None:
    billing, shipping = TeamFactory(slug="billing"), TeamFactory(slug="shipping")
    agent = console_agent(teams=(billing,))
    mine = HandoffFactory(team=billing)
    unassigned = HandoffFactory(team=None)
    theirs = HandoffFactory(team=shipping)

    content = logged_in(agent).get("/console/").content.decode()

    assert f'id="handoff-{mine.pk}"' in content
    assert f'id="handoff-{unassigned.pk}"' in content
    assert f'id="handoff-{theirs.pk}"' not in content


def test_supervisor_sees_every_team(supervisor: Any) -> None:
    theirs = HandoffFactory(team=TeamFactory(slug="shipping"))

    content = logged_in(supervisor).get("/console/").content.decode()

    assert f'id="handoff-{theirs.pk}"' in content


def test_polling_partial_keeps_polling(agent_client: Client, queued: Handoff) -> None:
    response = agent_client.get("/console/?poll=1", headers={"HX-Request": "true"})

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="queue"')
    assert 'hx-trigger="every 5s"' in content
    assert f'id="handoff-{queued.pk}"' in content


def test_page_says_when_live_updates_are_down_via_status_element(agent_client: Client) -> None:
    content = agent_client.get("/console/").content.decode()

    assert 'id="live-status"' in content
    assert 'ws-connect="/ws/console/queue/"' in content
    assert "js/console.js" in content
