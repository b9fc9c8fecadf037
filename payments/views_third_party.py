"""Someone else pays: the debtor makes a pay-only link for an installment or what is left
on their agreement and sends it to a relative; whoever opens it sees only the creditor,
the amount and the due date, and pays through the normal flows (no identity check).

Public pages: `open_link` (the token, once, then a URL without it, so the token never
reaches logs or Referer headers) and `third_party_pay`. Debtor pages: create, list and
revoke their links, scoped to `request.debtor`.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access.decorators import debtor_required

from . import mercadopago_api, selectors, stripe_api, views_mercadopago
from .forms import ThirdPartyLinkForm, ThirdPartyPayForm
from .models import AttemptStatus, Provider
from .payer import SESSION_THIRD_PARTY, SESSION_THIRD_PARTY_EMAIL
from .selectors_third_party import (
    debtor_third_party_link_or_404,
    live_third_party_links,
    third_party_due_date,
    third_party_link_with_schedule,
    third_party_payable,
)
from .services import PaymentError, attempt_start
from .services.third_party import (
    ThirdPartyState,
    third_party_link_create,
    third_party_link_resolve,
    third_party_link_revoke,
    third_party_link_state,
)

log = logging.getLogger(__name__)


def _gone(request: HttpRequest, state: ThirdPartyState) -> HttpResponse:
    return render(request, "payments/third_party_gone.html", {"state": state.value}, status=410)


@never_cache
@require_GET
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    resolved = third_party_link_resolve(token)
    if resolved.state is not ThirdPartyState.VALID:
        return _gone(request, resolved.state)
    request.session[SESSION_THIRD_PARTY] = resolved.link.pk
    return redirect("payments_public:third_party")


def _page(request, link, *, error: str = "", status: int = 200) -> HttpResponse:
    payable = third_party_payable(link)
    configured = stripe_api.is_configured() or mercadopago_api.is_configured()
    methods = selectors.payment_methods_by_portfolio([payable]) if payable and configured else {}
    context = {
        "link": link,
        "creditor": link.agreement.portfolio.creditor,
        "payable": payable,
        "due_date": third_party_due_date(link, payable),
        "methods": methods.get(payable.portfolio.pk, []) if payable else [],
        "email": request.session.get(SESSION_THIRD_PARTY_EMAIL, ""),
        "test_mode": stripe_api.is_test_mode(),
        "mp_test_mode": mercadopago_api.is_test_mode(),
        "cash_days": settings.MERCADOPAGO_CASH_DAYS,
        "error": error,
    }
    response = render(request, "payments/third_party_pay.html", context, status=status)
    if mercadopago_api.is_configured():  # its checkout and the PSE pages are a redirect away
        response = views_mercadopago.with_form_csp(response)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def third_party_pay(request: HttpRequest) -> HttpResponse:
    """Only the creditor, the amount and the due date, and the ways to pay it."""
    link = third_party_link_with_schedule(request.session.get(SESSION_THIRD_PARTY) or 0)
    resolved = third_party_link_state(link)
    if resolved.state is not ThirdPartyState.VALID:
        return _gone(request, resolved.state)
    if request.method == "GET":
        return _page(request, link)
    form = ThirdPartyPayForm(request.POST)
    try:
        payable = third_party_payable(link)
        if payable is None or not form.is_valid():
            raise PaymentError(_("This payment option is no longer available."))
        provider, method = form.provider_method()
        if provider == Provider.MERCADOPAGO:
            email = form.cleaned_data["email"] or request.session.get(SESSION_THIRD_PARTY_EMAIL)
            if not email:
                raise PaymentError(_("Type your email: Mercado Pago sends you the confirmation."))
            request.session[SESSION_THIRD_PARTY_EMAIL] = email
        api = mercadopago_api if provider == Provider.MERCADOPAGO else stripe_api
        if not api.is_configured():
            raise PaymentError(_("This way to pay is not available. Please choose another."))
        attempt = attempt_start(
            debtor=link.debtor,
            key=payable.key,
            provider=provider,
            method=method,
            third_party_link=link,
        )
        if provider == Provider.MERCADOPAGO:
            return views_mercadopago.start_redirect(request, attempt)
    except (PaymentError, forms.ValidationError) as error:
        message = error.messages[0] if isinstance(error, forms.ValidationError) else str(error)
        return _page(request, link, error=message, status=400)
    except mercadopago_api.MercadoPagoError:
        log.warning("Mercado Pago refused a third-party start", exc_info=True)
        message = _("This way to pay is not available right now. Please try another.")
        return _page(request, link, error=message, status=502)
    if attempt.status == AttemptStatus.PROCESSING:
        return redirect("payments:result", attempt.pk)
    return redirect("payments:checkout", attempt.pk)


def share_text(url: str) -> str:
    return _("Hi! Could you help me pay this? You can pay it here: %(url)s") % {"url": url}


@never_cache
@require_POST
@debtor_required
def third_party_create(request: HttpRequest) -> HttpResponse:
    """The address is shown on this answer only: just its hash is kept."""
    form = ThirdPartyLinkForm(request.POST)
    try:
        if not form.is_valid():
            raise PaymentError(_("Choose what you want to pay."))
        link, token = third_party_link_create(
            debtor=request.debtor, key=form.cleaned_data["option"]
        )
    except PaymentError as error:
        messages.error(request, str(error))
        return redirect("payments:pay")
    url = request.build_absolute_uri(reverse("payments_public:third_party_open", args=[token]))
    link = third_party_link_with_schedule(link.pk)
    context = {
        "link": link,
        "payable": third_party_payable(link),
        "url": url,
        "whatsapp_url": "https://wa.me/?text=" + quote(share_text(url), safe=""),
    }
    return render(request, "payments/third_party_created.html", context)


@never_cache
@require_GET
@debtor_required
def third_party_links(request: HttpRequest) -> HttpResponse:
    links = live_third_party_links(request.debtor)
    return render(request, "payments/third_party_links.html", {"links": links})


@never_cache
@require_GET
@debtor_required
def third_party_link(request: HttpRequest, pk: int) -> HttpResponse:
    link = debtor_third_party_link_or_404(request.debtor, pk)
    return render(request, "payments/third_party_link.html", {"link": link})


@require_POST
@debtor_required
def third_party_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = debtor_third_party_link_or_404(request.debtor, pk)
    third_party_link_revoke(debtor=request.debtor, link=link)
    messages.success(request, _("The link no longer works. Nobody can pay with it."))
    return redirect("payments:third_party_links")
