"""Admin for a portfolio's other ways to pay: an inline on the portfolio, audited."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from portal.audit.services import record

from .models import PaymentMethod


class PaymentMethodInline(admin.StackedInline):
    """Other ways to pay, listed on the debtor's pay page (always when card payments are
    not configured, below the card option when they are)."""

    model = PaymentMethod
    extra = 0
    fields = (
        ("kind", "name", "position", "active"),
        ("account", "holder"),
        ("agreement_code", "phone"),
        "instructions",
    )


def _method_summary(method: PaymentMethod) -> dict[str, str]:
    return {f: str(getattr(method, f)) for f in ("kind", "name", "account", "agreement_code")}


class PaymentMethodsAudited:
    """PortfolioAdmin's save of the inline, with one audit event per save that changed them."""

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is not PaymentMethod:
            return super().save_formset(request, form, formset, change)
        # Debtors send money where these say: every change to them is audited.
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            details = {
                "created": [_method_summary(m) for m in formset.new_objects],
                "changed": [
                    {**_method_summary(m), "fields": fields}
                    for m, fields in formset.changed_objects
                ],
                "deleted": [_method_summary(m) for m in formset.deleted_objects],
            }
            if any(details.values()):
                record(
                    "portfolio.payment_methods_changed",
                    actor=request.user,
                    subject=form.instance,
                    details=details,
                )
