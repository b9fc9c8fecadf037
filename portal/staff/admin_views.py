"""The staff pages inside admin: log a call or visit on a debtor, resolve a dispute raised
on a call, the KPI dashboard and a campaign's funnel."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django_htmx.http import trigger_client_event

from portal.debtors.models import Debtor
from portal.outreach.models import Campaign, ContactOutcome

from . import kpis, rollup, selectors
from .forms import ContactOutcomeForm, DisputeResolutionForm
from .kpi_forms import KpiFilterForm
from .models import Resolution
from .services import OutcomeError, call_dispute_resolve, contact_outcome_log


def log_contact_view(model_admin, request, debtor_id: int):
    """GET: may the agent call now (and why), with the outcome form. POST: log it."""
    if not request.user.has_perm("debtors.view_debtor"):
        raise PermissionDenied
    can_log = request.user.has_perm("outreach.add_contactoutcome")
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
            # The htmx panel says so itself; a plain form post lands on the debtor page.
            messages.success(
                request,
                _("Call outcome saved: %(method)s · %(outcome)s.")
                % {"method": logged.get_method_display(), "outcome": logged.get_outcome_display()},
            )
            return redirect("admin:debtors_debtor_change", debtor.pk)
        else:
            debts = selectors.debtor_debts(debtor)  # a dispute changed a debt's status
            form = ContactOutcomeForm(debts=debts)
    return _panel(model_admin, request, debtor, debts, form=form, logged=logged, status=status)


def resolve_dispute_view(model_admin, request, outcome_id: int):
    """POST: close a dispute raised on a call (upheld or rejected) with a note."""
    if request.method != "POST":
        return redirect("admin:outreach_contactoutcome_changelist")
    if not request.user.has_perm("staff.resolve_dispute"):
        raise PermissionDenied
    row = get_object_or_404(ContactOutcome.objects.select_related("debtor"), pk=outcome_id)
    debtor = row.debtor
    form = DisputeResolutionForm(request.POST)
    resolved, error = None, ""
    if form.is_valid():
        try:
            resolved = call_dispute_resolve(
                contact_outcome=row,
                resolver=request.user,
                resolution=form.cleaned_data["resolution"],
                note=form.cleaned_data["note"],
            )
        except OutcomeError as exc:
            error = str(exc)
    else:
        error = " ".join(m for errors in form.errors.values() for m in errors)
    if resolved is not None and not request.htmx:
        return redirect("admin:debtors_debtor_change", debtor.pk)
    return _panel(
        model_admin,
        request,
        debtor,
        selectors.debtor_debts(debtor),
        resolved=resolved,
        dispute_error=(row.pk, error) if error else None,
        status=200 if resolved else 400,
    )


def _panel(model_admin, request, debtor, debts, *, form=None, status=200, **results):
    """The calls-and-visits panel: the policy checks, open disputes, the log form."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Log a call or visit · %(name)s") % {"name": debtor.full_name},
        "opts": ContactOutcome._meta,
        "debtor": debtor,
        "form": form or ContactOutcomeForm(debts=debts),
        "can_log": request.user.has_perm("outreach.add_contactoutcome"),
        "can_resolve": request.user.has_perm("staff.resolve_dispute"),
        "checks": selectors.call_checks(debtor, debts),
        "visit_checks": selectors.visit_checks(debtor, debts),
        "disputes": selectors.open_call_disputes(debtor),
        "resolutions": Resolution.choices,
        "recent": selectors.recent_outcomes(debtor),
        **results,
    }
    template = "admin/staff/log_contact.html"
    if request.htmx and not request.htmx.boosted:
        template += "#panel"
    response = TemplateResponse(request, template, context, status=status)
    if results.get("logged") is not None or results.get("resolved") is not None:
        # The timeline beside the form reloads itself on this event.
        trigger_client_event(response, "call-logged")
    return response


def kpi_view(model_admin, request):
    if not request.user.has_perm("staff.view_kpis"):
        raise PermissionDenied
    form = KpiFilterForm(request.GET or None)
    filters = form.filters()
    rollup.kpi_rollups_refresh_if_stale()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("KPI dashboard"),
        "opts": ContactOutcome._meta,
        "form": form,
        "filters": filters,
        "kpi": kpis.dashboard(filters),
        "refreshed_on_view": settings.KPI_REFRESH_ON_VIEW,
    }
    return TemplateResponse(request, "admin/staff/kpis.html", context)


def campaign_funnel_view(site, request, pk: int):
    """The campaign's funnel page; its fragment alone for the htmx poll."""
    if not request.user.has_perm("outreach.view_campaign"):
        raise PermissionDenied
    campaign = get_object_or_404(Campaign.objects.select_related("portfolio"), pk=pk)
    context = {
        **site.each_context(request),
        "campaign": campaign,
        "funnel": selectors.campaign_funnel(campaign),
        "title": f"Campaign: {campaign.name}",
        "opts": Campaign._meta,
    }
    template = "admin/staff/campaign_funnel.html"
    if request.htmx:
        template += "#funnel"
    return TemplateResponse(request, template, context)
