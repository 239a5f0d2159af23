import datetime
import hashlib
import secrets
from typing import Any

import numpy as np
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q

from escalation import triggers
from escalation.backends import outage_safe
from escalation.detectors.encoder import Vector


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Bot(models.Model):
    """An AI assistant that talks to customers and hands off through the Bot API."""

    name = models.CharField(max_length=100, unique=True)
    callback_url = models.URLField(
        blank=True, help_text="Where webhooks go unless a conversation names its own."
    )
    webhook_secret = models.CharField(
        max_length=100, default=new_webhook_secret, help_text="Signs the webhooks (HMAC-SHA256)."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A bot's secret key; only its SHA-256 is stored, so a leaked table leaks no key."""

    PREFIX = "hov_"

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=100, blank=True)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text="The key's first characters.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.hint}… ({self.bot})"

    @staticmethod
    def hash(raw_key: str) -> str:
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Customer(models.Model):
    bot = models.ForeignKey(Bot, on_delete=models.PROTECT, related_name="customers")
    external_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    is_verified = models.BooleanField(default=False)
    verification_method = models.CharField(
        max_length=100, blank=True, help_text="How the identity was verified, e.g. 'login', 'otp'."
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
        help_text="The web chat login that verifies this customer.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When their personal data was erased."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bot", "external_id"], name="customer_external_id_per_bot"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.external_id

    def identity_snapshot(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "verified": self.is_verified,
            "verification_method": self.verification_method,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
        }


class Conversation(models.Model):
    class Status(models.TextChoices):
        AI = "ai", "With the AI"
        QUEUED = "queued", "Queued for a human"
        WITH_AGENT = "with_agent", "With an agent"
        RESOLVED = "resolved", "Resolved"

    bot = models.ForeignKey(Bot, on_delete=models.PROTECT, related_name="conversations")
    external_id = models.CharField(max_length=200)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="conversations")
    channel = models.CharField(max_length=50, default="api")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AI)
    callback_url = models.URLField(blank=True)
    held_soft_signals = models.PositiveIntegerField(
        default=0, help_text="Soft signals held back since the AI last had the conversation."
    )
    first_soft_signal_at = models.DateTimeField(null=True, blank=True)
    last_held_point = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="The last message stored when a soft signal was last held back: a signal "
        "held again at the same point (a retried /evaluate, or the draft it held, sent) is "
        "counted once.",
    )
    handed_back_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When an agent last handed it back to the AI: soft triggers wait for the "
        "policy's grace from then.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bot", "external_id"], name="conversation_external_id_per_bot"
            )
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.customer})"

    @property
    def webhook_url(self) -> str:
        return self.callback_url or self.bot.callback_url


class EncodingField(models.BinaryField):
    """A text's sentence encoding (escalation/detectors/encoder.py), kept as the bytes of its
    float32 vector (1,536 bytes) and read back as the vector. float32, not float16 (768 bytes):
    measured 2026-12-04 on the 1,848 pairs of shared/eval/repeat_pairs.jsonl with the shipped
    repeats head, float16 vectors moved its probability by up to 0.00019, which changed the
    third decimal on 64 pairs and the fourth (the precision of a restatement's score, as the
    repeat indicator keeps it) on 640; no verdict changed."""

    # How django-stubs types the value: the vector, where BinaryField's is bytes.
    _pyi_private_set_type: Vector | None
    _pyi_private_get_type: Vector  # type: ignore[assignment]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Vector | None:
        return None if value is None else np.frombuffer(value, dtype=np.float32)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return value.astype(np.float32, copy=False).tobytes()
        return super().get_prep_value(value)


class Message(models.Model):
    class Sender(models.TextChoices):
        CUSTOMER = "customer"
        AI = "ai", "AI"
        AGENT = "agent"
        SYSTEM = "system"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL: none given, never unique-checked
    sender = models.CharField(max_length=10, choices=Sender.choices)
    text = models.TextField()
    confidence = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.JSONField(
        null=True, blank=True, help_text="The decision answered when the message was posted."
    )
    # Written once, with the customer's message (transcript.message_add), so that no process
    # encodes it again to compare it; only customer messages are compared. None for the
    # others, for those stored before it was kept (encoded when read, as they were) and for
    # erased ones. The encoder is pinned (pyproject.toml): another model's vectors would need
    # these cleared.
    encoding = EncodingField(null=True, help_text="The encoding of the text (customer messages).")
    sent_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"],
                condition=Q(external_id__isnull=False),
                name="message_external_id_per_conversation",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                name="message_confidence_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:60]}"


class HeldSignal(models.Model):
    """A soft signal the AI held back for lack of an agent, on a customer turn, an AI turn or
    a draft the bot only evaluated (which stores no message). Written where the held signal
    is counted, so that the case lists every one, whichever way it came; read by held.py."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="held_signals"
    )
    kind = models.CharField(max_length=32)
    at = models.DateTimeField()
    score = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    evidence = models.TextField(blank=True)
    why = models.CharField(max_length=200)
    point = models.PositiveBigIntegerField(
        help_text="The last message stored when it was held (Conversation.last_held_point)."
    )

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            # The point the held count counts a signal once at: a bot evaluating the same
            # draft again, or sending the draft it evaluated, holds the same signal again.
            models.UniqueConstraint(
                fields=["conversation", "kind", "point"], name="held_signal_once_per_point"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} held at {self.at:%Y-%m-%d %H:%M}"


class AIAction(models.Model):
    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        BLOCKED = "blocked"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="actions")
    external_id = models.CharField(max_length=200)
    name = models.CharField(max_length=100)
    params = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.TextField(blank=True)
    rule = models.CharField(max_length=200, blank=True, help_text="The scope rule that blocked it.")
    decision = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "AI action"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"], name="action_external_id_per_conversation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.outcome}"

    def describe(self) -> str:
        params = " ".join(f"{key}={value}" for key, value in self.params.items())
        text = f"{self.name} {params}".strip() + f" — {self.outcome}"
        reason = self.rule or self.detail
        return f"{text}: {reason}" if reason else text

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "params": self.params,
            "outcome": self.outcome,
            "detail": self.detail,
            "rule": self.rule,
            "at": self.created_at.isoformat(),
        }


class Team(models.Model):
    """A group of agents with a queue of their own (billing, shipping, …)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True, help_text="The name bots use in /handoff.")
    is_default = models.BooleanField(
        default=False, help_text="Handoffs that name no team, and match no rule, go here."
    )
    waiting_target_seconds = models.PositiveIntegerField(
        default=300,
        validators=[MinValueValidator(10), MaxValueValidator(24 * 3600)],
        help_text="How long a case may wait for an agent: the queue clock turns amber at half "
        "of it and red past it.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_team"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Disposition(models.Model):
    """What kind of problem a resolved case turned out to be: the agent picks one when closing
    it, and the dashboard counts the handoffs by it."""

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower positions list first.")
    is_active = models.BooleanField(
        default=True, help_text="Offered when closing a case; past cases keep theirs."
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    """What capacity is made of: who is available now, and how many cases each can hold."""

    class Presence(models.TextChoices):
        AVAILABLE = "available"
        AWAY = "away"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    presence = models.CharField(max_length=10, choices=Presence.choices, default=Presence.AWAY)
    presence_changed_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    max_concurrent_cases = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="agents")
    wants_notifications = models.BooleanField(
        default=True, help_text="Browser notification and sound for new handoffs."
    )

    class Meta:
        indexes = [models.Index(fields=["presence"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.presence})"


class Handoff(models.Model):
    """The packet a human picks up: identity, summary, actions with results, and why."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        CLAIMED = "claimed"
        RESOLVED = "resolved"
        RETURNED = "returned", "Returned to the AI"

    class Resolution(models.TextChoices):
        RESOLVED = "resolved"
        NOT_RESOLVED = "not_resolved", "Not resolved"
        FOLLOW_UP = "follow_up", "Follow-up needed"

    class SummarySource(models.TextChoices):
        BOT = "bot", "Written by the bot"
        EXTRACT = "extract", "Extracted from the customer's turns"
        AI = "ai", "Written by the AI at the handoff"

    OPEN_STATUSES = (Status.QUEUED, Status.CLAIMED)

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="handoffs"
    )
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL: none given, never unique-checked
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    identity = models.JSONField(default=dict)
    summary = models.TextField(blank=True)
    summary_source = models.CharField(
        max_length=10, choices=SummarySource.choices, default=SummarySource.EXTRACT
    )
    reason = models.TextField(blank=True)
    actions = models.JSONField(default=list, blank=True)
    triggers = models.JSONField(default=list, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="handoffs"
    )
    estimated_wait_seconds = models.PositiveIntegerField(null=True, blank=True)
    queued_at = models.DateTimeField()
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claimed_handoffs",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    disposition = models.ForeignKey(
        Disposition, null=True, blank=True, on_delete=models.PROTECT, related_name="handoffs"
    )

    class Meta:
        ordering = ["queued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(status__in=["queued", "claimed"]),
                name="one_open_handoff_per_conversation",
            ),
            models.UniqueConstraint(
                fields=["conversation", "external_id"],
                condition=Q(external_id__isnull=False),
                name="handoff_external_id_per_conversation",
            ),
            models.CheckConstraint(
                condition=~Q(status="claimed") | Q(claimed_by__isnull=False),
                name="claimed_handoff_has_agent",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "queued_at"]),
            # The recent handle time (capacity) reads the latest resolved handoffs.
            models.Index(fields=["status", "resolved_at"]),
        ]

    def __str__(self) -> str:
        return f"Handoff {self.pk} of {self.conversation}"

    def previous_end(self) -> datetime.datetime | None:
        """When the conversation's handoff before this one ended (None if there was none or it is
        still open): what the AI had back since then belongs to this handoff."""
        return (
            Handoff.objects.filter(
                conversation_id=self.conversation_id, queued_at__lt=self.queued_at
            )
            .exclude(pk=self.pk)
            .order_by("-queued_at")
            .values_list("resolved_at", flat=True)
            .first()
        )

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


def unit_interval() -> list[Any]:
    return [MinValueValidator(0.0), MaxValueValidator(1.0)]


class TriggerPolicy(models.Model):
    """The thresholds the escalation triggers use. One row, edited by supervisors; every change is
    kept in PolicyChange."""

    low_confidence_threshold = models.FloatField(
        default=0.5,
        validators=unit_interval(),
        help_text="An AI draft whose confidence is below this hands off (0 to 1), before capacity "
        "adjusts it.",
    )
    distress_threshold = models.FloatField(
        default=0.5,
        validators=unit_interval(),
        help_text="Frustration score (0 to 1) from which a customer message counts as distress.",
    )
    repeat_similarity_threshold = models.FloatField(
        default=0.5,
        validators=unit_interval(),
        help_text="Similarity (0 to 1) from which a customer message restates an earlier one.",
    )
    reask_limit = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1)],
        help_text="Re-asks (the customer restating a question the AI already answered) that count "
        "as distress.",
    )
    capacity_adjustment = models.FloatField(
        default=0.15,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.5)],
        help_text="How far soft thresholds move when agents are idle (relax) or the wait is long "
        "(tighten).",
    )
    max_wait_seconds = models.PositiveIntegerField(
        default=300,
        help_text="Estimated waits longer than this tighten the soft thresholds.",
    )
    max_held_soft_signals = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text="After this many soft signals held back (for lack of an agent), the next one "
        "hands off anyway. Signals held on /evaluate count too.",
    )
    handback_grace_turns = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(100)],
        help_text="After an agent hands a conversation back to the AI, soft triggers (low "
        "confidence, distress) do not send it back to a person during the customer's next this "
        "many turns, nor within the grace minutes; a request for a person or an action outside "
        "the AI's scope still hands off. 0: no grace in turns.",
    )
    handback_grace_minutes = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(24 * 60)],
        help_text="Minutes after a hand-back during which soft triggers do not hand off either "
        "(the grace lasts until both the turns and the minutes have passed). 0: no grace in time.",
    )
    default_handle_seconds = models.PositiveIntegerField(
        default=600,
        validators=[MinValueValidator(1)],
        help_text="Handle time assumed for the wait estimate until there is recent history.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    TUNABLE_FIELDS = (
        "low_confidence_threshold",
        "distress_threshold",
        "repeat_similarity_threshold",
        "reask_limit",
        "capacity_adjustment",
        "max_wait_seconds",
        "max_held_soft_signals",
        "handback_grace_turns",
        "handback_grace_minutes",
        "default_handle_seconds",
    )

    class Meta:
        verbose_name_plural = "trigger policy"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="one_trigger_policy")]

    def __str__(self) -> str:
        return "Trigger policy"

    CACHE_KEY = "trigger-policy"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self.cache_clear()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        self.cache_clear()
        return deleted

    @classmethod
    def current(cls) -> "TriggerPolicy":
        """The one policy, read from the cache, its only cache (every turn's decision needs
        it); saving it clears the cache, so a supervisor's change applies to the next turn in
        every process. Change it with save(), not a queryset update."""
        policy: TriggerPolicy | None = outage_safe.cache_get(cls.CACHE_KEY)
        if policy is None:
            policy, _ = cls.objects.get_or_create(pk=1)
            outage_safe.cache_set(cls.CACHE_KEY, policy, timeout=300)
        return policy

    @classmethod
    def cache_clear(cls) -> None:
        """Now for this transaction, and again on commit: another request may have cached the
        old row in between."""
        outage_safe.cache_delete(cls.CACHE_KEY)
        transaction.on_commit(lambda: outage_safe.cache_delete(cls.CACHE_KEY))

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.TUNABLE_FIELDS}


class RoutingRule(models.Model):
    """Where a handoff goes when the bot names no team: the first rule, by position, whose
    trigger fired for it and whose action the AI tried in the conversation (what the customer
    wanted done: issue_credit, change_address, …). A rule names a trigger, an action, or both."""

    policy = models.ForeignKey(
        TriggerPolicy, default=1, on_delete=models.CASCADE, related_name="routing_rules"
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower positions match first.")
    trigger_kind = models.CharField(
        max_length=30,
        blank=True,
        choices=list(triggers.KIND_LABELS.items()),
        help_text="Matches when it fired.",
    )
    action_name = models.CharField(
        max_length=100,
        blank=True,
        help_text="Matches when the AI tried this action in the conversation (allowed or blocked).",
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="routing_rules")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger_kind="", action_name=""),
                name="routing_rule_matches_something",
                violation_error_message="A routing rule names a trigger, an action, or both.",
            )
        ]

    def __str__(self) -> str:
        what = " and ".join(filter(None, [self.trigger_kind, self.action_name]))
        return f"{what} → {self.team}"

    def matches(self, *, trigger_kinds: set[str], action_names: set[str]) -> bool:
        return (not self.trigger_kind or self.trigger_kind in trigger_kinds) and (
            not self.action_name or self.action_name in action_names
        )


class PolicyChange(models.Model):
    """Who changed the trigger policy, when, and from what to what."""

    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changes = models.JSONField(help_text='{"field": [old, new], …}')

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"Policy change {self.changed_at:%Y-%m-%d %H:%M}"


class AuthorisedAction(models.Model):
    """An action the AI may take on its own; anything not listed here is out of its scope."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ActionLimit(models.Model):
    """An upper bound on one numeric parameter of an authorised action, e.g. amount ≤ 50."""

    action = models.ForeignKey(AuthorisedAction, on_delete=models.CASCADE, related_name="limits")
    param = models.CharField(max_length=100)
    maximum = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "param"], name="one_limit_per_param")
        ]

    def __str__(self) -> str:
        return f"{self.action.name}.{self.param} ≤ {self.maximum.normalize():f}"


class WebhookDelivery(models.Model):
    """One event for one bot's callback URL; its attempts are the delivery log."""

    class Event(models.TextChoices):
        HANDOFF_CREATED = "handoff.created"
        AGENT_JOINED = "agent.joined"
        AGENT_MESSAGE = "agent.message"
        CONVERSATION_RESOLVED = "conversation.resolved"
        CONVERSATION_HANDED_BACK = "conversation.handed_back"

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed", "Failed (gave up)"

    delivery_id = models.UUIDField(unique=True, editable=False)
    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="webhook_deliveries")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    url = models.URLField()
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.url} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField()
    attempted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="one_attempt_per_number")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
