"""The queue of disputes filed on the portal, in admin: the answer's deadline per case
(Colombia: 15 business days, Ley 1266 art. 16; US: no fixed term, collection stopped until
the verification is sent), overdue cases marked and filterable, the case page with its
documents and the answer form. Cases are written only through the services."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.debtors.dispute_cases import DisputeError
from portal.debtors.models import CaseStatus, DisputeCase, DisputeDocument
from portal.storage import private_file_response

from .forms import OnlineDisputeResolutionForm
from .services import online_dispute_resolve

SOON_DAYS = 3  # "due soon": the answer is owed within this many calendar days


class DeadlineFilter(admin.SimpleListFilter):
    title = gettext_lazy("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [
            ("overdue", gettext_lazy("Overdue")),
            ("soon", gettext_lazy("Due within %(days)s days") % {"days": SOON_DAYS}),
            ("none", gettext_lazy("No fixed term (collection stopped)")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        open_cases = queryset.filter(status=CaseStatus.OPEN)
        if self.value() == "overdue":
            return open_cases.filter(due_on__lt=today)
        if self.value() == "soon":
            return open_cases.filter(due_on__range=(today, today + dt.timedelta(days=SOON_DAYS)))
        if self.value() == "none":
            return open_cases.filter(due_on=None)
        return queryset


def deadline_text(case: DisputeCase, today: dt.date) -> tuple[str, bool]:
    """(what the deadline column says, whether it is overdue)."""
    if not case.is_open:
        return _("Answered"), False
    if case.due_on is None:
        return _("Collection stopped until the verification is sent"), False
    days = (case.due_on - today).days
    when = case.due_on.strftime("%d/%m/%Y")
    # Calendar days, to read at a glance; the due date itself counts business days.
    if days < 0:
        text = ngettext(
            "%(date)s · overdue by %(days)s day", "%(date)s · overdue by %(days)s days", -days
        )
        return text % {"date": when, "days": -days}, True
    text = ngettext("%(date)s · %(days)s day left", "%(date)s · %(days)s days left", days)
    return text % {"date": when, "days": days}, False


@admin.register(DisputeCase)
class DisputeCaseAdmin(admin.ModelAdmin):
    list_display = ("number", "debtor", "debt", "reason", "filed_at", "deadline", "status")
    list_filter = ("status", DeadlineFilter, "reason", "country")
    list_select_related = ("debtor", "debt__portfolio")
    search_fields = ("number", "debtor__document_number", "debt__account_ref")
    show_full_result_count = False
    change_form_template = "admin/staff/disputecase/change_form.html"

    class Media:
        css = {"all": ["css/staff.css"]}  # the overdue mark, the answer form

    def get_ordering(self, request):
        # Open cases first, the nearest deadline first; no-term (US) cases after them.
        return ["status", F("due_on").asc(nulls_last=True), "filed_at"]

    @admin.display(description=gettext_lazy("deadline"), ordering="due_on")
    def deadline(self, case: DisputeCase):
        text, overdue = deadline_text(case, timezone.localdate())
        if overdue:
            return format_html('<strong class="overdue" data-overdue="1">{}</strong>', text)
        return text

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # filed by the debtor on the portal

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # answered through the form on the case page

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<int:pk>/resolve/", view(self.resolve_view), name="debtors_disputecase_resolve"),
            path(
                "<int:pk>/documents/<int:document_id>/",
                view(self.document_view),
                name="debtors_disputecase_document",
            ),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        extra = {**(extra_context or {})}
        if case is not None:
            extra.update(self._case_context(request, case))
        return super().change_view(request, object_id, form_url, extra)

    def _case_context(self, request, case: DisputeCase, form=None) -> dict:
        text, overdue = deadline_text(case, timezone.localdate())
        return {
            "case": case,
            "documents": list(case.documents.all()),
            "deadline": text,
            "overdue": overdue,
            "can_resolve": case.is_open and request.user.has_perm("debtors.resolve_disputecase"),
            "resolve_form": form or OnlineDisputeResolutionForm(currency=case.currency),
        }

    def resolve_view(self, request, pk: int):
        if request.method != "POST":
            return redirect("admin:debtors_disputecase_change", pk)
        if not request.user.has_perm("debtors.resolve_disputecase"):
            raise PermissionDenied
        case = get_object_or_404(DisputeCase.objects.select_related("debt"), pk=pk)
        form = OnlineDisputeResolutionForm(request.POST, request.FILES, currency=case.currency)
        if form.is_valid():
            data = form.cleaned_data
            try:
                online_dispute_resolve(
                    case=case,
                    resolver=request.user,
                    status=data["status"],
                    note=data["note"],
                    action=data["action"] if data["status"] == CaseStatus.UPHELD else "",
                    adjustment_minor=data["adjustment"],
                    verification=data["verification"],
                )
            except DisputeError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Dispute %(number)s answered.") % {"number": case})
                return redirect("admin:debtors_disputecase_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": str(case),
            "opts": self.model._meta,
            "original": case,
            **self._case_context(request, case, form),
            "standalone": True,
        }
        return TemplateResponse(
            request, "admin/staff/disputecase/resolve.html", context, status=400
        )

    def document_view(self, request, pk: int, document_id: int):
        if not request.user.has_perm("debtors.view_disputecase"):
            raise PermissionDenied
        document = get_object_or_404(DisputeDocument, pk=document_id, case_id=pk)
        return private_file_response(
            document.file, filename=document.original_name, content_type=document.content_type
        )
