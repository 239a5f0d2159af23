from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from escalation.bots import api_key_issue, api_key_revoke
from escalation.models import (
    AgentProfile,
    AIAction,
    ApiKey,
    Bot,
    Conversation,
    Customer,
    Handoff,
    Message,
    Team,
    TriggerPolicy,
    WebhookAttempt,
    WebhookDelivery,
)


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


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "sent_at",
        "sender",
        "text",
        "confidence",
        "agent",
    )
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AIActionInline(admin.TabularInline):
    model = AIAction
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "created_at",
        "name",
        "params",
        "outcome",
        "detail",
        "rule",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HandoffInline(admin.TabularInline):
    model = Handoff
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "status",
        "queued_at",
        "claimed_by",
        "claimed_at",
        "resolved_at",
        "resolution",
    )
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
    list_display = ["__str__", "conversation", "sender", "confidence", "sent_at"]
    list_filter = ["sender"]
    search_fields = ["text", "external_id", "conversation__external_id"]
    raw_id_fields = ["conversation", "agent"]
    list_select_related = ["conversation"]


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


@admin.register(TriggerPolicy)
class TriggerPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "low_confidence_threshold", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request: HttpRequest, obj: TriggerPolicy, form: Any, change: bool) -> None:
        obj.updated_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_default"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


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
