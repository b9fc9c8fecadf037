"""The schedule change review queue: requests outside the policy's limits, pending first,
with the agreement's schedule, and two decisions (approve, reject) that each call one
service. Like proposals, requests are only created by debtors and changed by those
services: read-only in the admin. The agreement's page shows its changes and every
version of its document."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.audit.readable import readable_html
from portal.money import format_minor

from . import services
from .admin_review import PendingFirstFilter
from .forms import RejectForm
from .models import AgreementDocument, ChangeStatus, ScheduleChangeRequest

DECIDE_PERMISSION = "agreements.change_schedulechangerequest"


class ChangeStatusFilter(PendingFirstFilter):
    statuses = ChangeStatus


@admin.register(ScheduleChangeRequest)
class ScheduleChangeReviewAdmin(admin.ModelAdmin):
    list_display = ("__str__", "debtor", "from_date", "to_date", "outside", "created_at", "status")
    list_filter = (ChangeStatusFilter, "kind")
    list_select_related = ("agreement__debtor",)
    search_fields = ("agreement__number", "agreement__debtor__full_name")
    ordering = ("created_at", "id")
    change_form_template = "admin/agreements/schedulechangerequest/change_form.html"
    exclude = ("breaks", "evidence")
    readonly_fields = ("consent_evidence",)

    @admin.display(description=_("debtor"))
    def debtor(self, obj: ScheduleChangeRequest):
        return obj.agreement.debtor

    @admin.display(description=_("outside the limits"))
    def outside(self, obj: ScheduleChangeRequest) -> str:
        return "; ".join(obj.breaks) or "—"

    @admin.display(description=_("Consent evidence"))
    def consent_evidence(self, obj: ScheduleChangeRequest) -> str:
        return readable_html(obj.evidence, obj.agreement.currency)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # decisions go through the buttons and their services

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_staff and (
            request.user.has_perm("agreements.view_schedulechangerequest")
            or request.user.has_perm(DECIDE_PERMISSION)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if change is not None:
            agreement = change.agreement
            extra.update(
                change_request=change,
                installments=[
                    (i, format_minor(i.amount_minor, agreement.currency))
                    for i in agreement.installments.order_by("number")
                ],
                can_decide=change.status == ChangeStatus.PENDING
                and request.user.has_perm(DECIDE_PERMISSION),
                reject_form=RejectForm(),
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(require_POST(view))

        return [
            path(
                "<int:pk>/approve/",
                wrap(self.approve_view),
                name="agreements_schedulechangerequest_approve",
            ),
            path(
                "<int:pk>/reject/",
                wrap(self.reject_view),
                name="agreements_schedulechangerequest_reject",
            ),
            *super().get_urls(),
        ]

    def _decidable(self, request: HttpRequest, pk: int) -> ScheduleChangeRequest:
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        return get_object_or_404(ScheduleChangeRequest, pk=pk)

    def _back(self, change: ScheduleChangeRequest, *, queue: bool = False):
        if queue:
            return HttpResponseRedirect(
                reverse("admin:agreements_schedulechangerequest_changelist")
            )
        return HttpResponseRedirect(
            reverse("admin:agreements_schedulechangerequest_change", args=[change.pk])
        )

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        change = self._decidable(request, pk)
        try:
            services.schedule_change_approve(change=change, actor=request.user)
        except services.AgreementError as error:
            messages.error(request, gettext("Not approved: %(error)s") % {"error": error})
            return self._back(change)
        messages.success(request, gettext("Approved: the schedule was changed."))
        return self._back(change, queue=True)

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        change = self._decidable(request, pk)
        form = RejectForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Not rejected: a reason is required."))
            return self._back(change)
        try:
            services.schedule_change_reject(
                change=change, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except services.AgreementError as error:
            messages.error(request, gettext("Not rejected: %(error)s") % {"error": error})
            return self._back(change)
        messages.success(request, gettext("Request rejected; the debtor is told why."))
        return self._back(change, queue=True)


class ReadOnlyInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AgreementDocumentInline(ReadOnlyInline):
    """Versions 2 and up; version 1 is the agreement's own `signed PDF` field."""

    model = AgreementDocument
    fields = ["version", "reason", "created_at", "download"]
    readonly_fields = fields

    @admin.display(description=_("PDF"))
    def download(self, obj: AgreementDocument) -> str:
        if not obj.sha256:
            return gettext("being rendered")
        url = reverse("agreement_files:staff_pdf_version", args=[obj.agreement_id, obj.version])
        return format_html('<a href="{}">{}</a> · SHA-256 {}', url, gettext("Download"), obj.sha256)


class ScheduleChangeInline(ReadOnlyInline):
    model = ScheduleChangeRequest
    fields = ["kind", "installment_number", "from_date", "to_date", "status", "created_at"]
    readonly_fields = fields
    show_change_link = True
