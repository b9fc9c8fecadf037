"""Autopay pages: consent, saving a card (Stripe Elements, SetupIntent), turning it off, and
the box the agreement page loads with htmx.

Every autopay and agreement is fetched through helpers scoped to `request.debtor` (404
otherwise); whether the card was saved is read back from Stripe, not from the browser.
"""

from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agreements.selectors import debtor_agreement_or_404, debtor_agreements
from portal.access.decorators import debtor_required
from portal.requests import client_address

from . import selectors, stripe_api
from .forms import AutopayConsentForm
from .models import AutopayStatus
from .services import autopay as services

log = logging.getLogger(__name__)


@never_cache
@require_http_methods(["GET", "POST"])
@debtor_required
def autopay(request: HttpRequest, agreement_pk: int) -> HttpResponse:
    agreement = debtor_agreement_or_404(request.debtor, agreement_pk)
    language = translation.get_language() or settings.LANGUAGE_CODE
    form = AutopayConsentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and stripe_api.is_configured():
            ip, user_agent = client_address(request)
            consent = services.Consent(at=timezone.now(), ip=ip, user_agent=user_agent)
            try:
                record = services.autopay_start(
                    debtor=request.debtor, agreement=agreement, consent=consent, language=language
                )
            except services.AutopayError as error:
                form.add_error(None, str(error))
            else:
                return redirect("payments:autopay_card", record.pk)
        status = 400 if stripe_api.is_configured() else 503
    live = selectors.live_autopay_for(agreement)
    if live and live.status == AutopayStatus.PENDING and live.stripe_setup_intent_id:
        try:  # the card may have been saved without the browser coming back to "done"
            live = services.autopay_activate(autopay=live)
        except stripe.StripeError:
            log.warning("could not read the SetupIntent of autopay %s", live.pk, exc_info=True)
    context = {
        "agreement": agreement,
        "autopay": live,
        "consent_text": services.consent_text(agreement, language),
        "form": form,
        "configured": stripe_api.is_configured(),
    }
    return render(request, "payments/autopay.html", context, status=status)


@never_cache
@require_GET
@debtor_required
def autopay_box(request: HttpRequest, agreement_pk: int) -> HttpResponse:
    """The agreement page's "Automatic payments" box: on with its card, or the offer to set
    it up. Payments' own fragment, so agreements (below payments) never reads autopay."""
    # Scoped to the debtor like every agreement page, without the schedule it does not show.
    agreement = get_object_or_404(debtor_agreements(request.debtor), pk=agreement_pk)
    context = {"agreement": agreement, "autopay": selectors.live_autopay_for(agreement)}
    return render(request, "payments/_autopay_box.html", context)


@never_cache
@require_GET
@debtor_required
def autopay_card(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.debtor_autopay_or_404(request.debtor, pk)
    if record.status != AutopayStatus.PENDING:
        return redirect("payments:autopay", record.agreement_id)
    try:
        record = services.autopay_open_setup(autopay=record)
    except (stripe.StripeError, stripe_api.PaymentsNotConfigured):
        log.exception("could not prepare the card form for autopay %s", record.pk)
        messages.error(request, _("Card payments are not available right now."))
        return redirect("payments:autopay", record.agreement_id)
    context = {
        "autopay": record,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "element": "card" if settings.STRIPE_ELEMENT == "card" else "payment",
    }
    response = render(request, "payments/autopay_card.html", context)
    response._csp_update = stripe_api.checkout_csp()  # Stripe.js on this page only
    return response


@never_cache
@require_GET
@debtor_required
def autopay_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Where Stripe.js sends the debtor after confirming the SetupIntent."""
    record = selectors.debtor_autopay_or_404(request.debtor, pk)
    try:
        record = services.autopay_activate(autopay=record)
    except stripe.StripeError:
        log.exception("could not read the SetupIntent of autopay %s", record.pk)
    if record.status == AutopayStatus.ACTIVE:
        messages.success(request, _("Automatic payments are on."))
    else:
        messages.error(request, _("Your card was not saved. Please try again."))
    return redirect("payments:autopay", record.agreement_id)


@require_POST
@debtor_required
def autopay_disable(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.debtor_autopay_or_404(request.debtor, pk)
    ip, user_agent = client_address(request)
    if services.autopay_disable(
        debtor=request.debtor, autopay=record, ip=ip, user_agent=user_agent
    ):
        messages.success(request, _("Automatic payments are off. Nothing more will be charged."))
    return redirect("agreements:agreement_detail", record.agreement_id)
