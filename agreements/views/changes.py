"""Changing an agreement's schedule: choose the change, see the new schedule with the
consent ticks, confirm. Inside the limits it is applied at once; outside, it goes to staff."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.access.decorators import debtor_required
from portal.debtors.services import portfolio_today

from .. import selectors, services
from ..forms import ScheduleChangeForm
from ..models import ChangeKind, ChangeStatus
from ._common import evidence

KINDS = {"fecha": ChangeKind.MOVE, "saltar": ChangeKind.SKIP}
APPLIED = gettext_lazy("Your plan was changed. The new version of your document is below.")
SENT = gettext_lazy("Your request was sent. An advisor will review it and we will let you know.")


@never_cache
@require_http_methods(["GET", "POST"])
@debtor_required
def schedule_change(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404
    change_kind = KINDS[kind]
    agreement = selectors.debtor_agreement_or_404(request.debtor, pk)
    options = services.agreement_change_options(agreement)
    if not options.open:
        return redirect("agreements:agreement_detail", pk=agreement.pk)
    form = ScheduleChangeForm(
        request.POST or None, installments=options.changeable, kind=change_kind
    )
    context = {"agreement": agreement, "options": options, "form": form, "kind": change_kind}
    context["slug"] = kind
    if request.method != "POST" or not form.is_valid():
        return render(request, "agreements/schedule_change.html", context)
    data = form.cleaned_data
    change = {"kind": change_kind, "number": data["installment"], "new_date": data.get("new_date")}
    try:
        context["preview"] = services.change_preview(
            agreement=agreement,
            installments=list(agreement.installments.all()),
            options=options,
            today=portfolio_today(agreement.portfolio),
            **change,
        )
        if form.confirming:
            done = services.schedule_change_submit(
                debtor=request.debtor,
                agreement_id=agreement.pk,
                reason=data["reason"],
                accepted_terms=data["accept_terms"],
                accepted_esign=data["accept_esign"],
                evidence=evidence(request),
                **change,
            )
            applied = done.status == ChangeStatus.APPLIED
            messages.success(request, APPLIED if applied else SENT)
            return redirect("agreements:agreement_detail", pk=agreement.pk)
    except services.AgreementError as error:
        form.add_error(None, str(error))
    return render(request, "agreements/schedule_change.html", context)
