from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from escalation.bots import api_key_issue, api_key_revoke
from escalation.models import (
    ActionLimit,
    AgentProfile,
    AIAction,
    ApiKey,
    AuthorisedAction,
    Bot,
    Conversation,
    Customer,
    Disposition,
    Handoff,
    Message,
    PolicyChange,
    RoutingRule,
    Team,
    TriggerPolicy,
    WebhookAttempt,
    WebhookDelivery,
)
from escalation.replay import policy_compare


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ["hint", "label", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["hint", "created_at", "last_used_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            False  # keys are issued by the "Issue a new API key" action, which shows the key once
        )


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    list_display = ["name", "callback_url", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
    inlines = [ApiKeyInline]
    actions = ["issue_key"]

    @admin.action(description="Issue a new API key (shown once)")
    def issue_key(self, request: HttpRequest, queryset: QuerySet[Bot]) -> None:
        for bot in queryset:
            key = api_key_issue(bot=bot, label=f"issued by {request.user}")
            self.message_user(
                request,
                f"New key for {bot.name} (copy it now, it is not stored): {key}",
                messages.WARNING,
            )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["hint", "bot", "label", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["bot", "revoked_at"]
    search_fields = ["label", "bot__name", "hint"]
    readonly_fields = ["hint", "bot", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "external_id", "email", "is_verified", "verification_method", "bot"]
    list_filter = ["is_verified", "bot"]
    search_fields = ["name", "email", "external_id", "phone"]
    raw_id_fields = ["user"]


class ReadOnlyInline(admin.TabularInline):
    """A record of what happened, shown beside its parent; nobody adds or deletes it here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MessageInline(ReadOnlyInline):
    model = Message
    fields = readonly_fields = (
        "sent_at",
        "sender",
        "text",
        "confidence",
        "agent",
    )
    show_change_link = False


class AIActionInline(ReadOnlyInline):
    model = AIAction
    fields = readonly_fields = (
        "created_at",
        "name",
        "params",
        "outcome",
        "detail",
        "rule",
    )


class HandoffInline(ReadOnlyInline):
    model = Handoff
    fields = readonly_fields = (
        "status",
        "queued_at",
        "claimed_by",
        "claimed_at",
        "resolved_at",
        "resolution",
    )
    show_change_link = True


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "customer",
        "bot",
        "channel",
        "status",
        "created_at",
        "updated_at",
    ]
    list_filter = ["status", "channel", "bot"]
    search_fields = ["external_id", "customer__name", "customer__email", "customer__external_id"]
    date_hierarchy = "created_at"
    list_select_related = ["customer", "bot"]
    raw_id_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [HandoffInline, AIActionInline, MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The transcript is a record: read here, never written. An edit would skip the masking of
    secrets (redaction.py) and leave the message's stored encoding stale; erasure is the way to
    take a customer's words out."""

    list_display = ["__str__", "conversation", "sender", "confidence", "sent_at"]
    exclude = ["encoding"]
    list_filter = ["sender"]
    search_fields = ["text", "external_id", "conversation__external_id"]
    raw_id_fields = ["conversation", "agent"]
    list_select_related = ["conversation"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AIAction)
class AIActionAdmin(admin.ModelAdmin):
    list_display = ["name", "outcome", "rule", "conversation", "created_at"]
    list_filter = ["outcome", "name"]
    search_fields = ["name", "detail", "rule", "conversation__external_id"]
    raw_id_fields = ["conversation"]
    list_select_related = ["conversation"]


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "conversation",
        "status",
        "queued_at",
        "claimed_by",
        "resolved_at",
        "resolution",
    ]
    list_filter = ["status", "resolution"]
    search_fields = ["summary", "conversation__external_id", "conversation__customer__name"]
    date_hierarchy = "queued_at"
    raw_id_fields = ["conversation", "claimed_by"]
    list_select_related = ["conversation", "claimed_by"]


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0
    fields = ["position", "trigger_kind", "action_name", "team"]
    verbose_name_plural = (
        "Routing: a handoff the bot names no team for goes to the first matching rule's team, "
        "else the default team"
    )


@admin.register(TriggerPolicy)
class TriggerPolicyAdmin(admin.ModelAdmin):
    """One policy, tuned here; "Preview" replays recent conversations under the values in the
    form, beside the policy in force, without saving."""

    change_form_template = "admin/escalation/triggerpolicy/change_form.html"
    readonly_fields = ["updated_at", "updated_by"]
    fieldsets = [
        (
            "Soft triggers",
            {
                "fields": [
                    "low_confidence_threshold",
                    "distress_threshold",
                    "repeat_similarity_threshold",
                    "reask_limit",
                ]
            },
        ),
        (
            "Capacity",
            {
                "fields": [
                    "capacity_adjustment",
                    "max_wait_seconds",
                    "max_held_soft_signals",
                    "default_handle_seconds",
                ]
            },
        ),
        ("Hand-back to the AI", {"fields": ["handback_grace_turns", "handback_grace_minutes"]}),
        ("Last change", {"fields": ["updated_at", "updated_by"]}),
    ]
    inlines = [RoutingRuleInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not TriggerPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        policy = TriggerPolicy.current()
        return redirect("admin:escalation_triggerpolicy_change", policy.pk)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST" and "_whatif" in request.POST and object_id:
            return self.whatif_view(request, object_id, form_url)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def whatif_view(self, request: HttpRequest, object_id: str, form_url: str) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_change_permission(request, obj):
            raise PermissionDenied
        form = self.get_form(request, obj, change=True)(request.POST, instance=obj)
        context: dict[str, Any] = {}
        days, days_clamped = whatif_days(request.POST.get("whatif_days"))
        if form.is_valid():
            proposed = form.save(commit=False)
            context["whatif"] = policy_compare(
                current=TriggerPolicy.objects.get(pk=obj.pk), proposed=proposed, days=days
            )
        # The same inline formsets changeform_view builds, bound to the posted rows.
        formsets, inline_instances = self._create_formsets(  # type: ignore[attr-defined]
            request, obj, change=True
        )
        admin_form = helpers.AdminForm(
            form,
            list(self.get_fieldsets(request, obj)),  # type: ignore[arg-type]
            {},
            self.get_readonly_fields(request, obj),
            model_admin=self,
        )
        context |= {
            **self.admin_site.each_context(request),
            "title": "Change trigger policy",
            "subtitle": None,
            "adminform": admin_form,
            "object_id": object_id,
            "original": obj,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": self.get_inline_formsets(
                request, formsets, inline_instances, obj
            ),
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            "whatif_days": days,
            "whatif_days_clamped": days_clamped,
        }
        return self.render_change_form(request, context, add=False, change=True, obj=obj)

    def save_model(self, request: HttpRequest, obj: TriggerPolicy, form: Any, change: bool) -> None:
        obj.updated_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """One PolicyChange per save, with the fields and the routing rules it changed (the
        rules are saved here, after the policy row)."""
        policy = form.instance
        rules_before = routing_rules_text(policy)
        super().save_related(request, form, formsets, change)
        # The form's initial values are the row as it was read for this save.
        changes: dict[str, Any] = {
            name: [form.initial.get(name), value]
            for name, value in policy.values().items()
            if form.initial.get(name) != value
        }
        rules_after = routing_rules_text(policy)
        if rules_after != rules_before:
            changes["routing_rules"] = [rules_before, rules_after]
        if changes:
            PolicyChange.objects.create(changed_by=policy.updated_by, changes=changes)


def routing_rules_text(policy: TriggerPolicy) -> list[str]:
    """The rules in the order they match, as a supervisor reads them ("distress → Billing")."""
    return [str(rule) for rule in policy.routing_rules.select_related("team")]


WHATIF_DAYS = (1, 90)


def whatif_days(raw: str | None) -> tuple[int, str]:
    """The days to replay and, when they are not the ones asked for, why."""
    low, high = WHATIF_DAYS
    try:
        asked = int(raw or 7)
    except ValueError:
        return 7, f"{raw!r} is not a number of days: the last 7 days are replayed."
    days = min(high, max(low, asked))
    if days != asked:
        return days, f"Replays cover {low} to {high} days: asked for {asked}, replayed {days}."
    return days, ""


@admin.register(PolicyChange)
class PolicyChangeAdmin(admin.ModelAdmin):
    list_display = ["changed_at", "changed_by", "summary"]
    list_filter = ["changed_by"]
    readonly_fields = ["changed_at", "changed_by", "changes"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="changes")
    def summary(self, obj: PolicyChange) -> str:
        return "; ".join(
            f"{name}: {change_value_text(old)} ⇒ {change_value_text(new)}"
            for name, (old, new) in obj.changes.items()
        )


def change_value_text(value: Any) -> str:
    """A field's value, or a list of routing rules ("[distress → Billing, …]", "none")."""
    if isinstance(value, list):
        return f"[{', '.join(map(str, value))}]" if value else "none"
    return str(value)


class ActionLimitInline(admin.TabularInline):
    model = ActionLimit
    extra = 1


@admin.register(AuthorisedAction)
class AuthorisedActionAdmin(admin.ModelAdmin):
    """The AI's authorised scope: actions it may take alone, and limits on their parameters."""

    list_display = ["name", "description", "limits_text"]
    search_fields = ["name", "description"]
    inlines = [ActionLimitInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuthorisedAction]:
        return super().get_queryset(request).prefetch_related("limits")

    @admin.display(description="limits")
    def limits_text(self, obj: AuthorisedAction) -> str:
        return ", ".join(str(limit) for limit in obj.limits.all()) or "no limits"


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_default", "waiting_target_seconds"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Disposition)
class DispositionAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name"]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "presence", "max_concurrent_cases", "last_seen_at"]
    list_filter = ["presence", "teams"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    filter_horizontal = ["teams"]
    raw_id_fields = ["user"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ("number", "attempted_at", "status_code", "error", "duration_ms")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only, it records what was sent."""

    list_display = ["event", "bot", "conversation", "status", "attempts", "created_at", "url"]
    list_filter = ["status", "event", "bot"]
    search_fields = ["delivery_id", "url", "conversation__external_id"]
    date_hierarchy = "created_at"
    list_select_related = ["bot", "conversation"]
    inlines = [WebhookAttemptInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
