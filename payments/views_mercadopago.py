"""Debtor pages for paying through Mercado Pago: the PSE form (choose a bank, then pay on
its page), the cash voucher and its PDF, and the card on Mercado Pago's checkout.

Thin views, like payments.views: every attempt comes through `payer_attempt_or_404` (the
debtor's own, or a third party's through a pay-only link), amounts never come from the
browser, and what happened to the money is only Mercado Pago's word, read by the services.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import mercadopago_api, vouchers
from .forms import PseForm, ThirdPartyPseForm
from .models import AttemptStatus, Method, PaymentAttempt, Provider
from .payer import SESSION_THIRD_PARTY_EMAIL, is_third_party, payer_required
from .selectors_mercadopago import payable_key
from .selectors_third_party import payer_attempt_or_404
from .services import PaymentError, attempt_is_payable
from .services.mercadopago_start import (
    attempt_refresh_from_provider,
    cash_voucher_start,
    mercadopago_card_start,
    pse_payment_start,
)

log = logging.getLogger(__name__)


# A form's CSP form-action also covers where its POST redirects: our forms that lead to
# Mercado Pago's card checkout or to the PSE pages it sends the payer to name these.
_FORM_ORIGINS = (
    "https://*.mercadopago.com",
    "https://*.mercadopago.com.co",
    "https://*.pse.com.co",
)


def form_csp() -> dict[str, list[str]]:
    """What pages with a form that may redirect to Mercado Pago add to the site's CSP."""
    origins = list(_FORM_ORIGINS)
    if settings.MERCADOPAGO_API_BASE:  # the fake Mercado Pago serves its own pages
        parts = urlsplit(settings.MERCADOPAGO_API_BASE)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return {"form-action": origins}


def with_form_csp(response: HttpResponse) -> HttpResponse:
    response._csp_update = form_csp()
    return response


class SeeOther(HttpResponseRedirect):
    """After a POST, a GET of the next page (the bank's, ours)."""

    status_code = 303


def _email(request: HttpRequest, attempt: PaymentAttempt) -> str:
    """Where Mercado Pago writes: the debtor's email, or the one a third party typed."""
    if is_third_party(attempt):
        return request.session.get(SESSION_THIRD_PARTY_EMAIL, "")
    debtor = attempt.debtor
    return debtor.emails[0] if debtor.emails else ""


def _result_url(request: HttpRequest, attempt: PaymentAttempt) -> str:
    return request.build_absolute_uri(reverse("payments:result", args=[attempt.pk]))


def _attempt(request: HttpRequest, pk: int, method: str) -> PaymentAttempt:
    attempt = payer_attempt_or_404(request, pk)
    if attempt.provider != Provider.MERCADOPAGO or attempt.method != method:
        raise Http404
    return attempt


def start_redirect(request: HttpRequest, attempt: PaymentAttempt) -> HttpResponse:
    """Where the pay page sends a Mercado Pago attempt just started: the PSE form, the
    voucher (issued now), or Mercado Pago's card checkout. Raises PaymentError or
    MercadoPagoError for the pay page to show."""
    if attempt.method == Method.PSE:
        if attempt.status == AttemptStatus.PROCESSING:
            return SeeOther(reverse("payments:result", args=[attempt.pk]))
        return SeeOther(reverse("payments:pse", args=[attempt.pk]))
    if attempt.method == Method.CASH:
        if attempt.status != AttemptStatus.PROCESSING:
            if not _email(request, attempt):
                raise PaymentError(
                    _("To get a cash voucher we need your email. Add it in your preferences.")
                )
            cash_voucher_start(attempt=attempt, email=_email(request, attempt))
        return SeeOther(reverse("payments:cash", args=[attempt.pk]))
    return _card_redirect(request, attempt)


def _card_redirect(request: HttpRequest, attempt: PaymentAttempt) -> HttpResponse:
    if attempt.status == AttemptStatus.PROCESSING:
        return SeeOther(reverse("payments:result", args=[attempt.pk]))
    url = mercadopago_card_start(
        attempt=attempt, back_url=_result_url(request, attempt), email=_email(request, attempt)
    )
    return SeeOther(url)


@never_cache
@require_http_methods(["GET", "POST"])
@payer_required
def pse(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _attempt(request, pk, Method.PSE)
    if not attempt_is_payable(attempt):
        return redirect("payments:result", attempt.pk)
    third_party = is_third_party(attempt)
    context = {
        "attempt": attempt,
        "third_party": third_party,
        "test_mode": mercadopago_api.is_test_mode(),
    }
    try:
        banks = mercadopago_api.pse_banks()
    except mercadopago_api.MercadoPagoError:
        log.warning("PSE banks not available for attempt %s", attempt.pk, exc_info=True)
        context["unavailable"] = True
        return render(request, "payments/pse.html", context, status=502)
    data = request.POST if request.method == "POST" else None
    # A third party pays from their own bank account: their document, not the debtor's.
    form_class = ThirdPartyPseForm if third_party else PseForm
    form = form_class(data, banks=banks, initial={"email": _email(request, attempt)})
    context["form"] = form
    if request.method == "GET":
        return with_form_csp(render(request, "payments/pse.html", context))
    if not form.is_valid():
        return with_form_csp(render(request, "payments/pse.html", context, status=400))
    try:
        url = pse_payment_start(
            attempt=attempt,
            bank_id=form.cleaned_data["bank"],
            person_type=form.cleaned_data["person_type"],
            email=form.cleaned_data["email"],
            payer_details=form.payer_details() if third_party else None,
            ip_address=request.META.get("REMOTE_ADDR", ""),
            callback_url=_result_url(request, attempt),
        )
    except PaymentError as error:
        form.add_error(None, str(error))
        return with_form_csp(render(request, "payments/pse.html", context, status=400))
    except mercadopago_api.MercadoPagoError:
        log.warning("PSE payment not created for attempt %s", attempt.pk, exc_info=True)
        context["unavailable"] = True
        return render(request, "payments/pse.html", context, status=502)
    return SeeOther(url)


@never_cache
@require_GET
@payer_required
def cash(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _attempt(request, pk, Method.CASH)
    if not attempt.provider_payment_id:
        return redirect("payments:pay")
    # Mercado Pago's word first: paid at the counter, or cancelled at its deadline.
    attempt = attempt_refresh_from_provider(attempt=attempt)
    if attempt.status == AttemptStatus.SUCCEEDED:
        return redirect("payments:result", attempt.pk)
    context = vouchers.voucher_context(attempt)
    context["payable_key"] = payable_key(attempt)
    if attempt.purpose == "free":  # a new voucher for the same amount of their choice
        context["amount_major"] = str(attempt.amount_minor // 100)
    context["test_mode"] = mercadopago_api.is_test_mode()
    context["third_party"] = is_third_party(attempt)
    return render(request, "payments/cash.html", context)


@require_GET
@payer_required
def voucher_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _attempt(request, pk, Method.CASH)
    if not attempt.provider_payment_id:
        raise Http404
    response = HttpResponse(vouchers.voucher_pdf_bytes(attempt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{vouchers.voucher_filename(attempt)}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_POST
@payer_required
def card(request: HttpRequest, pk: int) -> HttpResponse:
    """Try the card on Mercado Pago's checkout again (from the result page)."""
    attempt = _attempt(request, pk, Method.CARD)
    if not attempt_is_payable(attempt):
        return redirect("payments:result", attempt.pk)
    try:
        return _card_redirect(request, attempt)
    except (PaymentError, mercadopago_api.MercadoPagoError):
        log.warning("Mercado Pago checkout not opened for attempt %s", attempt.pk, exc_info=True)
        return redirect("payments:result", attempt.pk)
