"""What-if replay: how many recent conversations a proposed policy would have escalated, and on
which triggers, against the policy in force. Replays the policy's own thresholds (capacity at the
time is not known afterwards) and the current authorised scope."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import groupby

from django.utils import timezone

from escalation import triggers
from escalation.capacity import soft_thresholds
from escalation.models import AIAction, Conversation, Message, TriggerPolicy

REPLAY_LIMIT = 500


@dataclass
class ReplayResult:
    conversations: int = 0
    escalated: int = 0
    by_trigger: Counter[str] = field(default_factory=Counter)


def first_escalation(
    turns: list[triggers.Turn], thresholds: triggers.Thresholds
) -> list[triggers.TriggerResult]:
    """The triggers fired at the first turn that would have handed off, or none."""
    for index, turn in enumerate(turns):
        if turn.sender == "customer":
            results = triggers.triggers_for_customer_turn(
                turns=turns[: index + 1], thresholds=thresholds
            )
        else:
            results = [
                triggers.low_confidence(
                    confidence=turn.confidence, threshold=thresholds.low_confidence
                )
            ]
        fired = [r for r in results if r.fired]
        if fired:
            return fired
    return []


def policy_replay(*, policy: TriggerPolicy, days: int = 7) -> ReplayResult:
    since = timezone.now() - timedelta(days=days)
    ids = list(
        Conversation.objects.filter(created_at__gte=since)
        .order_by("-pk")
        .values_list("pk", flat=True)[:REPLAY_LIMIT]
    )
    rows = (
        Message.objects.filter(
            conversation_id__in=ids, sender__in=[Message.Sender.CUSTOMER, Message.Sender.AI]
        )
        .order_by("conversation_id", "pk")
        .values_list("conversation_id", "sender", "text", "confidence", "encoding")
    )
    blocked = set(
        AIAction.objects.filter(
            conversation_id__in=ids, outcome=AIAction.Outcome.BLOCKED
        ).values_list("conversation_id", flat=True)
    )
    thresholds = soft_thresholds(policy=policy, capacity=None)
    result = ReplayResult(conversations=len(ids))
    seen: set[int] = set()
    for conversation_id, group in groupby(rows, key=lambda row: row[0]):
        seen.add(conversation_id)
        turns = [triggers.Turn(*row[1:]) for row in group]
        kinds = {r.kind for r in first_escalation(turns, thresholds)}
        if conversation_id in blocked:
            kinds.add(triggers.OUT_OF_SCOPE)
        if kinds:
            result.escalated += 1
            result.by_trigger.update(kinds)
    silent = len(blocked - seen)  # blocked an action before anyone spoke
    result.escalated += silent
    result.by_trigger[triggers.OUT_OF_SCOPE] += silent
    return result


@dataclass(frozen=True)
class ReplayComparison:
    days: int
    current: ReplayResult
    proposed: ReplayResult

    def rows(self) -> list[tuple[str, int, int]]:
        """(trigger name, conversations it escalates in force, proposed). One conversation can
        escalate on several triggers at once, so the rows need not add up to the total."""
        kinds = sorted(set(self.current.by_trigger) | set(self.proposed.by_trigger))
        return [
            (
                triggers.KIND_LABELS.get(kind, kind),
                self.current.by_trigger[kind],
                self.proposed.by_trigger[kind],
            )
            for kind in kinds
        ]


def policy_compare(
    *, current: TriggerPolicy, proposed: TriggerPolicy, days: int
) -> ReplayComparison:
    return ReplayComparison(
        days=days,
        current=policy_replay(policy=current, days=days),
        proposed=policy_replay(policy=proposed, days=days),
    )
