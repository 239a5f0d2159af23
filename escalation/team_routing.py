"""Which team a handoff goes to when the bot names none: the policy's routing rules, else the
default team. Decided once per handoff, before its wait is estimated (for that team)."""

from typing import Any

from escalation.models import Conversation, RoutingRule, Team


def team_route(*, conversation: Conversation, triggers: list[dict[str, Any]]) -> Team | None:
    """The team of the first routing rule that matches the fired triggers and the actions the
    AI tried, else the default team (None when there is none)."""
    rules = list(RoutingRule.objects.select_related("team"))
    if rules:
        kinds = {t["kind"] for t in triggers if t.get("fired", True)}
        actions = set(conversation.actions.values_list("name", flat=True))
        for rule in rules:
            if rule.matches(trigger_kinds=kinds, action_names=actions):
                return rule.team
    return Team.objects.filter(is_default=True).first()
