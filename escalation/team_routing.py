"""Which team a handoff goes to when the bot names none: the policy's routing rules, else the
default team. Decided once per handoff, before its wait is estimated (for that team)."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from escalation.backends import outage_safe
from escalation.models import Conversation, RoutingRule, Team

# The rules and the default team change as rarely as the policy, and every handoff the
# decisions make asks for them: kept in the cache beside it (TriggerPolicy.CACHE_KEY), and
# dropped when a rule or a team is saved or deleted (change them with save(), not a queryset
# update).
CACHE_KEY = "team-routing"
CACHE_SECONDS = 300


@dataclass(frozen=True)
class Routing:
    rules: list[RoutingRule]  # by position, each with its team
    default_team: Team | None


def routing_current() -> Routing:
    routing: Routing | None = outage_safe.cache_get(CACHE_KEY)
    if routing is None:
        routing = Routing(
            rules=list(RoutingRule.objects.select_related("team")),
            default_team=Team.objects.filter(is_default=True).first(),
        )
        outage_safe.cache_set(CACHE_KEY, routing, CACHE_SECONDS)
    return routing


@receiver([post_save, post_delete], sender=RoutingRule, dispatch_uid="routing-rule-changed")
@receiver([post_save, post_delete], sender=Team, dispatch_uid="team-changed")
def routing_changed(**kwargs: Any) -> None:
    """Now for this transaction, and again on commit: another request may have cached the old
    rules in between."""
    outage_safe.cache_delete(CACHE_KEY)
    transaction.on_commit(lambda: outage_safe.cache_delete(CACHE_KEY))


def team_route(
    *,
    conversation: Conversation,
    triggers: list[dict[str, Any]],
    action_names: set[str] | None = None,
) -> Team | None:
    """The team of the first routing rule that matches the fired triggers and the actions the
    AI tried (`action_names`, when the caller read them), else the default team (None when
    there is none)."""
    routing = routing_current()
    if routing.rules:
        kinds = {t["kind"] for t in triggers if t.get("fired", True)}
        if action_names is None:
            action_names = set(conversation.actions.values_list("name", flat=True))
        for rule in routing.rules:
            if rule.matches(trigger_kinds=kinds, action_names=action_names):
                return rule.team
    return routing.default_team
