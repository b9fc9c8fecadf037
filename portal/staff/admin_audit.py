"""The audit log as staff review it: the read-only list with its filters, the CSV exports, the
chain check and the debtor's 360° timeline. Staff's, not portal.audit's: the filters and the
timeline read debtors, and the audit log sits below every app (docs/architecture.md#layers)."""

from __future__ import annotations

import json

from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.audit import exports, selectors, services
from portal.audit.models import NOT_SEALED, AuditEvent

from .admin_timeline import timeline_view
from .audit_filters import ChannelFilter, DebtorFilter, PeriodFilter


class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is append-only by design."""

    list_display = ("id", "occurred_at", "actor", "action", "subject", "debtor_id")
    list_filter = (
        DebtorFilter,
        PeriodFilter,
        "actor_type",
        ChannelFilter,
        ("occurred_at", admin.DateFieldListFilter),
        "action",
    )
    # Searches action, actor, subject id and the text of the details (see below).
    search_fields = ("action",)
    search_help_text = _("Words in the action, actor name, subject id or details.")
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
        "debtor_id",
        "pretty_details",
        "content_digest",
        "position",
        "previous_hash",
        "chain_hash",
    )
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        matches = (
            Q(action__icontains=term)
            | Q(actor_label__icontains=term)
            | Q(subject_id=term)
            | Q(details_text__icontains=term)
        )
        # The details as text: on PostgreSQL `details::text ILIKE`, one scan, no index.
        return queryset.annotate(details_text=Cast("details", TextField())).filter(matches), False

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("export/", view(self.export_view), name="audit_auditevent_export"),
            path(
                "consent-evidence/<int:debtor_id>/",
                view(self.consent_evidence_view),
                name="audit_auditevent_consent_evidence",
            ),
            path("verify/", view(self.verify_view), name="audit_auditevent_verify"),
            path(
                "timeline/<int:debtor_id>/",
                view(self.timeline_view),
                name="audit_auditevent_timeline",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export": request.user.has_perm("audit.export_auditevent"),
            "can_verify": request.user.has_perm("audit.verify_auditevent"),
        }
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        """The changelist's filtered events as CSV, streamed in id order."""
        self._require(request, "audit.export_auditevent")
        events = self.get_changelist_instance(request).get_queryset(request)
        filters = dict(request.GET.items())
        services.record("audit.exported", actor=request.user, details={"filters": filters})
        return _csv_response(events, f"audit-{timezone.now():%Y%m%d-%H%M%S}.csv")

    def consent_evidence_view(self, request, debtor_id: int):
        """Habeas data: every consent and preference change of one debtor, with evidence."""
        self._require(request, "audit.export_auditevent")
        services.record("audit.consent_evidence_exported", actor=request.user, debtor=debtor_id)
        events = selectors.consent_evidence(debtor_id)
        return _csv_response(events, f"consent-evidence-debtor-{debtor_id}.csv")

    def verify_view(self, request):
        self._require(request, "audit.verify_auditevent")
        if request.method == "POST":
            services.chain_verification_request(requested_by=request.user)
            return HttpResponseRedirect(reverse("admin:audit_auditevent_verify"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Audit chain verification"),
            "opts": self.model._meta,
            "outcome": cache.get(services.VERIFICATION_CACHE_KEY),
        }
        return TemplateResponse(request, "admin/audit/auditevent/verify.html", context)

    def timeline_view(self, request, debtor_id: int):
        return timeline_view(self, request, debtor_id)

    @staticmethod
    def _require(request, permission: str) -> None:
        if not request.user.has_perm(permission):
            raise PermissionDenied

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("actor"), ordering="actor_label")
    def actor(self, obj: AuditEvent) -> str:
        return f"{obj.get_actor_type_display()}: {obj.actor_label}"

    @admin.display(description=_("subject"))
    def subject(self, obj: AuditEvent) -> str:
        return f"{obj.subject_type}:{obj.subject_id}" if obj.subject_type else "—"

    @admin.display(description=_("chain position"))
    def position(self, obj: AuditEvent) -> str:
        return str(obj.chain_position) if obj.sealed else NOT_SEALED

    @admin.display(description=_("previous hash"))
    def previous_hash(self, obj: AuditEvent) -> str:
        return obj.prev_hash if obj.sealed else NOT_SEALED

    @admin.display(description=_("hash"))
    def chain_hash(self, obj: AuditEvent) -> str:
        return obj.hash if obj.sealed else NOT_SEALED

    @admin.display(description=_("details"))
    def pretty_details(self, obj: AuditEvent) -> str:
        text = json.dumps(obj.details, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html("<pre>{}</pre>", text)


def _csv_response(events, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.csv_lines(events), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
