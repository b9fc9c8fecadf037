"""Debtor pages: offers, confirming one, own plans with a live preview, agreements, promises.

Thin views: a form parses, one service writes, the page renders. Everything the debtor sees
is fetched through helpers scoped to `request.debtor`, so another debtor's ids give 404.
"""

from __future__ import annotations

from babel.numbers import get_currency_precision
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access.decorators import debtor_required
from portal.access.middleware import SESSION_LINK_ID
from portal.debtors.money import cash_unit
from portal.debtors.services import portfolio_today
from portal.requests import client_address, wants_partial

from . import selectors, services
from .forms import AffordabilityForm, ConsentForm, PlanForm, PromiseForm, ProposalForm
from .models import Frequency, ProposalStatus, Quote
from .promises import PromiseError, promise_create
from .quotes import Offer, balance_parts, first_due_for
from .rules import affordable_plan, check_plan
from .schedules import build_schedule

# The plans shown as cards; every other one the policy allows is in the picker below them.
FEATURED_INSTALLMENTS = (3, 6, 12)


def _evidence(request: HttpRequest) -> services.Evidence:
    ip, user_agent = client_address(request)
    return services.Evidence(
        at=timezone.now(),
        ip=ip,
        user_agent=user_agent[:512],
        payment_link_id=request.session.get(SESSION_LINK_ID),
    )


def _debtor_quote_or_404(debtor, quote_id: int) -> Quote:
    return get_object_or_404(Quote.objects.select_related("portfolio"), pk=quote_id, debtor=debtor)


def _featured(plans: list[Offer]) -> list[Offer]:
    """3, 6 and 12 monthly installments and the longest plan, when the policy offers them."""
    if not plans:
        return []
    frequency = "monthly" if any(p.frequency == "monthly" for p in plans) else plans[0].frequency
    same = [p for p in plans if p.frequency == frequency]
    wanted = set(FEATURED_INSTALLMENTS) | {max(p.installments for p in same)}
    return [p for p in same if p.installments in wanted]


@never_cache
@require_GET
@debtor_required
def offers(request: HttpRequest) -> HttpResponse:
    quote = services.quote_for_debtor(
        debtor=request.debtor, payment_link_id=request.session.get(SESSION_LINK_ID)
    )
    all_offers = [Offer.from_json(data) for data in quote.offers] if quote else []
    picked = request.GET.get("offer")
    if quote and picked:
        # The picker is a plain GET form, so it works without JavaScript.
        if any(offer.key == picked for offer in all_offers):
            return redirect("agreements:offer_confirm", quote.pk, picked)
        messages.error(request, _("That option is not available. Please choose another."))
    lump = next((o for o in all_offers if o.key == "lump_sum"), None)
    plans = [o for o in all_offers if o.key != "lump_sum"]
    context = {"quote": quote, "lump": lump, "featured": _featured(plans), "plans": plans}
    return render(request, "agreements/offers.html", context, status=400 if picked else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@debtor_required
def offer_confirm(request: HttpRequest, quote_id: int, offer_key: str) -> HttpResponse:
    quote = _debtor_quote_or_404(request.debtor, quote_id)
    offer = next(
        (Offer.from_json(data) for data in quote.offers if data.get("key") == offer_key), None
    )
    if offer is None:
        raise Http404("no such offer in this quote")
    terms_version, terms_text = services.terms_for(quote.portfolio)
    form = ConsentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                agreement = services.agreement_accept_offer(
                    debtor=request.debtor,
                    quote=quote,
                    offer_key=offer.key,
                    accepted_terms=True,
                    accepted_esign=True,
                    evidence=_evidence(request),
                )
            except services.AgreementError as error:
                form.add_error(None, str(error))
            else:
                return redirect("agreements:agreement_detail", agreement.pk)
    context = {
        "quote": quote,
        "offer": offer,
        "form": form,
        "terms_version": terms_version,
        "terms_text": terms_text,
    }
    return render(request, "agreements/offer_confirm.html", context, status=status)


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
        return render(request, template, {"agreement": agreement})
    from payments.selectors import live_autopay_for  # payments builds on agreements

    context = {"agreement": agreement, "autopay": live_autopay_for(agreement)}
    return render(request, template, context)


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
                evidence=_evidence(request),
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
                evidence=_evidence(request),
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


@never_cache
@require_http_methods(["GET", "POST"])
@debtor_required
def promise(request: HttpRequest) -> HttpResponse:
    form = PromiseForm(request.POST or None, debtor=request.debtor)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = promise_create(
                    debtor=request.debtor,
                    debt=data["debt"],
                    amount_minor=data["amount"],
                    promised_date=data["promised_date"],
                )
            except PromiseError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Thank you. We registered your promise to pay on %(date)s.")
                    % {"date": date_format(created.promised_date, "DATE_FORMAT")},
                )
                return redirect("agreements:promise")
    return render(request, "agreements/promise.html", {"form": form}, status=status)
