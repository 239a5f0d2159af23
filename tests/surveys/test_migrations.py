from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from surveys.models import Survey
from tests.support.factories import HandoffFactory

BEFORE = [("surveys", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_surveys_whose_old_links_are_still_open_are_sent_a_new_link() -> None:
    """Old links (the id, signed) open nothing once tokens are hashed: the sweep sends the
    unanswered surveys still in their window again; answered and expired ones stay as they
    were."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_survey = executor.loader.project_state(BEFORE).apps.get_model("surveys", "Survey")
    now = timezone.now()
    recent, answered, expired = (
        old_survey.objects.create(handoff_id=HandoffFactory().pk, sent_at=sent_at, **answer)
        for sent_at, answer in [
            (now - timedelta(days=2), {}),
            (now - timedelta(days=2), {"answered_at": now, "did_help": True, "rating": 5}),
            (now - timedelta(days=20), {}),
        ]
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    sent = dict(Survey.objects.values_list("pk", "sent_at"))
    assert sent[recent.pk] is None
    assert sent[answered.pk] == answered.sent_at
    assert sent[expired.pk] == expired.sent_at
    assert not Survey.objects.exclude(token_hash=None).exists()
