from . import admin_import  # noqa: F401  (registers the portfolio import admin)

# isort: split
# No `from __future__ import annotations`: it would have to come before the line above.
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from portal.money import format_minor

from .admin_payment_methods import PaymentMethodInline, PaymentMethodsAudited
from .forms import BandSetFormSet, MoraStageForm, MoraStageSetFormSet
from .models import Creditor, Debt, Debtor, LedgerEntry, MoraStage, Portfolio
from .money_forms import MajorUnitsAdminMixin
from .selectors import debts_in_stage, debts_with_stage
from .services import days_past_due, portfolio_today
from .stages import band_errors_after, mora_stages_save

LEDGER_CAP = 50


def _amount(field: str, label: str):
    @admin.display(description=label, ordering=field)
    def show(self, obj) -> str:
        return format_minor(getattr(obj, field), obj.currency)

    return show


def _ledger_table(owner: Debtor | Debt, lookup: str) -> str:
    """The latest LEDGER_CAP entries as a table, and a link to the rest when there are more."""
    if owner.pk is None:
        return "—"
    entries = LedgerEntry.objects.filter(**{lookup: owner}).order_by("-effective_date", "-id")
    shown = list(entries.select_related("debt")[: LEDGER_CAP + 1])
    if not shown:
        return _("No ledger entries.")
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                e.effective_date,
                e.debt.account_ref,
                e.get_kind_display(),
                format_minor(e.amount_minor, e.currency),
                e.description,
            )
            for e in shown[:LEDGER_CAP]
        ),
    )
    more = ""
    if len(shown) > LEDGER_CAP:
        url = reverse("admin:debtors_ledgerentry_changelist")
        more = format_html(
            '<p>{} <a href="{}?{}__id__exact={}">{}</a></p>',
            _("Showing the latest %(shown)s of %(total)s entries.")
            % {"shown": LEDGER_CAP, "total": entries.count()},
            url,
            lookup,
            owner.pk,
            _("See all."),
        )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
        "<th>{}</th></tr></thead><tbody>{}</tbody></table>{}",
        _("date"),
        _("account"),
        _("kind"),
        _("amount"),
        _("description"),
        rows,
        more,
    )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PortfolioInline(ReadOnlyInline):
    model = Portfolio
    fields = ("code", "name", "currency", "country", "timezone")
    show_change_link = True


@admin.register(Creditor)
class CreditorAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_id", "portfolio_count", "created_at")
    search_fields = ("name", "tax_id")
    inlines = [PortfolioInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Creditor]:
        return super().get_queryset(request).annotate(portfolio_count=Count("portfolios"))

    @admin.display(description=_("portfolios"), ordering="portfolio_count")
    def portfolio_count(self, obj: Creditor) -> int:
        return obj.portfolio_count


@admin.register(Portfolio)
class PortfolioAdmin(PaymentMethodsAudited, admin.ModelAdmin):
    inlines = [PaymentMethodInline]
    list_display = (
        "code",
        "name",
        "creditor",
        "currency",
        "country",
        "timezone",
        "debt_count",
        "total_balance",
    )
    list_filter = ("creditor", "currency", "country")
    list_select_related = ("creditor",)
    search_fields = ("code", "name", "creditor__name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Portfolio]:
        # One join to debts feeds both aggregates, so neither multiplies the other.
        return (
            super()
            .get_queryset(request)
            .annotate(debt_count=Count("debts"), total_balance=Sum("debts__balance_minor"))
        )

    @admin.display(description=_("debts"), ordering="debt_count")
    def debt_count(self, obj: Portfolio) -> int:
        return obj.debt_count

    @admin.display(description=_("total balance"), ordering="total_balance")
    def total_balance(self, obj: Portfolio) -> str:
        return format_minor(obj.total_balance or 0, obj.currency)


class DebtorDebtInline(ReadOnlyInline):
    model = Debt
    fields = (
        "account_ref",
        "portfolio",
        "principal",
        "interest",
        "fees",
        "balance",
        "days_past_due",
        "stage",
        "status",
    )
    readonly_fields = fields
    show_change_link = True

    # Outstanding, as the ledger imputed it: the three add up to the balance.
    principal = _amount("principal_minor", _("principal"))
    interest = _amount("interest_minor", _("interest"))
    fees = _amount("fees_minor", _("fees"))
    balance = _amount("balance_minor", _("balance"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Debt]:
        return debts_with_stage(super().get_queryset(request)).select_related("portfolio__creditor")

    @admin.display(description=_("stage"))
    def stage(self, obj: Debt) -> str:
        return obj.stage_name or "—"


@admin.register(Debtor)
class DebtorAdmin(admin.ModelAdmin):
    list_display = ("full_name", "document_type", "document_number", "language", "created_at")
    list_filter = ("document_type", "language")
    search_fields = ("document_number", "full_name")
    readonly_fields = ("ledger",)
    inlines = [DebtorDebtInline]

    @admin.display(description=_("ledger (most recent first)"))
    def ledger(self, obj: Debtor) -> str:
        return _ledger_table(obj, "debt__debtor")


class PortfolioFilter(admin.RelatedFieldListFilter):
    # The default labels use Portfolio.__str__, which costs a creditor query per portfolio.
    def field_choices(self, field, request, model_admin):
        return list(Portfolio.objects.order_by("code").values_list("pk", "code"))


class StageFilter(admin.SimpleListFilter):
    title = _("mora stage")
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return [(s.code, s.name) for s in MoraStage.objects.all()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        stage = MoraStage.objects.filter(code=self.value()).first()
        return debts_in_stage(stage, queryset) if stage else queryset.none()


@admin.register(Debt)
class DebtAdmin(MajorUnitsAdminMixin, admin.ModelAdmin):
    list_display = (
        "account_ref",
        "debtor",
        "portfolio",
        "balance",
        "days_past_due",
        "stage",
        "status",
    )
    list_filter = (("portfolio", PortfolioFilter), "status", StageFilter)
    list_select_related = ("debtor", "portfolio__creditor")
    search_fields = ("account_ref", "debtor__document_number", "debtor__full_name")
    autocomplete_fields = ("debtor", "portfolio")
    # The editable *_due_minor fields are the creditor's statement; these are what is
    # outstanding of each, as the ledger imputed it, and add up to the balance.
    readonly_fields = (
        "principal",
        "interest",
        "fees",
        "balance",
        "days_past_due",
        "stage",
        "ledger",
    )

    principal = _amount("principal_minor", _("principal outstanding"))
    interest = _amount("interest_minor", _("interest outstanding"))
    fees = _amount("fees_minor", _("fees outstanding"))
    balance = _amount("balance_minor", _("balance"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Debt]:
        return debts_with_stage(super().get_queryset(request))

    def money_currency(self, request: HttpRequest, obj: Debt | None) -> str:
        typed = request.POST.get("currency", "").strip().upper()
        if len(typed) == 3 and typed.isalpha():
            return typed
        return obj.currency if obj is not None else "COP"

    @admin.display(description=_("stage"), ordering="stage_name")
    def stage(self, obj: Debt) -> str:
        return obj.stage_name or "—"

    @admin.display(description=_("ledger (most recent first)"))
    def ledger(self, obj: Debt) -> str:
        return _ledger_table(obj, "debt")

    def save_model(self, request, obj: Debt, form, change: bool) -> None:
        # Derived, like the hourly refresh does it, so a new debt has its stage at once.
        obj.days_past_due = days_past_due(obj.original_due_date, portfolio_today(obj.portfolio))
        super().save_model(request, obj, form, change)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Read-only: entries are written by the ledger service only, never edited."""

    list_display = ("effective_date", "debt", "kind", "amount", "description", "created_by")
    list_filter = ("kind", ("effective_date", admin.DateFieldListFilter))
    list_select_related = ("debt__portfolio", "created_by")
    search_fields = ("debt__account_ref",)

    amount = _amount("amount_minor", _("amount"))

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # The debtor page links here for its full ledger.
        return lookup in ("debt__debtor__id__exact", "debt__id__exact") or super().lookup_allowed(
            lookup, value, request
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _delete_selected_bands(modeladmin: "MoraStageAdmin", request, queryset):
    if modeladmin._refuse_deletion(request, list(queryset)):
        return None
    return delete_selected(modeladmin, request, queryset)


@admin.register(MoraStage)
class MoraStageAdmin(admin.ModelAdmin):
    """Bands are checked as a whole set; every save goes through `mora_stages_save`."""

    form = MoraStageForm
    list_display = ("code", "name", "min_days", "max_days", "tone")
    list_display_links = ("code",)
    list_editable = ("name", "min_days", "max_days", "tone")

    def get_urls(self):
        bands = path(
            "bands/", self.admin_site.admin_view(self.bands_view), name="debtors_morastage_bands"
        )
        return [bands, *super().get_urls()]

    def bands_view(self, request: HttpRequest) -> HttpResponse:
        """Every band on one form: the way to add, split or remove bands in one save."""
        if not (
            self.has_add_permission(request)
            and self.has_change_permission(request)
            and self.has_delete_permission(request)
        ):
            raise PermissionDenied
        queryset = MoraStage.objects.all()
        formset = BandSetFormSet(request.POST or None, queryset=queryset)
        if request.method == "POST" and formset.is_valid():
            changed = formset.save(commit=False)
            mora_stages_save(changed=changed, deleted=formset.deleted_objects, actor=request.user)
            self.message_user(request, _("Mora stage bands saved."), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:debtors_morastage_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Edit all mora stage bands"),
            "formset": formset,
        }
        return TemplateResponse(request, "admin/debtors/morastage/bands.html", context)

    def get_changelist_formset(self, request, **kwargs):
        return super().get_changelist_formset(request, formset=MoraStageSetFormSet, **kwargs)

    def get_actions(self, request):
        # Same name, so Django's confirmation page (which posts "delete_selected") still works.
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions[name] = (_delete_selected_bands, name, description)
        return actions

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST" or "_save" not in request.POST:
            return super().changelist_view(request, extra_context)
        # Django saves list_editable rows one by one; collect them instead and save the
        # whole edited set at once, since a moved boundary is invalid halfway through.
        request._mora_batch = []
        with transaction.atomic():
            response = super().changelist_view(request, extra_context)
            if request._mora_batch:
                mora_stages_save(changed=request._mora_batch, actor=request.user)
        return response

    def save_model(self, request, obj: MoraStage, form, change: bool) -> None:
        batch = getattr(request, "_mora_batch", None)
        if batch is not None:
            batch.append(obj)
        else:
            mora_stages_save(changed=[obj], actor=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        stage = self.get_object(request, object_id)
        if stage is not None and self._refuse_deletion(request, [stage]):
            return HttpResponseRedirect(reverse("admin:debtors_morastage_change", args=[stage.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj: MoraStage) -> None:
        mora_stages_save(deleted=[obj], actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        mora_stages_save(deleted=list(queryset), actor=request.user)

    def _refuse_deletion(self, request, stages: list[MoraStage]) -> bool:
        errors = band_errors_after(deleted=stages)
        for error in errors:
            self.message_user(
                request, _("Not deleted: %(error)s") % {"error": error}, messages.ERROR
            )
        if errors:
            self.message_user(
                request,
                _("Widen a neighbouring band to cover these days in the same save."),
                messages.ERROR,
            )
        return bool(errors)
