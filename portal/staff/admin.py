from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.urls import path

from portal.audit.models import AuditEvent
from portal.outreach.models import ContactOutcome

from . import (
    admin_disputes,  # noqa: F401  (registers the online dispute queue)
    admin_models,  # noqa: F401  (registers the propensity models and their cards)
)
from .admin_audit import AuditEventAdmin
from .admin_views import kpi_view, log_contact_view, resolve_dispute_view

admin.site.register(AuditEvent, AuditEventAdmin)


@admin.register(ContactOutcome)
class ContactOutcomeAdmin(admin.ModelAdmin):
    """Read-only list of logged contacts; they are written from the debtor's page only,
    through the service that applies and audits their effects. The model is outreach's;
    its pages, the call panel and the KPI dashboard hang off it here."""

    list_display = ("occurred_at", "debtor", "debt", "method", "direction", "outcome", "agent")
    list_filter = ("outcome", "method", "direction", ("occurred_at", admin.DateFieldListFilter))
    list_select_related = ("debtor", "debt__portfolio", "agent")
    raw_id_fields = ("debtor", "debt")
    ordering = ("-occurred_at", "-id")
    show_full_result_count = False
    change_list_template = "admin/staff/contactoutcome/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("kpis/", view(self.kpi_view), name="staff_kpis"),
            path("log/<int:debtor_id>/", view(self.log_view), name="staff_contactoutcome_log"),
            path(
                "<int:outcome_id>/resolve/",
                view(self.resolve_view),
                name="staff_contactoutcome_resolve",
            ),
        ]
        return own + super().get_urls()

    def kpi_view(self, request):
        return kpi_view(self, request)

    def log_view(self, request, debtor_id: int):
        return log_contact_view(self, request, debtor_id)

    def resolve_view(self, request, outcome_id: int):
        return resolve_dispute_view(self, request, outcome_id)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_see_kpis": request.user.has_perm("staff.view_kpis"),
        }
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # from the debtor's page, where the policy check is shown

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SuperuserOnly:
    """Machinery tables (lockouts, roles) that a collections team never works in: only a
    superuser sees them, whatever view permissions a role (compliance reads every model)
    carries."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return (
            request.user.is_active
            and request.user.is_superuser
            and super().has_change_permission(request, obj)
        )


for model, model_admin in [
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
    (Group, GroupAdmin),
]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(model_admin.__name__, (SuperuserOnly, model_admin), {}))
