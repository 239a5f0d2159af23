from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents_console import broadcast, queue
from escalation.backends import outage_safe
from escalation.handoff import handoff_create
from surveys import tasks as survey_tasks
from tests.support.factories import ConversationFactory


@pytest.mark.django_db
def test_a_new_handoff_is_shown_without_reading_it_again(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """The request that hands off renders the new case from the handoff it made, and leaves
    the start of its outcome to a task (whether anyone was there is asked at the handoff)."""
    queued: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(
        outage_safe, "task_send", lambda task, *args, **kwargs: queued.append((task.name, args))
    )
    pushed: list[str] = []
    monkeypatch.setattr(
        outage_safe, "group_send_all", lambda pushes: pushed.extend(g for g, _ in pushes)
    )
    with django_capture_on_commit_callbacks() as callbacks:
        handoff, _ = handoff_create(conversation=ConversationFactory())
    shown = [c for c in callbacks if getattr(c, "func", None) is broadcast.handoff_created]

    with CaptureQueriesContext(connection) as queries:
        shown[0]()
    for callback in callbacks:
        callback()

    assert len(queries) == 0
    assert queue.case_group(handoff.conversation_id) in pushed
    assert queue.ALL_TEAMS_GROUP in pushed
    assert (survey_tasks.outcome_start.name, (handoff.pk, False)) in queued
