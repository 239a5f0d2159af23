"""Data migrations, run forward from the state before them on the test database."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_CONSOLE_SETTINGS = [
    ("agents_console", "0002_saved_replies_take_over"),
    ("escalation", "0012_held_signals_recorded"),
]
AFTER_CONSOLE_SETTINGS = [("escalation", "0013_agent_reply_timeout_to_console_settings")]


def test_the_reply_timeout_moves_from_the_trigger_policy_to_the_console(
    migrator: MigrationExecutor,
) -> None:
    migrator.migrate(BEFORE_CONSOLE_SETTINGS)
    old = MigrationExecutor(connection).loader.project_state(BEFORE_CONSOLE_SETTINGS).apps
    TriggerPolicy = old.get_model("escalation", "TriggerPolicy")
    TriggerPolicy.objects.create(pk=1, agent_reply_timeout_minutes=25)

    MigrationExecutor(connection).migrate(AFTER_CONSOLE_SETTINGS)
    new = MigrationExecutor(connection).loader.project_state(AFTER_CONSOLE_SETTINGS).apps

    console = new.get_model("agents_console", "ConsoleSettings").objects.get()
    assert console.agent_reply_timeout_minutes == 25
