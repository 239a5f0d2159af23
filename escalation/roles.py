"""The staff's groups, as the whole site knows them: agents work cases; supervisors see
everything agents see, and may assign cases and tune the policy. What each may do in the
console is the console's to decide (agents_console/roles.py); elsewhere a page only asks
whether a login is staff, e.g. to offer the queue rather than the chat."""

from typing import Any

AGENTS = "agents"
SUPERVISORS = "supervisors"


def is_staff_member(user: Any) -> bool:
    """An agent or a supervisor (a superuser counts as one)."""
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.groups.filter(name__in=(AGENTS, SUPERVISORS)).exists())
    )
