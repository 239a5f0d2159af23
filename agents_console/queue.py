"""The live queue: which waiting handoffs an agent sees, most urgent and oldest first, and the
channel-layer groups that carry its changes."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from agents_console.roles import is_supervisor
from escalation import triggers
from escalation.models import AgentProfile, Handoff, Team

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


# Cases with no team wait against the same target a new team starts with.
DEFAULT_WAITING_TARGET = Team._meta.get_field("waiting_target_seconds").get_default()


def waiting_target(handoff: Handoff) -> int:
    return handoff.team.waiting_target_seconds if handoff.team else DEFAULT_WAITING_TARGET


def wait_state(handoff: Handoff, *, now: datetime) -> str:
    """ "over" past the team's waiting target, "half" past half of it, else ""."""
    share = (now - handoff.queued_at).total_seconds() / waiting_target(handoff)
    return "over" if share >= 1 else "half" if share >= 0.5 else ""


def row_decorate(handoff: Handoff, *, now: datetime | None = None) -> Handoff:
    """What a queue row shows beyond the model: its urgency, fired triggers, first line, and
    its clock against the waiting target."""
    handoff.rank = handoff_rank(handoff)  # type: ignore[attr-defined]
    handoff.trigger_kinds = fired_kinds(handoff)  # type: ignore[attr-defined]
    lines = handoff.summary.strip().splitlines()
    handoff.summary_line = lines[0] if lines else ""  # type: ignore[attr-defined]
    handoff.target_seconds = waiting_target(handoff)  # type: ignore[attr-defined]
    handoff.wait_state = wait_state(handoff, now=now or timezone.now())  # type: ignore[attr-defined]
    return handoff


SORTS = {
    "urgent": "Most urgent",
    "oldest": "Waiting longest",
    "target": "Nearest its target",
}


@dataclass(frozen=True)
class QueueFilters:
    """What the agent chose to see, as kept in the URL: one team, one trigger kind, only the
    cases over their target, or their own cases instead of the waiting ones; and an order."""

    team: int | None = None
    kind: str = ""
    over: bool = False
    mine: bool = False
    sort: str = "urgent"

    @classmethod
    def from_query(cls, query: QueryDict) -> "QueueFilters":
        """Anything not understood is ignored, so an old or edited link still opens a queue."""
        team = query.get("team", "")
        kind = query.get("kind", "")
        sort = query.get("sort", "")
        return cls(
            team=int(team) if team.isdigit() else None,
            kind=kind if kind in triggers.KIND_LABELS else "",
            over=query.get("over") == "1",
            mine=query.get("mine") == "1",
            sort=sort if sort in SORTS else "urgent",
        )

    def query(self, **changes: Any) -> str:
        """This choice in the URL, with `changes` applied (None drops one)."""
        values: dict[str, Any] = {
            "team": self.team,
            "kind": self.kind,
            "over": "1" if self.over else "",
            "mine": "1" if self.mine else "",
            "sort": "" if self.sort == "urgent" else self.sort,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in (None, "", False)})

    @property
    def is_filtered(self) -> bool:
        return bool(self.team or self.kind or self.over or self.mine)

    def keeps(self, handoff: Handoff) -> bool:
        return (
            (self.team is None or handoff.team_id == self.team)
            and (not self.kind or self.kind in handoff.trigger_kinds)  # type: ignore[attr-defined]
            and (not self.over or handoff.wait_state == "over")  # type: ignore[attr-defined]
        )


@dataclass(frozen=True)
class FilterLink:
    label: str
    count: int | None
    query: str  # the URL's query string this link opens; an active filter's link drops it
    active: bool


@dataclass
class QueueView:
    rows: list[Handoff]
    filters: QueueFilters
    total: int = 0
    over: int = 0
    mine: int = 0
    teams: list[tuple[Team, int]] = field(default_factory=list)
    kinds: list[tuple[str, int]] = field(default_factory=list)

    def filter_groups(self) -> list[tuple[str, list[FilterLink]]]:
        """The filter bar: each choice with how many cases it shows; a second click on an
        active one takes it off. Choosing one of the waiting filters leaves "mine"."""
        f = self.filters
        every = {"team": None, "kind": "", "over": "", "mine": ""}
        return [
            (
                "Show",
                [
                    FilterLink("All waiting", self.total, f.query(**every), not f.is_filtered),
                    FilterLink("Mine", self.mine, f.query(**every | {"mine": "1"}), f.mine),
                ],
            ),
            (
                "Team",
                [
                    FilterLink(
                        team.name,
                        count,
                        f.query(team=None if f.team == team.pk else team.pk, mine=""),
                        f.team == team.pk,
                    )
                    for team, count in self.teams
                ],
            ),
            (
                "Trigger",
                [
                    FilterLink(
                        kind,
                        count,
                        f.query(kind="" if f.kind == kind else kind, mine=""),
                        f.kind == kind,
                    )
                    for kind, count in self.kinds
                ],
            ),
            (
                "Wait",
                [
                    FilterLink(
                        "Over target",
                        self.over,
                        f.query(over="" if f.over else "1", mine=""),
                        f.over,
                    )
                ],
            ),
            (
                "Sort",
                [
                    FilterLink(
                        label, None, f.query(sort="" if key == "urgent" else key), f.sort == key
                    )
                    for key, label in SORTS.items()
                ],
            ),
        ]


def sort_key(sort: str) -> Any:
    if sort == "oldest":
        return lambda h: h.queued_at
    if sort == "target":
        return lambda h: h.queued_at.timestamp() + h.target_seconds
    return lambda h: (h.rank, h.queued_at)


def my_cases(*, user: Any) -> list[Handoff]:
    return list(
        Handoff.objects.filter(claimed_by=user, status=Handoff.Status.CLAIMED)
        .select_related("conversation__customer", "team")
        .order_by("claimed_at")
    )


def queue_view(*, user: Any, filters: QueueFilters, now: datetime | None = None) -> QueueView:
    """The rows this user chose to see, and how many cases each choice would show: counted
    over everything they may see waiting (at most QUEUE_LIMIT rows), in three queries."""
    now = now or timezone.now()
    waiting = [row_decorate(h, now=now) for h in queue_for(user=user)]
    mine = [row_decorate(h, now=now) for h in my_cases(user=user)]
    rows = mine if filters.mine else [h for h in waiting if filters.keeps(h)]
    teams = Team.objects.all() if is_supervisor(user) else Team.objects.filter(agents__user=user)
    per_team = Counter(h.team_id for h in waiting)
    per_kind = Counter(kind for h in waiting for kind in h.trigger_kinds)  # type: ignore[attr-defined]
    return QueueView(
        rows=sorted(rows, key=sort_key(filters.sort)),
        filters=filters,
        total=len(waiting),
        over=[h.wait_state for h in waiting].count("over"),  # type: ignore[attr-defined]
        mine=len(mine),
        teams=[(team, per_team[team.pk]) for team in teams],
        kinds=[(kind, per_kind[kind]) for kind in triggers.KIND_LABELS],
    )


def queue_context(*, user: Any, filters: QueueFilters) -> dict[str, Any]:
    """What the queue's template renders, for the page, its polls and its socket alike."""
    view = queue_view(user=user, filters=filters)
    return {"view": view, "queue": view.rows, "filters": filters, "sorts": SORTS}
