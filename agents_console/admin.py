from django.contrib import admin

from agents_console.models import AuditEvent, Note, SavedReply


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
