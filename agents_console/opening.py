"""The suggested first line for the agent, so it never starts with "how can I help you?". It
claims only what the case screen shows (what the AI tried and found, what was blocked) and names
the customer's problem in their own words."""

import re

from escalation.models import Handoff
from escalation.summary import clip_words, customer_problem

VERB_PREFIX = re.compile(r"^(issue|create|send|make|grant|apply|process|cancel|change)_")
PROBLEM_WORDS = 20


def first_name(handoff: Handoff) -> str:
    name = (handoff.identity.get("name") or "").strip()
    return name.split()[0] if name else ""


def blocked_action(handoff: Handoff) -> str:
    for action in handoff.actions:
        if action.get("outcome") == "blocked":
            return VERB_PREFIX.sub("", action.get("name", "")).replace("_", " ")
    return ""


def found_something(handoff: Handoff) -> bool:
    """An action of the packet shows a result on the screen."""
    return any(a.get("detail") and a.get("outcome") != "blocked" for a in handoff.actions)


def opening_line(*, handoff: Handoff, customer_turns: list[str]) -> str:
    """`customer_turns`: what the customer wrote before the handoff."""
    name = first_name(handoff)
    greeting = f"Hi {name}," if name else "Hi,"
    problem = clip_words(customer_problem(customer_turns), PROBLEM_WORDS).rstrip(".!?")
    blocked = blocked_action(handoff)
    facts = []
    if found_something(handoff):
        facts.append("I can see what our assistant found")
    if blocked:
        facts.append(f"that the {blocked} could not be done automatically")
    if not problem and not facts:
        return f"{greeting} I've read through our conversation so far — let me take it from here."
    about = f" I've read your messages about “{problem}”." if problem else ""
    if not facts:
        return f"{greeting}{about} Let me take it from here."
    seen = " and ".join(facts)
    seen = seen if facts[0].startswith("I ") else "I can see " + seen
    return f"{greeting}{about} {seen} — let me sort that out for you."
