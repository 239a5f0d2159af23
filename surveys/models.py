import hashlib

from django.db import models
from django.db.models import Q

from escalation.models import Handoff, Message


class HandoffOutcome(models.Model):
    """What the handover achieved, per handoff: the transcript-based indicators and the facts
    the dashboard groups by. Recomputable at any time from the transcript."""

    handoff = models.OneToOneField(Handoff, on_delete=models.CASCADE, related_name="outcome")
    trigger_kind = models.CharField(
        max_length=30, blank=True, help_text="The first trigger that fired, or 'bot' if none."
    )
    agents_available_at_handoff = models.BooleanField(
        null=True,
        blank=True,
        help_text="Was any agent available when it was queued? (unknown: empty)",
    )
    first_soft_signal_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a soft trigger first fired without a handoff (the AI kept trying).",
    )
    repeated = models.BooleanField(
        null=True, blank=True, help_text="Did the customer restate the problem to the human?"
    )
    repeat_score = models.FloatField(null=True, blank=True)
    repeat_before = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The customer's message to the AI that was restated.",
    )
    repeat_after = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The customer's message to the human that restated it.",
    )
    first_contact_resolved = models.BooleanField(
        null=True, blank=True, help_text="Empty while the come-back window is still open."
    )
    fcr_reason = models.CharField(max_length=200, blank=True)
    fcr_window_closes_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["first_contact_resolved", "fcr_window_closes_at"])]

    def __str__(self) -> str:
        return f"Outcome of handoff {self.handoff_id}"


class Survey(models.Model):
    """The post-contact survey: one per handoff, answered once through its link, which carries
    a random token (only its hash is kept) and expires SURVEY_MAX_AGE_DAYS after it was sent."""

    handoff = models.OneToOneField(Handoff, on_delete=models.CASCADE, related_name="survey")
    email = models.EmailField(blank=True, help_text="Where the link was sent, if anywhere.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="SHA-256 of the link's token; empty until the link is sent.",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    did_help = models.BooleanField(null=True, blank=True)
    had_to_repeat = models.BooleanField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="survey_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Survey for handoff {self.handoff_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
