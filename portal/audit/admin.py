from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is append-only by design."""

    list_display = ("id", "occurred_at", "actor", "action", "subject")
    list_filter = ("action", "actor_type", ("occurred_at", admin.DateFieldListFilter))
    search_fields = ("subject_id", "actor_label", "action")
    ordering = ("-id",)
    # The table only grows; an exact COUNT(*) on every filtered page is not worth its cost.
    show_full_result_count = False
    fields = (
        "occurred_at",
        "actor_type",
        "actor_id",
        "actor_label",
        "action",
        "subject_type",
        "subject_id",
        "pretty_details",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="actor", ordering="actor_label")
    def actor(self, obj: AuditEvent) -> str:
        return f"{obj.get_actor_type_display()}: {obj.actor_label}"

    @admin.display(description="subject")
    def subject(self, obj: AuditEvent) -> str:
        return f"{obj.subject_type}:{obj.subject_id}" if obj.subject_type else "—"

    @admin.display(description="details")
    def pretty_details(self, obj: AuditEvent) -> str:
        text = json.dumps(obj.details, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html("<pre>{}</pre>", text)
