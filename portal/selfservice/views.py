from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from agreements.selectors import debtor_next_installments
from payments import mercadopago_api, stripe_api
from payments.selectors_mercadopago import live_vouchers_by_agreement
from portal.access.decorators import debtor_required
from portal.outreach.selectors import consents_for, debtor_messages
from portal.pagecache import debtor_pages_cached
from portal.requests import client_address, wants_partial

from . import selectors, services
from .forms import PreferencesForm


@never_cache
@require_GET
@debtor_required
def dashboard(request: HttpRequest) -> HttpResponse:
    debtor = request.debtor
    board, agreements = debtor_pages_cached(
        debtor.pk,
        "dashboard",
        lambda: (selectors.dashboard_for(debtor), debtor_next_installments(debtor)),
    )
    # Not cached with the rest: a voucher issued or paid a minute ago shows as it is.
    vouchers = live_vouchers_by_agreement(debtor) if agreements else {}
    context = {
        "board": board,
        "next_installments": agreements,
        "next_rows": [(row, vouchers.get(row.agreement_pk)) for row in agreements],
        # Someone else can pay only online: the pay page's box needs a provider set up.
        "online_payments": stripe_api.is_configured() or mercadopago_api.is_configured(),
    }
    return render(request, "selfservice/dashboard.html", context)


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 10_000))
    except ValueError:
        return 1


@never_cache
@require_GET
@debtor_required
def history(request: HttpRequest) -> HttpResponse:
    debt = None
    if request.GET.get("debt", "").isdigit():
        debt = selectors.debtor_debt_or_404(request.debtor, int(request.GET["debt"]))
    page = selectors.history_page(request.debtor, page=_page_number(request), debt=debt)
    template = "selfservice/history.html"
    if wants_partial(request):
        template += "#history-rows"
    return render(request, template, {"page": page, "debt": debt})


@never_cache
@require_GET
@debtor_required
def communications(request: HttpRequest) -> HttpResponse:
    sent = debtor_messages(request.debtor)
    return render(request, "selfservice/communications.html", {"messages_sent": sent})


@never_cache
@require_http_methods(["GET", "POST"])
@debtor_required
def preferences(request: HttpRequest) -> HttpResponse:
    debtor = request.debtor
    consents = consents_for(debtor)
    initial = {
        "preferred_channel": debtor.preferred_channel,
        "contact_from": debtor.contact_from,
        "contact_to": debtor.contact_to,
        **{channel: bool(state) for channel, state in consents.items()},
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ip, user_agent = client_address(request)
        services.debtor_preferences_update(
            debtor=debtor,
            preferred_channel=data["preferred_channel"],
            contact_from=data["contact_from"],
            contact_to=data["contact_to"],
            channels={c: data[c] for c in form.channel_fields},
            evidence={
                "at": timezone.now().isoformat(),
                "ip": ip,
                "user_agent": user_agent[:200],
            },
        )
        messages.success(request, _("Your preferences were saved."))
        return redirect("selfservice:preferences")
    status = 400 if request.method == "POST" else 200
    return render(request, "selfservice/preferences.html", {"form": form}, status=status)
