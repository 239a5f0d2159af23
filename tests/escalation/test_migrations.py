"""Data migrations, run forward from the state before them on the test database."""

from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE_HANDBACK_GRACE = [("escalation", "0007_handoff_resolved_index")]
AFTER_HANDBACK_GRACE = [("escalation", "0009_remove_conversation_suppressed_triggers")]


def models_at(executor: MigrationExecutor, target: list[tuple[str, str]]) -> Any:
    executor.migrate(target)
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(target).apps


def test_earlier_hand_backs_keep_their_grace_and_lose_the_note_in_the_transcript(
    migrator: MigrationExecutor,
) -> None:
    old = models_at(migrator, BEFORE_HANDBACK_GRACE)
    now = timezone.now()
    bot = old.get_model("escalation", "Bot").objects.create(name="acme")
    customer = old.get_model("escalation", "Customer").objects.create(bot=bot, external_id="c1")
    conversation = old.get_model("escalation", "Conversation").objects.create(
        bot=bot, customer=customer, external_id="x1", suppressed_triggers=["low_confidence"]
    )
    old.get_model("escalation", "Handoff").objects.create(
        conversation=conversation,
        status="returned",
        queued_at=now,
        resolved_at=now,
        resolution_note="Chargeback pending.",
    )
    old.get_model("escalation", "Message").objects.create(
        conversation=conversation,
        sender="system",
        text="Handed back to the assistant by Ana Silva. Note: Chargeback pending.",
        sent_at=now,
    )

    new = models_at(MigrationExecutor(connection), AFTER_HANDBACK_GRACE)

    migrated = new.get_model("escalation", "Conversation").objects.get(pk=conversation.pk)
    assert migrated.handed_back_at == now
    line = new.get_model("escalation", "Message").objects.get(conversation_id=conversation.pk)
    assert "Chargeback" not in line.text


def test_signals_held_on_stored_turns_are_recorded(migrator: MigrationExecutor) -> None:
    """Held signals were read from the turns' decisions before they had a table of their own;
    one that handed off or held nothing is not one."""
    old = models_at(migrator, [("escalation", "0011_handoff_summary_source")])
    now = timezone.now()
    bot = old.get_model("escalation", "Bot").objects.create(name="acme")
    customer = old.get_model("escalation", "Customer").objects.create(bot=bot, external_id="c1")
    conversation = old.get_model("escalation", "Conversation").objects.create(
        bot=bot, customer=customer, external_id="x1"
    )
    fired = {"kind": "distress", "fired": True, "score": 0.8, "threshold": 0.65, "evidence": "e"}
    Message = old.get_model("escalation", "Message")
    first = Message.objects.create(conversation=conversation, sender="ai", text="Hi", sent_at=now)
    for decision in (
        {"escalate": False, "triggers": [fired], "held": True},
        {"escalate": False, "triggers": [fired], "held": False},
        {"escalate": True, "triggers": [fired]},
    ):
        Message.objects.create(
            conversation=conversation, sender="customer", text="!", sent_at=now, decision=decision
        )

    new = models_at(MigrationExecutor(connection), [("escalation", "0012_held_signals_recorded")])

    held = new.get_model("escalation", "HeldSignal").objects.get()
    assert (held.kind, held.score, held.at, held.point) == ("distress", 0.8, now, first.pk)
