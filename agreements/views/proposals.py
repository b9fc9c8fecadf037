"""The debtor's own plan: the form, its live preview and the affordability helper."""

from __future__ import annotations

from babel.numbers import get_currency_precision
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal.access.decorators import debtor_required
from portal.debtors.services import portfolio_today

from .. import selectors, services
from ..forms import AffordabilityForm, PlanForm, ProposalForm
from ..models import Frequency
from ..quotes import balance_parts, first_due_for
from ..rules import affordable_plan, check_plan
from ._common import evidence


def _plan_context(debtor):
    """Debts, balance parts, policy and today for the debtor's own plan; None if no plan fits."""
    debts = selectors.debtor_portfolio_debts(debtor)
    policy = selectors.policy_for(debts=debts) if debts else None
    if policy is None:
        return None
    parts = balance_parts(debts)
    return {
        "debts": debts,
        "parts": parts,
        "policy": policy,
        "today": portfolio_today(debts[0].portfolio),
        # Sending a new plan replaces this one; the page says so before the debtor sends.
        "open_proposal": selectors.open_proposal(debtor, debts[0].portfolio),
    }


def _proposal_page(request, plan, *, form, affordability, suggestion=None, status=200):
    context = {
        "plan": plan,
        "form": form,
        "affordability": affordability,
        "suggestion": suggestion,
        "check": None,
    }
    return render(request, "agreements/propose.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@debtor_required
def propose(request: HttpRequest) -> HttpResponse:
    plan = _plan_context(request.debtor)
    if plan is None:
        return render(request, "agreements/propose.html", {"plan": None})
    currency = plan["parts"].currency
    if request.method == "GET":
        initial = {
            "frequency": Frequency.MONTHLY,
            "installments": 3,
            "first_due_date": first_due_for(plan["policy"], Frequency.MONTHLY, plan["today"]),
        }
        form = ProposalForm(initial=initial, currency=currency)
        return _proposal_page(
            request, plan, form=form, affordability=AffordabilityForm(currency=currency)
        )
    form = ProposalForm(request.POST, currency=currency)
    if form.is_valid():
        data = form.cleaned_data
        try:
            proposal, agreement = services.proposal_submit(
                debtor=request.debtor,
                installments=data["installments"],
                frequency=data["frequency"],
                first_due_date=data["first_due_date"],
                down_payment_minor=data["down_payment"],
                monthly_income_minor=data["monthly_income"],
                essential_expenses_minor=data["essential_expenses"],
                accepted_terms=True,
                accepted_esign=True,
                evidence=evidence(request),
            )
        except services.AgreementError as error:
            form.add_error(None, str(error))
        else:
            replaced = plan["open_proposal"]
            if replaced is not None:
                messages.info(
                    request,
                    _("Your new plan replaces the one you sent on %(date)s.")
                    % {"date": replaced.created_at.strftime("%d/%m/%Y")},
                )
            if agreement is not None:
                return redirect("agreements:agreement_detail", agreement.pk)
            return redirect("agreements:proposal_detail", proposal.pk)
    affordability = AffordabilityForm(currency=currency)
    return _proposal_page(request, plan, form=form, affordability=affordability, status=400)


@never_cache
@require_POST
@debtor_required
def propose_preview(request: HttpRequest) -> HttpResponse:
    """The live preview: the schedule of the plan as typed and every bound it breaks.

    Always 200 when it could check something: htmx swaps only successful answers, and
    explaining what to change is the point of this box. Nothing is written.
    """
    plan = _plan_context(request.debtor)
    if plan is None:
        raise Http404("no plan can be proposed")
    form = PlanForm(request.POST, currency=plan["parts"].currency)
    check = None
    if form.is_valid():
        data = form.cleaned_data
        check = check_plan(
            parts=plan["parts"],
            policy=plan["policy"],
            installments=data["installments"],
            frequency=data["frequency"],
            first_due_date=data["first_due_date"],
            down_payment_minor=data["down_payment"],
            today=plan["today"],
        )
    context = {"plan": plan, "form": form, "check": check, "in_preview": True}
    return render(request, "agreements/propose.html#preview", context)


@never_cache
@require_POST
@debtor_required
def propose_affordability(request: HttpRequest) -> HttpResponse:
    """Income and essential expenses in, the shortest affordable plan prefilled out."""
    plan = _plan_context(request.debtor)
    if plan is None:
        raise Http404("no plan can be proposed")
    currency = plan["parts"].currency
    affordability = AffordabilityForm(request.POST, currency=currency)
    if not affordability.is_valid():
        form = ProposalForm(initial={"frequency": Frequency.MONTHLY}, currency=currency)
        return _proposal_page(request, plan, form=form, affordability=affordability, status=400)
    income = affordability.cleaned_data["monthly_income"]
    expenses = affordability.cleaned_data["essential_expenses"]
    suggestion = affordable_plan(
        parts=plan["parts"],
        policy=plan["policy"],
        monthly_income_minor=income,
        essential_expenses_minor=expenses,
        today=plan["today"],
    )
    initial = {
        "frequency": Frequency.MONTHLY,
        "monthly_income": income,
        "essential_expenses": expenses,
    }
    if suggestion is not None and suggestion.check.offer is not None:
        offer = suggestion.check.offer
        initial |= {
            "installments": offer.installments,
            "first_due_date": offer.first_due_date,
            "down_payment": _major(offer.down_payment_minor, currency),
        }
    form = ProposalForm(initial=initial, currency=currency)
    return _proposal_page(
        request,
        plan,
        form=form,
        affordability=affordability,
        suggestion=suggestion or "none",
    )


def _major(amount_minor: int, currency: str) -> str:
    """Minor units back to the plain digits the money field reads ("150000" or "150000,50")."""
    precision = get_currency_precision(currency)
    whole, fraction = divmod(amount_minor, 10**precision)
    return f"{whole},{fraction:0{precision}d}" if fraction else str(whole)
