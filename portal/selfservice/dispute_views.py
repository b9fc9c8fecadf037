"""The debtor's disputes: file one on a debt from the dashboard, follow it, download its
documents. Every case and file is fetched through a selector scoped to `request.debtor`:
anyone else's is not found."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from portal.access.decorators import debtor_required
from portal.debtors.dispute_cases import DisputeError
from portal.storage import private_file_response

from . import selectors, services
from .forms import DisputeForm


@never_cache
@require_http_methods(["GET", "POST"])
@debtor_required
def dispute_new(request: HttpRequest, debt_id: int) -> HttpResponse:
    debt = selectors.debtor_debt_or_404(request.debtor, debt_id)
    form = DisputeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.dispute_file(
                debtor=request.debtor,
                debt=debt,
                reason=data["reason"],
                text=data["text"],
                uploads=data["attachments"],
            )
        except DisputeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("We received your dispute. Your case number is %(number)s.")
                % {"number": case.number},
            )
            return redirect("selfservice:dispute_detail", case.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "debt": debt}
    return render(request, "selfservice/dispute_new.html", context, status=status)


@never_cache
@require_GET
@debtor_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    cases = selectors.debtor_disputes(request.debtor)
    return render(request, "selfservice/dispute_list.html", {"cases": cases})


@never_cache
@require_GET
@debtor_required
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.debtor_dispute_or_404(request.debtor, pk)
    return render(request, "selfservice/dispute_detail.html", {"case": case})


@require_GET
@debtor_required
def dispute_document(request: HttpRequest, pk: int, document_id: int) -> HttpResponse:
    document = selectors.debtor_dispute_document_or_404(request.debtor, pk, document_id)
    # Always a download of the type sniffed at upload: never rendered in the portal's origin.
    return private_file_response(
        document.file, filename=document.original_name, content_type=document.content_type
    )
