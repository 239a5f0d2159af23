from django.apps import AppConfig

from escalation import events


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = "Escalation"

    def ready(self) -> None:
        from escalation import (
            bots,  # noqa: F401 - connects the key cache's receivers
            checks,  # noqa: F401 - registers the system checks
            tasks,
            team_routing,  # noqa: F401 - connects the routing cache's receivers
            webhooks,
        )
        from escalation.webchat import consumer

        # The domain's own reactions. The webhooks and the chat socket run at once: a webhook's
        # delivery row is part of the state change it reports, and both set up their own
        # on-commit step (sending the delivery, pushing the chat's partial).
        for event, react in (
            (events.MESSAGE_STORED, webhooks.webhook_on_message_stored),
            (events.MESSAGE_STORED, consumer.chat_on_message_stored),
            (events.HANDOFF_CREATED, webhooks.webhook_on_handoff_created),
            (events.HANDOFF_CREATED, consumer.chat_on_handoff_changed),
            (events.HANDOFF_CLAIMED, webhooks.webhook_on_handoff_claimed),
            (events.HANDOFF_CLAIMED, consumer.chat_on_handoff_changed),
            (events.HANDOFF_RESOLVED, webhooks.webhook_on_handoff_resolved),
            (events.HANDOFF_RESOLVED, consumer.chat_on_handoff_changed),
            (events.HANDOFF_RETURNED, consumer.chat_on_handoff_changed),
            (events.HANDOFF_HANDED_BACK, webhooks.webhook_on_handoff_handed_back),
        ):
            events.subscribe(event, react, on_commit=False)

        events.subscribe(events.WEBHOOK_RECORDED, tasks.webhook_deliver_queue)
        events.subscribe(events.CHAT_TURN_STORED, tasks.chat_turn_respond_queue)
        events.subscribe(events.HANDOFF_SUMMARY_EXTRACTED, tasks.handoff_summary_write_queue)
