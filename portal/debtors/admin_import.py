"""Admin for portfolio uploads: choose a portfolio, upload a CSV, watch it import."""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.storage import private_file_response

from .importing.uploads import import_errors_head, portfolio_import_queue
from .models import ImportStatus, PortfolioImport

_RESULT_FIELDS = (
    "portfolio",
    "uploaded_file",
    "original_name",
    "status",
    "total_rows",
    "processed_rows",
    "imported",
    "updated",
    "rejected",
    "error_message",
    "sha256",
    "uploaded_by",
    "created_at",
    "started_at",
    "finished_at",
)


@admin.register(PortfolioImport)
class PortfolioImportAdmin(admin.ModelAdmin):
    change_form_template = "admin/debtors/portfolioimport/change_form.html"
    list_display = (
        "original_name",
        "portfolio",
        "status",
        "processed_rows",
        "imported",
        "updated",
        "rejected",
        "created_at",
    )
    list_filter = ("status", "portfolio")
    list_select_related = ("portfolio",)
    date_hierarchy = None

    def get_fields(self, request: HttpRequest, obj: PortfolioImport | None = None):
        return ("portfolio", "file") if obj is None else _RESULT_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: PortfolioImport | None = None):
        return () if obj is None else _RESULT_FIELDS

    def has_change_permission(self, request: HttpRequest, obj: PortfolioImport | None = None):
        # An import is a record of what happened; its page is read-only.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj: PortfolioImport, form, change: bool) -> None:
        portfolio_import_queue(portfolio_import=obj, actor=request.user)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/status/",
                view(self.status_view),
                name="debtors_portfolioimport_status",
            ),
            path(
                "<int:pk>/file.csv",
                view(self.file_view),
                name="debtors_portfolioimport_file",
            ),
            path(
                "<int:pk>/errors.csv",
                view(self.errors_view),
                name="debtors_portfolioimport_errors",
            ),
            *super().get_urls(),
        ]

    def _viewable(self, request: HttpRequest, pk: int) -> PortfolioImport:
        job = get_object_or_404(PortfolioImport, pk=pk)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    def status_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        job = self._viewable(request, pk)
        return JsonResponse(
            {
                "status": job.status,
                "status_label": job.get_status_display(),
                "finished": job.status in (ImportStatus.DONE, ImportStatus.FAILED),
                "total_rows": job.total_rows,
                "processed_rows": job.processed_rows,
                "imported": job.imported,
                "updated": job.updated,
                "rejected": job.rejected,
                "error_message": job.error_message,
            }
        )

    def errors_view(self, request: HttpRequest, pk: int) -> FileResponse:
        job = self._viewable(request, pk)
        if not job.errors_file:
            raise Http404(_("This import rejected no rows."))
        name = f"{PurePath(job.original_name).stem or 'import'}-errors.csv"
        return private_file_response(job.errors_file, filename=name, content_type="text/csv")

    def file_view(self, request: HttpRequest, pk: int) -> FileResponse:
        job = self._viewable(request, pk)
        if not job.file:
            raise Http404(_("This import has no file."))
        name = PurePath(job.original_name).name or "import.csv"
        return private_file_response(job.file, filename=name, content_type="text/csv")

    # The upload is a private file (no URL): its page links the checking view instead.
    @admin.display(description=gettext_lazy("file"))
    def uploaded_file(self, job: PortfolioImport) -> str:
        url = reverse("admin:debtors_portfolioimport_file", args=[job.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        if job is not None:
            extra_context = {
                **(extra_context or {}),
                "status_url": reverse("admin:debtors_portfolioimport_status", args=[job.pk]),
                "errors_url": reverse("admin:debtors_portfolioimport_errors", args=[job.pk]),
                "errors_head": import_errors_head(job),
                "finished": job.status in (ImportStatus.DONE, ImportStatus.FAILED),
            }
        return super().change_view(request, object_id, form_url, extra_context)
