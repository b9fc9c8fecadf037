"""The offers page: the lump sum, featured plans and the picker, and confirming one offer."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from portal.access.decorators import debtor_required
from portal.access.middleware import SESSION_LINK_ID

from .. import services
from ..forms import ConsentForm
from ..models import Quote
from ..quotes import Offer
from ._common import evidence

# The plans shown as cards; every other one the policy allows is in the picker below them.
FEATURED_INSTALLMENTS = (3, 6, 12)


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
                    evidence=evidence(request),
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
