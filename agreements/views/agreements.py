"""The debtor's agreements and proposals, and one agreement with its document."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.access.decorators import debtor_required
from portal.requests import wants_partial

from .. import selectors, services
from ..calendar import agreement_calendar, calendar_filename


@never_cache
@require_GET
@debtor_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    context = {
        "agreements": list(selectors.debtor_agreements(request.debtor)),
        "proposals": [
            (proposal, selectors.counter_unavailable_reason(proposal))
            for proposal in selectors.debtor_proposals(request.debtor).order_by("-created_at")
        ],
    }
    return render(request, "agreements/agreement_list.html", context)


@never_cache
@require_GET
@debtor_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = selectors.debtor_agreement_or_404(request.debtor, pk)
    template = "agreements/agreement_detail.html"
    if wants_partial(request):
        template += "#document"  # the polling box asks whether the PDF is ready yet
    # The autopay box is payments' own fragment, loaded by the page (payments:autopay_box).
    context = {
        "agreement": agreement,
        "options": services.agreement_change_options(agreement),
        "versions": selectors.agreement_versions(agreement),
    }
    return render(request, template, context)


@never_cache
@require_GET
@debtor_required
def agreement_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The installments as an .ics file to add to the debtor's calendar."""
    agreement = selectors.debtor_agreement_calendar_or_404(request.debtor, pk)
    response = HttpResponse(
        agreement_calendar(agreement), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{calendar_filename(agreement)}"'
    return response
