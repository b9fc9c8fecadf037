"""Debtor payment forms. The option is a key naming what to pay; the amount is only read
for an "amount of your choice" (or to refuse a tampered one), never trusted otherwise."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.debtors.money_forms import parse_major


class PayForm(forms.Form):
    option = forms.RegexField(regex=r"^[a-z]+-\d{1,18}$", max_length=40)
    amount = forms.CharField(required=False, max_length=24)

    def amount_minor(self, currency: str) -> int | None:
        """The typed amount in minor units of `currency`; None when left empty."""
        text = self.cleaned_data.get("amount") or ""
        if not text.strip():
            return None
        try:
            return parse_major(text, currency)
        except ValueError as error:
            raise forms.ValidationError(
                _("Type the amount with digits only, for example 150000.")
            ) from error


class CardTokenForm(forms.Form):
    """What the Card Element path sends: Stripe's token id, nothing about the card."""

    token = forms.RegexField(regex=r"^tok_[A-Za-z0-9_]{1,250}$")


class AutopayConsentForm(forms.Form):
    """The debtor's explicit tick; the text they consent to is ours, shown on the page."""

    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Tick the box to authorise automatic payments.")},
    )
