"""The staff pages inside admin: log a call or visit on a debtor, and the KPI dashboard."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django_htmx.http import trigger_client_event

from portal.debtors.models import Debtor

from . import kpis, selectors
from .forms import ContactOutcomeForm
from .kpi_forms import KpiFilterForm
from .models import ContactOutcome
from .services import OutcomeError, contact_outcome_log


def log_contact_view(model_admin, request, debtor_id: int):
    """GET: may the agent call now (and why), with the outcome form. POST: log it."""
    if not request.user.has_perm("debtors.view_debtor"):
        raise PermissionDenied
    can_log = request.user.has_perm("staff.add_contactoutcome")
    if request.method == "POST" and not can_log:
        raise PermissionDenied
    debtor = get_object_or_404(Debtor, pk=debtor_id)
    debts = selectors.debtor_debts(debtor)
    form = ContactOutcomeForm(request.POST or None, debts=debts)
    logged, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                logged = contact_outcome_log(
                    debtor=debtor,
                    agent=request.user,
                    method=data["method"],
                    direction=data["direction"],
                    outcome=data["outcome"],
                    notes=data["notes"],
                    debt=data["debt"],
                    promise_amount_minor=data["promise_amount_minor"],
                    promise_date=data["promise_date"],
                )
            except OutcomeError as exc:
                form.add_error(None, str(exc))
        if logged is None:
            status = 400
        elif not request.htmx:
            return redirect("admin:debtors_debtor_change", debtor.pk)
        else:
            debts = selectors.debtor_debts(debtor)  # a dispute changed a debt's status
            form = ContactOutcomeForm(debts=debts)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Log a call or visit · {debtor.full_name}",
        "opts": ContactOutcome._meta,
        "debtor": debtor,
        "form": form,
        "can_log": can_log,
        "checks": selectors.call_checks(debtor, debts),
        "logged": logged,
        "recent": selectors.recent_outcomes(debtor),
    }
    template = "admin/staff/log_contact.html"
    if request.htmx and not request.htmx.boosted:
        template += "#panel"
    response = TemplateResponse(request, template, context, status=status)
    if logged is not None:
        # The timeline beside the form reloads itself on this event.
        trigger_client_event(response, "call-logged")
    return response


def kpi_view(model_admin, request):
    if not request.user.has_perm("staff.view_kpis"):
        raise PermissionDenied
    form = KpiFilterForm(request.GET or None)
    filters = form.filters()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "KPI dashboard",
        "opts": ContactOutcome._meta,
        "form": form,
        "filters": filters,
        "kpi": kpis.dashboard(filters),
    }
    return TemplateResponse(request, "admin/staff/kpis.html", context)
