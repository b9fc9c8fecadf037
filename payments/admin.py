"""Payments in admin: read-only money (it comes from Stripe and the ledger), allocations
and refunds inline, and a refund page for staff with `payments.refund_payment`.

The refund page only records the request: it reserves the refund under a lock on the
payment (amount checked on the server against what is left) and audits it with the staff
user; a Celery task queued after commit asks Stripe with a key made of our ids and writes
the result back. The refunds inline shows each request's status, tries and last error.
Each form carries a token, so a double click makes one refund.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.debtors.money_forms import money_column, parse_major
from portal.money import format_minor
from portal.storage import private_file_response

from .models import (
    Autopay,
    DebtDispute,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    Refund,
)
from .services.refunds import RefundError, refund_refusal, refund_request, refund_room

REFUND_PERMISSION = "payments.refund_payment"


class RefundForm(forms.Form):
    amount = forms.CharField(max_length=24, help_text="In the payment's currency, e.g. 50000")
    reason = forms.CharField(max_length=255)
    # One per page view: posting the same page twice (a double click) is one refund.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_amount(self) -> int:
        try:
            return parse_major(self.cleaned_data["amount"], self.currency)
        except ValueError as error:
            raise forms.ValidationError("Type the amount with digits, e.g. 50000.") from error


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AllocationInline(ReadOnlyInline):
    model = PaymentAllocation
    fields = ["debt", "installment", "amount", "ledger_entry"]
    readonly_fields = fields

    amount = money_column("amount_minor", _("Amount"), currency_field="payment.currency")


class RefundInline(ReadOnlyInline):
    model = Refund
    verbose_name_plural = "refunds (status of each request)"
    fields = [
        "created_at",
        "amount",
        "status",
        "attempts",
        "error",
        "reason",
        "requested_by",
        "stripe_refund_id",
        "provider_refund_id",
    ]
    readonly_fields = fields

    amount = money_column("amount_minor", _("Amount"))

    def has_view_permission(self, request, obj=None) -> bool:
        # Part of the payment: whoever may see the payment (and refund it) sees its
        # refunds' status without a separate permission on the model.
        return request.user.has_perm("payments.view_payment")


class DisputeInline(ReadOnlyInline):
    model = DebtDispute
    fields = ["stripe_dispute_id", "debt", "reason", "previous_status", "opened_at", "outcome"]
    readonly_fields = fields


class DisputedFilter(admin.SimpleListFilter):
    title = _("disputed")
    parameter_name = "disputed"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(disputed_at__isnull=self.value() == "no")
        return queryset


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "debtor",
        "amount",
        "refunded",
        "provider",
        "method",
        "status",
        "disputed_at",
        "received_at",
    ]
    list_filter = ["status", "provider", "method", "currency", DisputedFilter, "received_at"]
    search_fields = [
        "number",
        "provider_payment_id",
        "stripe_payment_intent_id",
        "stripe_charge_id",
        "debtor__full_name",
        "debtor__document_number",
    ]
    list_select_related = ["debtor"]
    date_hierarchy = "received_at"
    inlines = [AllocationInline, RefundInline, DisputeInline]
    change_form_template = "admin/payments/payment/change_form.html"
    # The receipt is a private file (no URL): a link to the checking view stands in for it.
    exclude = ["amount_minor", "refunded_minor", "receipt_pdf"]

    def get_readonly_fields(self, request, obj=None):
        # The amounts formatted with the currency take the place of the raw minor columns.
        names = [field.name for field in Payment._meta.concrete_fields]
        at = names.index("amount_minor")
        names[at : at + 1] = ["amount"]
        shown = {"refunded_minor": "refunded", "receipt_pdf": "receipt_document"}
        return [shown.get(name, name) for name in names]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # payments only come from the providers

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("amount"), ordering="amount_minor")
    def amount(self, payment: Payment) -> str:
        return format_minor(payment.amount_minor, payment.currency)

    @admin.display(description=_("refunded"), ordering="refunded_minor")
    def refunded(self, payment: Payment) -> str:
        return format_minor(payment.refunded_minor, payment.currency)

    @admin.display(description=_("receipt PDF"))
    def receipt_document(self, payment: Payment) -> str:
        if not payment.receipt_sha256:
            return gettext("being prepared")
        url = reverse("admin:payments_payment_receipt", args=[payment.pk])
        return format_html(
            '<a href="{}">{}</a> · SHA-256 {}', url, gettext("Download"), payment.receipt_sha256
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/refund/", view(self.refund_view), name="payments_payment_refund"),
            path("<int:pk>/receipt.pdf", view(self.receipt_view), name="payments_payment_receipt"),
            *super().get_urls(),
        ]

    def receipt_view(self, request: HttpRequest, pk: int) -> FileResponse:
        payment = get_object_or_404(Payment, pk=pk)
        if not self.has_view_permission(request, payment):
            raise PermissionDenied
        if not payment.receipt_sha256:
            raise Http404(gettext("This payment's receipt is being prepared."))
        return private_file_response(
            payment.receipt_pdf, filename=f"{payment.number}.pdf", content_type="application/pdf"
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payment = Payment.objects.filter(pk=object_id).only("method").first()
        extra = {
            "can_refund": request.user.has_perm(REFUND_PERMISSION),
            "refund_refusal": refund_refusal(payment) if payment else "",
            "refund_url": reverse("admin:payments_payment_refund", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def refund_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(REFUND_PERMISSION):
            raise PermissionDenied
        payment = get_object_or_404(Payment.objects.select_related("debtor"), pk=pk)
        form = RefundForm(request.POST or None, currency=payment.currency)
        if request.method == "POST" and form.is_valid():
            try:
                refund = refund_request(
                    payment_id=payment.pk,
                    amount_minor=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    token=form.cleaned_data["token"],
                )
            except RefundError as error:
                form.add_error("amount", str(error))
            else:
                amount = format_minor(refund.amount_minor, refund.currency)
                self.message_user(
                    request,
                    gettext(
                        "Refund #%(number)s of %(amount)s requested; %(provider)s is asked in "
                        "the background and its status shows under Refunds below."
                    )
                    % {
                        "number": refund.pk,
                        "amount": amount,
                        "provider": payment.get_provider_display(),
                    },
                )
                change = reverse("admin:payments_payment_change", args=[payment.pk])
                return HttpResponseRedirect(change)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "payment": payment,
            "form": form,
            "refundable": format_minor(refund_room(payment), payment.currency),
            "title": f"Refund {payment}",
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request, "admin/payments/payment/refund.html", context, status=status
        )


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "debtor",
        "purpose",
        "provider",
        "method",
        "status",
        "autopay",
        "created_at",
    ]
    list_filter = ["status", "purpose", "provider", "method", "currency"]
    search_fields = [
        "stripe_payment_intent_id",
        "provider_payment_id",
        "idempotency_key",
        "debtor__document_number",
    ]
    list_select_related = ["debtor"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in PaymentAttempt._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Autopay)
class AutopayAdmin(admin.ModelAdmin):
    list_display = ["__str__", "debtor", "status", "card", "activated_at", "disabled_at"]
    list_filter = ["status"]
    search_fields = ["debtor__document_number", "agreement__number"]
    list_select_related = ["debtor", "agreement"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Autopay._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("card"))
    def card(self, autopay: Autopay) -> str:
        return format_html("{} ···· {}", autopay.card_brand, autopay.card_last4)


# The providers' events and notifications, and the portfolios' online payment methods.
from . import admin_providers  # noqa: E402, F401
