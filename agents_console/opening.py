"""The suggested first line for the agent, built from the packet, so it never starts with
"how can I help you?"."""

import re

from escalation.models import Handoff

ENTITY = re.compile(
    r"\b(order|parcel|package|invoice|subscription|account|booking|ticket|refund)\s+#?(\d{3,})\b",
    re.IGNORECASE,
)
VERB_PREFIX = re.compile(r"^(issue|create|send|make|grant|apply|process|cancel|change)_")


def first_name(handoff: Handoff) -> str:
    name = (handoff.identity.get("name") or "").strip()
    return name.split()[0] if name else ""


def key_entities(summary: str) -> list[str]:
    seen: list[str] = []
    for noun, number in ENTITY.findall(summary):
        entity = f"{noun.lower()} {number}"
        if entity not in seen:
            seen.append(entity)
    return seen[:2]


def blocked_action(handoff: Handoff) -> str:
    for action in handoff.actions:
        if action.get("outcome") == "blocked":
            return VERB_PREFIX.sub("", action.get("name", "")).replace("_", " ")
    return ""


def opening_line(*, handoff: Handoff) -> str:
    name = first_name(handoff)
    greeting = f"Hi {name}," if name else "Hi,"
    entities = key_entities(handoff.summary)
    blocked = blocked_action(handoff)
    facts = []
    if entities:
        facts.append(f"I can see the details of your {' and '.join(entities)}")
    if blocked:
        facts.append(f"the {blocked} could not be completed automatically")
    if not facts:
        return f"{greeting} I've read through our conversation so far — let me take it from here."
    return f"{greeting} {' and '.join(facts)} — let me sort that out for you."
