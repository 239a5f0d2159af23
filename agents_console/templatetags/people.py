"""How the console names a person: audit events, notes and messages may have nobody behind
them (the system acted, or the account was deleted), and each says so in its own words."""

from typing import Any

from django import template

from escalation.handoff import agent_name

register = template.Library()


@register.filter
def person_name(user: Any) -> str:
    """The user's full name or username; empty without a user, for `default` to fill in
    (`{{ event.actor|person_name|default:"the system" }}`)."""
    return agent_name(user) if user is not None else ""
