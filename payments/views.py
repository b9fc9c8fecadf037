"""Debtor payment pages: choose what to pay, the card form (Stripe Elements), the result.

Thin views: amounts come from the selectors and services, never from the browser; every
attempt and payment is fetched through helpers scoped to `request.debtor` (404 otherwise);
the pages of a payment under way also admit a third party paying through one of the
debtor's pay-only links, scoped to that link's attempts (`payer_attempt_or_404`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access.decorators import debtor_required
from portal.requests import wants_partial
from portal.storage import private_file_response

from . import mercadopago_api, receipts, selectors, services, stripe_api, views_mercadopago
from .forms import CardTokenForm, PayForm
from .models import AttemptStatus, PaymentAttempt, Provider
from .payer import is_third_party, payer_required
from .selectors_mercadopago import live_vouchers_by_key, payable_key
from .selectors_third_party import payer_attempt_or_404
from .services.mercadopago_start import attempt_refresh_from_provider

log = logging.getLogger(__name__)

# What a debtor may ask someone else to pay: an installment, or all left on the agreement.
THIRD_PARTY_PURPOSES = ("installment", "agreement")


@dataclass(frozen=True)
class PayRow:
    """One payable on the pay page with the ways its portfolio offers to pay it online."""

    payable: selectors.Payable
    methods: list[selectors.MethodOption]
    voucher: PaymentAttempt | None


def _configured() -> bool:
    return stripe_api.is_configured() or mercadopago_api.is_configured()


def _pay_page(request, *, error: str = "", status: int = 200) -> HttpResponse:
    payables = selectors.payables_for(request.debtor)
    configured = _configured()
    methods = selectors.payment_methods_by_portfolio(payables) if configured and payables else {}
    live = live_vouchers_by_key(request.debtor) if mercadopago_api.is_configured() else {}
    context = {
        "payables": payables,
        "rows": [
            PayRow(payable, methods.get(payable.portfolio.pk, []), live.get(payable.key))
            for payable in payables
        ],
        "other_ways": selectors.other_ways_to_pay(payables),
        "configured": configured,
        "test_mode": stripe_api.is_test_mode(),
        "mp_test_mode": mercadopago_api.is_test_mode(),
        "cash_days": settings.MERCADOPAGO_CASH_DAYS,
        "error": error,
        "third_party_payables": [p for p in payables if p.purpose in THIRD_PARTY_PURPOSES],
    }
    response = render(request, "payments/pay.html", context, status=status)
    if mercadopago_api.is_configured():  # its card checkout is a redirect away
        response = views_mercadopago.with_form_csp(response)
    return response


def _options_page(request, attempt: PaymentAttempt, *, error: str = "", status: int):
    """Back to the ways to pay: the debtor's pay page, or a third party's link page."""
    if is_third_party(attempt):
        return redirect("payments_public:third_party")
    return _pay_page(request, error=error, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@debtor_required
def pay(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" or not _configured():
        return _pay_page(request, status=200 if request.method == "GET" else 503)
    form = PayForm(request.POST)
    try:
        if not form.is_valid():
            raise services.PaymentError(_("Choose what you want to pay."))
        key = form.cleaned_data["option"]
        provider, method = form.provider_method()
        if not (
            mercadopago_api if provider == Provider.MERCADOPAGO else stripe_api
        ).is_configured():
            raise services.PaymentError(
                _("This way to pay is not available. Please choose another.")
            )
        payable = services.payable_for_key(debtor=request.debtor, key=key)
        amount = form.amount_minor(payable.currency)
        attempt = services.attempt_start(
            debtor=request.debtor, key=key, amount_minor=amount, provider=provider, method=method
        )
        if provider == Provider.MERCADOPAGO:
            return views_mercadopago.start_redirect(request, attempt)
    except (services.PaymentError, forms.ValidationError) as error:
        message = error.messages[0] if isinstance(error, forms.ValidationError) else str(error)
        return _pay_page(request, error=message, status=400)
    except mercadopago_api.MercadoPagoError:
        log.warning("Mercado Pago refused to start %s %s", provider, method, exc_info=True)
        message = _("This way to pay is not available right now. Please try another.")
        return _pay_page(request, error=message, status=502)
    if attempt.status == AttemptStatus.PROCESSING:
        return redirect("payments:result", attempt.pk)
    return redirect("payments:checkout", attempt.pk)


@never_cache
@require_GET
@payer_required
def checkout(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = payer_attempt_or_404(request, pk)
    if not services.attempt_is_payable(attempt):
        return redirect("payments:result", attempt.pk)
    if not stripe_api.is_configured():
        return _options_page(request, attempt, status=503)
    try:
        attempt = services.attempt_open_intent(attempt=attempt)
    except stripe.StripeError:
        log.exception("could not create the PaymentIntent for attempt %s", attempt.pk)
        message = _("Card payments are not available right now.")
        return _options_page(request, attempt, error=message, status=502)
    context = {
        "attempt": attempt,
        "third_party": is_third_party(attempt),
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "element": "card" if settings.STRIPE_ELEMENT == "card" else "payment",
        "test_mode": stripe_api.is_test_mode(),
    }
    response = render(request, "payments/checkout.html", context)
    response._csp_update = stripe_api.checkout_csp()  # Stripe.js on this page only
    return response


@never_cache
@require_POST
@payer_required
def confirm_card(request: HttpRequest, pk: int) -> JsonResponse:
    attempt = payer_attempt_or_404(request, pk)
    if "amount" in request.POST:  # the amount is ours to say; a browser that sends one lies
        return JsonResponse({"error": _("The amount cannot be changed.")}, status=400)
    form = CardTokenForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": _("The card could not be read. Please try again.")}, 400)
    try:
        attempt = services.attempt_confirm_card(
            attempt=attempt, token_id=form.cleaned_data["token"]
        )
    except services.PaymentError as error:
        return JsonResponse({"error": str(error)}, status=409)
    except stripe.StripeError:
        log.exception("confirm failed for attempt %s", attempt.pk)
        return JsonResponse({"error": _("Card payments are not available right now.")}, 502)
    if attempt.status == AttemptStatus.FAILED:
        return JsonResponse({"error": attempt.failure_message}, status=402)
    return JsonResponse({"status": attempt.stripe_status, "client_secret": attempt.client_secret})


@never_cache
@require_GET
@payer_required
def result(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = payer_attempt_or_404(request, pk)
    if attempt.provider == Provider.MERCADOPAGO:  # its word, before the notification comes
        attempt = attempt_refresh_from_provider(attempt=attempt)
    context = {
        "attempt": attempt,
        "third_party": is_third_party(attempt),
        "payment": selectors.attempt_with_payment(attempt),
        "payable_key": payable_key(attempt),
        "amount_major": str(attempt.amount_minor // 100) if attempt.purpose == "free" else "",
    }
    template = "payments/result.html"
    if wants_partial(request):
        template += "#outcome"  # the polling box asks whether the webhook decided yet
    response = render(request, template, context)
    if attempt.provider == Provider.MERCADOPAGO:  # "try again" leads to its checkout
        response = views_mercadopago.with_form_csp(response)
    return response


@require_GET
@debtor_required
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    payment = selectors.debtor_payment_or_404(request.debtor, pk)
    if not payment.receipt_sha256:  # the documents queue has not got to it: render it now
        payment = receipts.receipt_render(payment_id=payment.pk)
    return private_file_response(
        payment.receipt_pdf, filename=f"{payment.number}.pdf", content_type="application/pdf"
    )
