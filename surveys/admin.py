from django.contrib import admin

from surveys.models import HandoffOutcome, Survey


@admin.register(HandoffOutcome)
class HandoffOutcomeAdmin(admin.ModelAdmin):
    list_display = [
        "handoff",
        "trigger_kind",
        "repeated",
        "repeat_score",
        "first_contact_resolved",
        "fcr_reason",
        "agents_available_at_handoff",
        "computed_at",
    ]
    list_filter = ["repeated", "first_contact_resolved", "trigger_kind"]
    raw_id_fields = ["handoff", "repeat_before", "repeat_after"]
    readonly_fields = [f.name for f in HandoffOutcome._meta.get_fields() if f.concrete]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = [
        "handoff",
        "email",
        "sent_at",
        "answered_at",
        "did_help",
        "had_to_repeat",
        "rating",
    ]
    list_filter = ["did_help", "had_to_repeat", "rating"]
    raw_id_fields = ["handoff"]
    readonly_fields = [f.name for f in Survey._meta.get_fields() if f.concrete]
