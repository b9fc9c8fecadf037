"""A promise to pay one debt on a date."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.access.decorators import debtor_required

from ..forms import PromiseForm
from ..promises import PromiseError, promise_create


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
