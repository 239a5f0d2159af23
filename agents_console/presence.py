"""Presence: who is available now. A console socket heartbeats `last_seen_at`; when it drops
and nothing heartbeats within the grace period, the sweep marks the agent away."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from escalation.models import AgentProfile


def profile_for(*, user: Any) -> AgentProfile:
    profile, _ = AgentProfile.objects.get_or_create(user=user)
    return profile


def presence_set(*, user: Any, presence: str) -> AgentProfile:
    """The agent says they are available or away."""
    if presence not in AgentProfile.Presence.values:
        raise ValueError(f"Unknown presence {presence!r}.")
    profile = profile_for(user=user)
    now = timezone.now()
    if profile.presence != presence:
        AgentProfile.objects.filter(pk=profile.pk).update(
            presence=presence, presence_changed_at=now, last_seen_at=now
        )
        profile.refresh_from_db()
    return profile


def presence_seen(*, user: Any) -> None:
    """A heartbeat from one of the agent's console sockets."""
    AgentProfile.objects.filter(user=user).update(last_seen_at=timezone.now())


def presence_expire(*, now: Any = None) -> int:
    """Mark away every available agent nothing has heard from within the grace period."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CONSOLE_PRESENCE_GRACE_SECONDS)
    stale = AgentProfile.objects.filter(presence=AgentProfile.Presence.AVAILABLE).filter(
        last_seen_at__lt=cutoff
    ) | AgentProfile.objects.filter(
        presence=AgentProfile.Presence.AVAILABLE, last_seen_at__isnull=True
    )
    return stale.update(presence=AgentProfile.Presence.AWAY, presence_changed_at=now)
