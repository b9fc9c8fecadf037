"""A sent proposal and the counter-offer staff made on it: accept or decline."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.access.decorators import debtor_required
from portal.debtors.services import portfolio_today
from portal.money import cash_unit

from .. import selectors, services
from ..forms import ConsentForm
from ..models import Frequency, ProposalStatus
from ..schedules import build_schedule
from ._common import evidence


def _counter_schedule(proposal):
    """The counter-offer's schedule, as the debtor would sign it."""
    if not proposal.counter_installments or not proposal.counter_first_due_date:
        return []
    try:
        return build_schedule(
            total_minor=proposal.balance_minor,
            installments=proposal.counter_installments,
            frequency=proposal.counter_frequency or Frequency.MONTHLY,
            first_due_date=proposal.counter_first_due_date,
            down_payment_minor=proposal.counter_down_payment_minor or 0,
            today=min(portfolio_today(proposal.portfolio), proposal.counter_first_due_date),
            unit=cash_unit(proposal.currency),
        )
    except ValueError:
        return []


def _proposal_detail_page(request, proposal, *, form=None, error=None, status=200):
    agreement = getattr(proposal, "agreement", None)
    context = {
        "proposal": proposal,
        "agreement": agreement,
        "counter_schedule": _counter_schedule(proposal),
        "form": form or ConsentForm(),
        "statuses": ProposalStatus,
        "error": error,
        "counter_problem": selectors.counter_unavailable_reason(proposal),
    }
    return render(request, "agreements/proposal_detail.html", context, status=status)


@never_cache
@require_GET
@debtor_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.debtor_proposal_or_404(request.debtor, pk)
    return _proposal_detail_page(request, proposal)


@never_cache
@require_POST
@debtor_required
def counter_accept(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.debtor_proposal_or_404(request.debtor, pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            agreement = services.counter_accept(
                proposal=proposal,
                debtor=request.debtor,
                accepted_terms=True,
                accepted_esign=True,
                evidence=evidence(request),
            )
        except services.AgreementError as error:
            # Shown at the top: the consent form is gone once the counter-offer is.
            return _proposal_detail_page(request, proposal, form=form, error=str(error), status=400)
        else:
            return redirect("agreements:agreement_detail", agreement.pk)
    return _proposal_detail_page(request, proposal, form=form, status=400)


@never_cache
@require_POST
@debtor_required
def counter_decline(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.debtor_proposal_or_404(request.debtor, pk)
    try:
        services.counter_decline(proposal=proposal, debtor=request.debtor)
    except services.AgreementError as error:
        return _proposal_detail_page(request, proposal, error=str(error), status=400)
    messages.success(request, _("You declined the counter-offer. You can propose another plan."))
    return redirect("agreements:proposal_detail", proposal.pk)
