from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from agents_console.models import AuditEvent, ConsoleSettings, Note, SavedReply


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "handoff", "actor", "kind", "detail"]
    list_filter = ["kind"]
    search_fields = ["detail", "actor__username", "handoff__conversation__external_id"]
    date_hierarchy = "at"
    raw_id_fields = ["handoff", "actor"]
    list_select_related = ["handoff__conversation", "actor"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["created_at", "handoff", "author", "text"]
    search_fields = ["text"]
    raw_id_fields = ["handoff", "author"]


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "team"]
    list_filter = ["team"]
    search_fields = ["title", "text"]


@admin.register(ConsoleSettings)
class ConsoleSettingsAdmin(admin.ModelAdmin):
    """One row: the list opens it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return redirect("admin:agents_console_consolesettings_change", ConsoleSettings.current().pk)
