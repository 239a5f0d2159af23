"""Saved replies as an agent inserts them: the ones offered on a case (its team's and everyone's),
found by a search, with their placeholders filled from the packet and the agent. A placeholder
the case cannot fill is left in brackets for the agent to complete before sending."""

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from agents_console.models import SavedReply
from agents_console.opening import first_name
from escalation.models import Handoff

PLACEHOLDER = re.compile(r"\{(\w+)\}")
ORDER_IN_TEXT = re.compile(r"\border\s+(?:number\s+|no\.?\s+)?#?(\d{3,})\b", re.IGNORECASE)
ORDER_PARAMS = ("order", "order_id", "order_number")
OFFERED_LIMIT = 30


@dataclass(frozen=True)
class FilledReply:
    title: str
    text: str


def order_number(handoff: Handoff) -> str:
    """The order the case is about: named in the summary, else a parameter of an AI action."""
    found = ORDER_IN_TEXT.search(handoff.summary)
    if found:
        return found.group(1)
    for action in handoff.actions:
        for key in ORDER_PARAMS:
            value = (action.get("params") or {}).get(key)
            if value not in (None, ""):
                return str(value)
    return ""


def placeholder_values(*, handoff: Handoff, agent: Any) -> dict[str, str]:
    return {
        "first_name": first_name(handoff),
        "order_number": order_number(handoff),
        "agent_name": agent.first_name or agent.get_username(),
    }


def placeholders_fill(text: str, *, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        return values[name] or f"[{name.replace('_', ' ')}]"

    return PLACEHOLDER.sub(fill, text)


def saved_replies_offered(*, handoff: Handoff, agent: Any, query: str = "") -> list[FilledReply]:
    replies = SavedReply.objects.filter(Q(team__isnull=True) | Q(team_id=handoff.team_id))
    for word in query.split()[:5]:
        replies = replies.filter(Q(title__icontains=word) | Q(text__icontains=word))
    values = placeholder_values(handoff=handoff, agent=agent)
    return [
        FilledReply(title=reply.title, text=placeholders_fill(reply.text, values=values))
        for reply in replies[:OFFERED_LIMIT]
    ]
