from typing import Any

import pytest

from agents_console import tasks as console_tasks
from escalation.backends import outage_safe
from escalation.handoff import handoff_create
from surveys import tasks as survey_tasks
from tests.support.factories import ConversationFactory


@pytest.mark.django_db
def test_a_new_handoffs_broadcast_and_outcome_are_left_to_the_worker(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """The request that hands off only queues them: rendering the case for the screens and
    starting its outcome run in a task. Whether anyone was there is asked at the handoff."""
    queued: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(
        outage_safe, "task_send", lambda task, *args, **kwargs: queued.append((task.name, args))
    )

    with django_capture_on_commit_callbacks(execute=True):
        handoff, _ = handoff_create(conversation=ConversationFactory())

    assert (console_tasks.handoff_created_broadcast.name, (handoff.pk,)) in queued
    assert (survey_tasks.outcome_start.name, (handoff.pk, False)) in queued
