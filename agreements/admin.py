from . import admin_review  # noqa: F401, I001  (registers the proposal review queue)
from .admin_changes import AgreementDocumentInline, ScheduleChangeInline

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.audit.services import record
from portal.debtors.money_forms import money_column

from .forms_policy import OfferPolicyForm
from .models import Agreement, AgreementDebt, Installment, OfferPolicy, PromiseToPay, Quote


def _snapshot(policy: OfferPolicy) -> dict[str, Any]:
    """Every stored value of the policy, keyed by field name (ids for relations)."""
    return {
        field.name: field.value_from_object(policy)
        for field in policy._meta.concrete_fields
        if field.name not in {"id", "created_at", "updated_at"}
    }


@admin.register(OfferPolicy)
class OfferPolicyAdmin(admin.ModelAdmin):
    form = OfferPolicyForm
    list_display = [
        "name",
        "stage",
        "creditor",
        "portfolio",
        "currency",
        "is_active",
        "discount_interest_fees_pct",
        "discount_principal_pct",
        "max_installments",
        "auto_max_installments",
    ]
    list_filter = ["is_active", "stage", "currency", "creditor"]
    search_fields = ["name", "portfolio__code", "creditor__name"]
    list_select_related = ["stage", "creditor", "portfolio"]
    fieldsets = [
        (None, {"fields": ["name", "stage", "creditor", "portfolio", "currency", "is_active"]}),
        (
            _("Pay in full"),
            {"fields": ["discount_interest_fees_pct", "discount_principal_pct"]},
        ),
        (
            _("Payment plans"),
            {
                "fields": [
                    "max_installments",
                    "min_down_payment_pct",
                    "min_installment_minor",
                    "allowed_frequencies",
                    "max_days_to_first_payment",
                    "quote_validity_days",
                    "grace_days",
                    "max_days_to_promise",
                    "min_promise_minor",
                ]
            },
        ),
        (
            _("Approved automatically when a debtor's own plan stays inside"),
            {
                "fields": [
                    "auto_max_installments",
                    "auto_min_down_payment_pct",
                    "auto_min_installment_minor",
                    "auto_max_days_to_first_payment",
                ]
            },
        ),
        (
            _("Changes a debtor may make alone to an active agreement"),
            {"fields": ["max_date_moves", "max_move_days", "allow_skip"]},
        ),
    ]

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        before = _snapshot(OfferPolicy.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        after = _snapshot(obj)
        if change:
            changed = {k: [before[k], v] for k, v in after.items() if before.get(k) != v}
            if not changed:
                return
            record(
                "offer_policy.changed",
                actor=request.user,
                subject=obj,
                details={"changed": changed},
            )
        else:
            record(
                "offer_policy.created",
                actor=request.user,
                subject=obj,
                details={"changed": {k: [None, v] for k, v in after.items()}},
            )

    @transaction.atomic
    def delete_model(self, request, obj):
        record(
            "offer_policy.deleted",
            actor=request.user,
            subject=obj,
            details={"changed": {k: [v, None] for k, v in _snapshot(obj).items()}},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # Bulk delete from the list goes through delete_model so each one is audited.
        with transaction.atomic():
            for policy in queryset:
                self.delete_model(request, policy)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AgreementDebtInline(ReadOnlyMixin, admin.TabularInline):
    model = AgreementDebt
    fields = ["debt", "balance", "discount", "is_active"]
    readonly_fields = fields
    extra = 0

    balance = money_column("balance_minor", _("Balance"), currency_field="agreement.currency")
    discount = money_column("discount_minor", _("Discount"), currency_field="agreement.currency")


class InstallmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Installment
    fields = ["number", "due_date", "amount", "paid", "status", "paid_at"]
    readonly_fields = fields
    extra = 0

    amount = money_column("amount_minor", _("Amount"), currency_field="agreement.currency")
    paid = money_column("paid_minor", _("Paid"), currency_field="agreement.currency")


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Agreements are created only by the services; the admin shows them with evidence."""

    list_display = [
        "number",
        "debtor",
        "portfolio",
        "kind",
        "status",
        "total",
        "created_at",
    ]
    list_filter = ["status", "kind", "portfolio"]
    search_fields = ["number", "debtor__full_name", "debtor__document_number"]
    list_select_related = ["debtor", "portfolio"]
    date_hierarchy = "created_at"
    inlines = [
        AgreementDebtInline,
        InstallmentInline,
        ScheduleChangeInline,
        AgreementDocumentInline,
    ]
    readonly_fields = ["signed_document"]
    # `pdf` is a private file (no URL): `signed_document` links the checking view instead.
    exclude = ["balance_minor", "discount_minor", "total_minor", "down_payment_minor", "pdf"]

    total = money_column("total_minor", _("Total agreed"))

    def get_fields(self, request, obj=None):
        # The formatted amounts right after the currency, where the raw columns were.
        fields = [f for f in super().get_fields(request, obj) if f not in self.amounts]
        at = fields.index("currency") + 1 if "currency" in fields else len(fields)
        return [*fields[:at], *self.amounts, *fields[at:]]

    amounts = ["balance", "discount", "total", "down_payment"]
    balance = money_column("balance_minor", _("Balance before discount"))
    discount = money_column("discount_minor", _("Discount"))
    down_payment = money_column("down_payment_minor", _("Down payment"))

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.amounts]

    @admin.display(description=_("signed PDF"))
    def signed_document(self, obj: Agreement) -> str:
        if not obj.pdf_sha256:
            return "being rendered"
        url = reverse("agreement_files:staff_pdf", args=[obj.pk])
        return format_html('<a href="{}">Download</a> · SHA-256 {}', url, obj.pdf_sha256)


@admin.register(Quote)
class QuoteAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["pk", "debtor", "portfolio", "policy", "balance", "as_of", "valid_until"]
    list_select_related = ["debtor", "portfolio", "policy"]
    search_fields = ["debtor__full_name", "debtor__document_number"]
    date_hierarchy = "created_at"

    balance = money_column("balance_minor", _("Balance"))


@admin.register(PromiseToPay)
class PromiseToPayAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Promises are made by debtors or logged from a call; here staff find today's."""

    list_display = ["promised_date", "debtor", "debt", "amount", "status", "source"]
    list_filter = ["status", "source", ("promised_date", admin.DateFieldListFilter)]
    list_select_related = ["debtor", "debt"]
    search_fields = ["debtor__full_name", "debtor__document_number", "debt__account_ref"]
    ordering = ["promised_date", "id"]
    exclude = ["amount_minor"]
    readonly_fields = ["amount"]

    amount = money_column("amount_minor", _("Amount"))
