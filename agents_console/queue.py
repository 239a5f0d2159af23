"""The live queue: which waiting handoffs an agent sees, most urgent and oldest first, and the
channel-layer groups that carry its changes."""

from typing import Any

from django.db.models import Q, QuerySet

from agents_console.roles import is_supervisor
from escalation.models import AgentProfile, Handoff

URGENT_TRIGGERS = frozenset({"human_requested", "out_of_scope", "distress"})
QUEUE_LIMIT = 50  # the most urgent, oldest first; more rows cost every open and every agent socket
ALL_TEAMS_GROUP = "console.queue.all"
NO_TEAM_GROUP = "console.queue.team-none"


def team_group(team_id: int | None) -> str:
    return NO_TEAM_GROUP if team_id is None else f"console.queue.team-{team_id}"


def case_group(conversation_id: int) -> str:
    return f"console.case.{conversation_id}"


def handoff_groups(handoff: Handoff) -> list[str]:
    """Everyone who sees this handoff in their queue: its team's agents and the supervisors."""
    return [team_group(handoff.team_id), ALL_TEAMS_GROUP]


def fired_kinds(handoff: Handoff) -> list[str]:
    return [t["kind"] for t in handoff.triggers if t.get("fired") and t.get("kind")]


def handoff_rank(handoff: Handoff) -> int:
    """0 for hard triggers and distress, 1 for the rest."""
    return 0 if URGENT_TRIGGERS.intersection(fired_kinds(handoff)) else 1


def user_team_ids(user: Any) -> "QuerySet[Any, int]":
    """The user's teams, as a list when iterated and as a subquery inside a filter."""
    return AgentProfile.teams.through.objects.filter(agentprofile__user=user).values_list(
        "team_id", flat=True
    )


def queue_groups(*, user: Any) -> list[str]:
    if is_supervisor(user):
        return [ALL_TEAMS_GROUP]
    return [NO_TEAM_GROUP, *(team_group(team_id) for team_id in user_team_ids(user))]


def handoffs_visible_to(*, user: Any) -> "QuerySet[Handoff]":
    """The console's one wall between teams: an agent sees the cases of their teams, those of
    no team, and the cases given to them (a supervisor may assign one across teams); a
    supervisor sees every case. The queue, every case page and action, and the case socket
    read cases through here, so no surface shows what another refuses."""
    handoffs = Handoff.objects.all()
    if is_supervisor(user):
        return handoffs
    return handoffs.filter(
        Q(team__isnull=True) | Q(team__in=user_team_ids(user)) | Q(claimed_by=user)
    )


def queue_for(*, user: Any) -> list[Handoff]:
    """Queued handoffs this user sees, most urgent and oldest first. Triggers are JSON, so the
    urgency sort happens here over a bounded list."""
    handoffs = (
        handoffs_visible_to(user=user)
        .filter(status=Handoff.Status.QUEUED)
        .select_related("conversation__customer", "team")
    )
    rows = list(handoffs.order_by("queued_at")[:QUEUE_LIMIT])
    return sorted(rows, key=lambda h: (handoff_rank(h), h.queued_at))


def row_decorate(handoff: Handoff) -> Handoff:
    """What a queue row shows beyond the model: its urgency, fired triggers, first line."""
    handoff.rank = handoff_rank(handoff)  # type: ignore[attr-defined]
    handoff.trigger_kinds = fired_kinds(handoff)  # type: ignore[attr-defined]
    lines = handoff.summary.strip().splitlines()
    handoff.summary_line = lines[0] if lines else ""  # type: ignore[attr-defined]
    return handoff
