from django.apps import AppConfig

from escalation import events


class AgentsConsoleConfig(AppConfig):
    name = "agents_console"
    verbose_name = "Agent console"

    def ready(self) -> None:
        from agents_console import audit, broadcast

        # Inside the state change's transaction, not on commit: the audit line is part of the
        # change it records, committed or rolled back with it.
        events.subscribe(events.HANDOFF_ACTED_ON, audit.audit_record, on_commit=False)
        # Not a state change, nothing to wait for: passed on at once.
        events.subscribe(events.CUSTOMER_TYPING, broadcast.customer_typing, on_commit=False)
        events.subscribe(events.CUSTOMER_ERASING, audit.customer_erase, on_commit=False)

        events.subscribe(events.MESSAGE_STORED, broadcast.message_stored)
        events.subscribe(events.HANDOFF_CREATED, broadcast.handoff_created)
        events.subscribe(events.HANDOFF_SUMMARY_WRITTEN, broadcast.handoff_summary_written)
        for moved in (events.HANDOFF_CLAIMED, events.HANDOFF_RESOLVED, events.HANDOFF_RETURNED):
            events.subscribe(moved, broadcast.handoff_moved)
