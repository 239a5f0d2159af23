from django.apps import AppConfig

from escalation import events


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from surveys import indicators, tasks

        # Inside the erasure's transaction, before the transcript goes: see customer_erase.
        events.subscribe(events.CUSTOMER_ERASING, indicators.customer_erase, on_commit=False)

        events.subscribe(events.FIRST_CUSTOMER_TURN, tasks.came_back_judge_queue)
        events.subscribe(events.HANDOFF_CREATED, tasks.after_handoff_created)
        events.subscribe(events.HANDOFF_RESOLVED, tasks.after_handoff_resolved)
        events.subscribe(events.HANDOFF_RETURNED, tasks.after_handoff_returned)
