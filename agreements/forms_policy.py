"""Offer policy validation and its admin form.

`policy_errors` is the one place the contradictions are spelled out; `OfferPolicy.clean()`
calls it, so the admin, imports and tests all refuse the same settings.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.debtors.money_forms import MoneyField

from .models import Frequency, OfferPolicy


def _scope_taken(policy: OfferPolicy) -> bool:
    if not policy.is_active or policy.stage_id is None:
        return False
    same = OfferPolicy.objects.filter(
        is_active=True, stage_id=policy.stage_id, currency=policy.currency
    ).exclude(pk=policy.pk)
    if policy.portfolio_id:
        same = same.filter(portfolio_id=policy.portfolio_id)
    elif policy.creditor_id:
        same = same.filter(portfolio__isnull=True, creditor_id=policy.creditor_id)
    else:
        same = same.filter(portfolio__isnull=True, creditor__isnull=True)
    return same.exists()


def policy_errors(policy: OfferPolicy) -> dict[str, list[str]]:
    """Field name (or `__all__`) → messages for every contradiction in `policy`."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    portfolio = policy.portfolio if policy.portfolio_id else None
    if portfolio and policy.creditor_id and portfolio.creditor_id != policy.creditor_id:
        add("portfolio", _("This portfolio belongs to another creditor."))
    if portfolio and policy.currency != portfolio.currency:
        add(
            "currency",
            _("The portfolio is in %(currency)s; the policy must use the same currency.")
            % {"currency": portfolio.currency},
        )

    plans = (policy.max_installments or 1) > 1
    frequencies = policy.allowed_frequencies
    if not isinstance(frequencies, list):
        add("allowed_frequencies", _("Choose the frequencies from the list."))
    else:
        unknown = sorted(str(f) for f in set(frequencies) - set(Frequency.values))
        if unknown:
            add(
                "allowed_frequencies",
                _("Unknown frequencies: %(values)s.") % {"values": ", ".join(unknown)},
            )
        if plans and not frequencies:
            add(
                "allowed_frequencies",
                _("Choose at least one frequency when plans of more than one installment exist."),
            )
    if plans and policy.min_down_payment_pct is not None and policy.min_down_payment_pct >= 100:
        add(
            "min_down_payment_pct",
            _(
                "A down payment of 100% leaves nothing for the installments; lower it or allow "
                "only one installment."
            ),
        )

    def looser(field: str, message: str, broken: bool) -> None:
        if broken:
            add(field, message)

    if None not in (policy.auto_max_installments, policy.max_installments):
        looser(
            "auto_max_installments",
            _("Cannot approve automatically more installments than the policy allows."),
            policy.auto_max_installments > policy.max_installments,
        )
    if None not in (policy.auto_min_down_payment_pct, policy.min_down_payment_pct):
        looser(
            "auto_min_down_payment_pct",
            _("The automatic minimum down payment cannot be below the policy minimum."),
            policy.auto_min_down_payment_pct < policy.min_down_payment_pct,
        )
    if None not in (policy.auto_min_installment_minor, policy.min_installment_minor):
        looser(
            "auto_min_installment_minor",
            _("The automatic minimum installment cannot be below the policy minimum."),
            policy.auto_min_installment_minor < policy.min_installment_minor,
        )
    if None not in (policy.auto_max_days_to_first_payment, policy.max_days_to_first_payment):
        looser(
            "auto_max_days_to_first_payment",
            _("The automatic limit for the first payment cannot exceed the policy limit."),
            policy.auto_max_days_to_first_payment > policy.max_days_to_first_payment,
        )
    if None not in (policy.discount_principal_pct, policy.discount_interest_fees_pct):
        looser(
            "discount_principal_pct",
            _("The discount on principal cannot exceed the discount on interest and fees."),
            policy.discount_principal_pct > policy.discount_interest_fees_pct,
        )
    if _scope_taken(policy):
        add(
            "__all__",
            _(
                "Another active policy already covers this stage, currency and scope; "
                "deactivate it first or edit that one."
            ),
        )
    return errors


class OfferPolicyForm(forms.ModelForm):
    allowed_frequencies = forms.MultipleChoiceField(
        choices=Frequency.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Needed when more than one installment is allowed.",
    )
    min_installment_minor = MoneyField(
        label=gettext_lazy("Minimum installment"),
        required=False,
        help_text=gettext_lazy("In the policy's currency, e.g. 50.000. Empty: no minimum."),
    )
    min_promise_minor = MoneyField(
        label=gettext_lazy("Minimum promise to pay"),
        required=False,
        help_text=gettext_lazy(
            "In the policy's currency, e.g. 20.000. Empty: the currency's minimum payment."
        ),
    )
    auto_min_installment_minor = MoneyField(
        label=gettext_lazy("Minimum installment approved automatically"),
        required=False,
        help_text=gettext_lazy("In the policy's currency, e.g. 100.000. Empty: no minimum."),
    )

    class Meta:
        model = OfferPolicy
        fields = [
            "name",
            "stage",
            "creditor",
            "portfolio",
            "currency",
            "is_active",
            "discount_interest_fees_pct",
            "discount_principal_pct",
            "max_installments",
            "min_down_payment_pct",
            "min_installment_minor",
            "allowed_frequencies",
            "max_days_to_first_payment",
            "quote_validity_days",
            "grace_days",
            "max_days_to_promise",
            "min_promise_minor",
            "auto_max_installments",
            "auto_min_down_payment_pct",
            "auto_min_installment_minor",
            "auto_max_days_to_first_payment",
            "max_date_moves",
            "max_move_days",
            "allow_skip",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = (self.data.get(self.add_prefix("currency")) if self.is_bound else None) or (
            self.instance.currency or "COP"
        )
        for name in ("min_installment_minor", "auto_min_installment_minor", "min_promise_minor"):
            self.fields[name].currency = str(currency)[:3].upper()

    def clean_min_installment_minor(self) -> int:
        return self.cleaned_data.get("min_installment_minor") or 0

    def clean_auto_min_installment_minor(self) -> int:
        return self.cleaned_data.get("auto_min_installment_minor") or 0
