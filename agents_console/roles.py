"""Who may use the console: agents work cases; supervisors see everything agents see, and may
assign cases and tune the policy."""

from typing import Any

from escalation.roles import AGENTS, SUPERVISORS


def user_groups(user: Any) -> frozenset[str]:
    """The user's group names, read once per request (cached on the user object)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_console_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._console_groups = cached
    return cached


def is_supervisor(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or SUPERVISORS in user_groups(user)))


def is_agent(user: Any) -> bool:
    """Supervisors count as agents: they see and may do everything an agent does."""
    return is_supervisor(user) or AGENTS in user_groups(user)
