from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = "Escalation"

    def ready(self) -> None:
        from escalation import (
            bots,  # noqa: F401 - connects the key cache's receivers
            checks,  # noqa: F401 - registers the system checks
        )
