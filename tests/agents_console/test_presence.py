from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from agents_console.presence import presence_expire
from escalation.models import AgentProfile, Handoff


def test_agent_goes_away_and_back(agent_client: Client, agent: Any) -> None:
    agent_client.post("/console/presence/", {"presence": "away"})
    assert AgentProfile.objects.get(user=agent).presence == "away"

    agent_client.post("/console/presence/", {"presence": "available"})
    assert AgentProfile.objects.get(user=agent).presence == "available"


def test_coming_online_offers_the_oldest_waiting_case(
    agent_client: Client, agent: Any, queued: Handoff
) -> None:
    AgentProfile.objects.filter(user=agent).update(presence="away")

    response = agent_client.post("/console/presence/", {"presence": "available"}, follow=True)

    assert "oldest and most urgent is offered first" in response.content.decode()


def test_unknown_presence_is_refused(agent_client: Client, agent: Any) -> None:
    response = agent_client.post("/console/presence/", {"presence": "asleep"}, follow=True)

    assert "Choose available or away." in response.content.decode()


def test_silent_agent_is_marked_away_after_the_grace_period(agent: Any, settings: Any) -> None:
    settings.CONSOLE_PRESENCE_GRACE_SECONDS = 60
    AgentProfile.objects.filter(user=agent).update(
        last_seen_at=timezone.now() - timedelta(seconds=61)
    )

    assert presence_expire() == 1
    assert AgentProfile.objects.get(user=agent).presence == "away"


def test_agent_heard_from_within_the_grace_period_stays_available(
    agent: Any, settings: Any
) -> None:
    settings.CONSOLE_PRESENCE_GRACE_SECONDS = 60
    AgentProfile.objects.filter(user=agent).update(
        last_seen_at=timezone.now() - timedelta(seconds=30)
    )

    assert presence_expire() == 0
    assert AgentProfile.objects.get(user=agent).presence == "available"


def test_agent_mutes_and_restores_new_handoff_alerts(agent_client: Client, agent: Any) -> None:
    muted = agent_client.post("/console/presence/", {"alerts": "off"}, follow=True)

    profile = AgentProfile.objects.get(user=agent)
    assert not profile.wants_notifications and profile.presence == "available"
    assert 'data-notify="0"' in muted.content.decode()
    assert 'value="on"' in muted.content.decode()

    restored = agent_client.post("/console/presence/", {"alerts": "on"}, follow=True)

    assert AgentProfile.objects.get(user=agent).wants_notifications
    assert 'data-notify="1"' in restored.content.decode()
