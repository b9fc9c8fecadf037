"""The proposal review queue: pending plans first, with the debtor's debts and history, and
three decisions (approve, counter-offer, reject) that each call one service.

Proposals are only ever created by debtors and changed by those services, so the admin
shows them read-only: no add, no delete, no edit form.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.audit.readable import readable_html
from portal.debtors.models import Debt, LedgerEntry
from portal.debtors.money_forms import money_column
from portal.money import format_minor

from . import services
from .forms import CounterOfferForm, RejectForm
from .models import Agreement, PromiseToPay, Proposal, ProposalStatus
from .rules import breaks_in_words

HISTORY_ROWS = 30
DECIDE_PERMISSION = "agreements.change_proposal"


class PendingFirstFilter(admin.SimpleListFilter):
    """Pending by default: the queue is what needs a decision; "All" shows the rest. A
    queue names its `statuses` (choices with a PENDING member)."""

    title = _("status")
    parameter_name = "status"
    statuses = ProposalStatus

    def lookups(self, request, model_admin):
        return [*self.statuses.choices, ("all", _("All"))]

    def choices(self, changelist):
        value = self.value() or self.statuses.PENDING
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or self.statuses.PENDING
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(Proposal)
class ProposalReviewAdmin(admin.ModelAdmin):
    list_display = ("__str__", "debtor", "balance", "plan", "breaks_summary", "age", "status")
    list_filter = (PendingFirstFilter, "frequency", "portfolio")
    list_select_related = ("debtor", "portfolio")
    search_fields = ("debtor__full_name", "debtor__document_number")
    ordering = ("created_at", "id")
    change_form_template = "admin/agreements/proposal/change_form.html"
    # The raw columns (minor units, JSON) give way to the same values in words.
    exclude = (
        "debt_ids",
        "balance_minor",
        "down_payment_minor",
        "monthly_income_minor",
        "essential_expenses_minor",
        "counter_down_payment_minor",
        "breaks",
        "evidence",
    )
    readonly_fields = (
        "balance_amount",
        "down_payment",
        "monthly_income",
        "essential_expenses",
        "counter_down_payment",
        "consent_evidence",
    )
    balance_amount = money_column("balance_minor", _("Balance"))
    down_payment = money_column("down_payment_minor", _("Down payment"))
    monthly_income = money_column("monthly_income_minor", _("Monthly income"))
    essential_expenses = money_column("essential_expenses_minor", _("Essential expenses"))
    counter_down_payment = money_column(
        "counter_down_payment_minor", _("Counter-offer down payment")
    )

    @admin.display(description=_("Consent evidence"))
    def consent_evidence(self, obj: Proposal) -> str:
        return readable_html(obj.evidence, obj.currency)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proposal]:
        return super().get_queryset(request).select_related("debtor", "portfolio", "policy")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Never edited as a form: decisions go through the buttons and their services.
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_staff and (
            request.user.has_perm("agreements.view_proposal")
            or request.user.has_perm(DECIDE_PERMISSION)
        )

    @admin.display(description=_("balance"), ordering="balance_minor")
    def balance(self, obj: Proposal) -> str:
        return format_minor(obj.balance_minor, obj.currency)

    @admin.display(description=_("plan"))
    def plan(self, obj: Proposal) -> str:
        text = gettext("%(count)s × %(frequency)s from %(date)s") % {
            "count": obj.installments,
            "frequency": obj.get_frequency_display().lower(),
            "date": date_format(obj.first_due_date, "SHORT_DATE_FORMAT"),
        }
        if obj.down_payment_minor:
            down = format_minor(obj.down_payment_minor, obj.currency)
            text += gettext(", down payment %(amount)s") % {"amount": down}
        return text

    @admin.display(description=_("outside auto-approve"))
    def breaks_summary(self, obj: Proposal) -> str:
        return "; ".join(breaks_in_words(obj)) or "—"

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, obj: Proposal) -> str:
        return timesince(obj.created_at, timezone.now())

    # The change page: read-only details plus the debtor's debts, history and the decisions.

    def change_view(self, request, object_id, form_url="", extra_context=None):
        proposal = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if proposal is not None:
            extra.update(self._review_context(request, proposal))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _review_context(self, request: HttpRequest, proposal: Proposal) -> dict:
        debtor = proposal.debtor
        debts = list(
            Debt.objects.filter(debtor=debtor).select_related("portfolio__creditor").order_by("id")
        )
        ledger = list(
            LedgerEntry.objects.filter(debt__debtor=debtor)
            .select_related("debt")
            .order_by("-effective_date", "-id")[:HISTORY_ROWS]
        )
        others = list(
            Proposal.objects.filter(debtor=debtor).exclude(pk=proposal.pk).order_by("-created_at")
        )
        return {
            "proposal": proposal,
            "breaks": breaks_in_words(proposal),
            "debts": [(d, format_minor(d.balance_minor, d.currency)) for d in debts],
            "ledger": [(e, format_minor(e.amount_minor, e.currency)) for e in ledger],
            "history_rows": HISTORY_ROWS,
            "other_proposals": others,
            "agreements": list(Agreement.objects.filter(debtor=debtor).order_by("-created_at")),
            "promises": list(PromiseToPay.objects.filter(debtor=debtor).order_by("-created_at")),
            "can_decide": proposal.status == ProposalStatus.PENDING
            and request.user.has_perm(DECIDE_PERMISSION),
            "counter_form": CounterOfferForm(
                currency=proposal.currency,
                initial={
                    "installments": proposal.installments,
                    "frequency": proposal.frequency,
                    "first_due_date": proposal.first_due_date,
                },
            ),
            "reject_form": RejectForm(),
        }

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(require_POST(view))

        return [
            path("<int:pk>/approve/", wrap(self.approve_view), name="agreements_proposal_approve"),
            path("<int:pk>/counter/", wrap(self.counter_view), name="agreements_proposal_counter"),
            path("<int:pk>/reject/", wrap(self.reject_view), name="agreements_proposal_reject"),
            *super().get_urls(),
        ]

    def _decidable(self, request: HttpRequest, pk: int) -> Proposal:
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        return get_object_or_404(Proposal.objects.select_related("debtor"), pk=pk)

    def _back(self, proposal: Proposal) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:agreements_proposal_change", args=[proposal.pk]))

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        proposal = self._decidable(request, pk)
        try:
            agreement = services.proposal_approve(proposal=proposal, actor=request.user)
        except services.AgreementError as error:
            messages.error(request, gettext("Not approved: %(error)s") % {"error": error})
            return self._back(proposal)
        messages.success(
            request,
            gettext("Approved: agreement %(agreement)s created for %(debtor)s.")
            % {"agreement": agreement, "debtor": proposal.debtor},
        )
        return HttpResponseRedirect(reverse("admin:agreements_proposal_changelist"))

    def counter_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        proposal = self._decidable(request, pk)
        form = CounterOfferForm(request.POST, currency=proposal.currency)
        if not form.is_valid():
            for field, errors in form.errors.items():
                messages.error(request, f"Counter-offer not sent: {field}: {' '.join(errors)}")
            return self._back(proposal)
        data = form.cleaned_data
        try:
            services.proposal_counter(
                proposal=proposal,
                actor=request.user,
                installments=data["installments"],
                frequency=data["frequency"],
                first_due_date=data["first_due_date"],
                down_payment_minor=data["down_payment"],
                reason=data["reason"],
            )
        except services.AgreementError as error:
            messages.error(request, gettext("Counter-offer not sent: %(error)s") % {"error": error})
            return self._back(proposal)
        messages.success(
            request, gettext("Counter-offer sent to %(debtor)s.") % {"debtor": proposal.debtor}
        )
        return HttpResponseRedirect(reverse("admin:agreements_proposal_changelist"))

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        proposal = self._decidable(request, pk)
        form = RejectForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Not rejected: a reason is required."))
            return self._back(proposal)
        try:
            services.proposal_reject(
                proposal=proposal, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except services.AgreementError as error:
            messages.error(request, gettext("Not rejected: %(error)s") % {"error": error})
            return self._back(proposal)
        messages.success(
            request, gettext("Proposal from %(debtor)s rejected.") % {"debtor": proposal.debtor}
        )
        return HttpResponseRedirect(reverse("admin:agreements_proposal_changelist"))
