from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from escalation.models import Handoff, Team


class Note(models.Model):
    """An agent's internal note on a case: colleagues read it, the customer never does."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Note on {self.handoff_id}: {self.text[:40]}"


class AuditEvent(models.Model):
    """Who did what to a case, and when."""

    class Kind(models.TextChoices):
        OPENED = "opened"
        CLAIMED = "claimed"
        ASSIGNED = "assigned"
        REPLIED = "replied"
        NOTED = "noted", "Added a note"
        RESOLVED = "resolved"
        TAKEN_OVER = "taken_over", "Took the case over"
        RELEASED = "released", "Returned to the queue"
        HANDED_BACK = "handed_back", "Handed back to the AI"

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the system acted (e.g. a case returned for lack of an answer).",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["handoff", "at"])]

    def __str__(self) -> str:
        return f"{self.actor or 'system'} {self.kind} handoff {self.handoff_id}"


class CaseViewer(models.Model):
    """An open case screen (one per socket), for "who else is viewing"."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="viewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} viewing {self.handoff_id}"


class SavedReply(models.Model):
    """A reply agents insert from the reply box (`/`, then search). Its placeholders are filled
    from the case: {first_name}, {order_number} and {agent_name}."""

    title = models.CharField(max_length=100)
    text = models.TextField(
        help_text="Placeholders: {first_name} (the customer's), {order_number} (from the "
        "packet), {agent_name} (the agent's own). One the case cannot fill is left for the "
        "agent to complete."
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_replies",
        help_text="Offered on this team's cases only; empty: on every case.",
    )

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "saved replies"

    def __str__(self) -> str:
        return self.title


class ConsoleSettings(models.Model):
    """How the console treats claimed cases. One row, edited by supervisors in the admin."""

    agent_reply_timeout_minutes = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text="A claimed case whose agent has not answered the customer within this time "
        "goes back to the queue.",
    )

    class Meta:
        verbose_name_plural = "console settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="one_console_settings")]

    def __str__(self) -> str:
        return "Console settings"

    @classmethod
    def current(cls) -> "ConsoleSettings":
        row, _ = cls.objects.get_or_create(pk=1)
        return row
