"""Agreement PDF downloads. The PDFs live in the private storage, which has no URL, so these
views are the only way to a stored agreement and its reissued versions: the debtor who
signed it, or staff allowed to view agreements."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from portal.access.decorators import debtor_required
from portal.storage import private_file_response

from .models import Agreement, AgreementDocument


def _pdf_response(request: HttpRequest, agreement: Agreement) -> HttpResponse:
    return _file_response(
        request, agreement.pdf, agreement.pdf_sha256, str(agreement.number or agreement.pk)
    )


def _version_response(request: HttpRequest, agreement: Agreement, version: int) -> HttpResponse:
    if version == 1:
        return _pdf_response(request, agreement)
    document = get_object_or_404(AgreementDocument, agreement=agreement, version=version)
    stem = f"{agreement.number or agreement.pk}-v{version}"
    return _file_response(request, document.pdf, document.sha256, stem)


def _file_response(request: HttpRequest, pdf, sha256: str, stem: str) -> HttpResponse:
    if not sha256 or not pdf:
        # Rendered by a task after acceptance; say so rather than show a bare 404.
        response = render(request, "agreements/pdf/not_ready.html", status=404)
        response["Cache-Control"] = "private, no-store"
        return response
    return private_file_response(pdf, filename=f"{stem}.pdf", content_type="application/pdf")


@require_GET
@debtor_required
def debtor_agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    # Scoped to the signed-in debtor: anyone else's agreement is simply not found.
    agreement = get_object_or_404(Agreement, pk=pk, debtor=request.debtor)
    return _pdf_response(request, agreement)


@require_GET
@staff_member_required
@permission_required("agreements.view_agreement", raise_exception=True)
def staff_agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf_response(request, get_object_or_404(Agreement, pk=pk))


@require_GET
@debtor_required
def debtor_agreement_version_pdf(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    agreement = get_object_or_404(Agreement, pk=pk, debtor=request.debtor)
    return _version_response(request, agreement, version)


@require_GET
@staff_member_required
@permission_required("agreements.view_agreement", raise_exception=True)
def staff_agreement_version_pdf(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    return _version_response(request, get_object_or_404(Agreement, pk=pk), version)
