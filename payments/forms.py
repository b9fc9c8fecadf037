"""Debtor payment forms. The option is a key naming what to pay; the amount is only read
for an "amount of your choice" (or to refuse a tampered one), never trusted otherwise."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import DocumentType
from portal.debtors.money_forms import parse_major


class PayForm(forms.Form):
    option = forms.RegexField(regex=r"^[a-z]+-\d{1,18}$", max_length=40)
    amount = forms.CharField(required=False, max_length=24)
    # Which button: "<provider>-<method>" (MethodOption.key); none is Stripe's card, the
    # one button the page had before there was a choice.
    method = forms.RegexField(regex=r"^(stripe|mercadopago)-(pse|cash|card)$", required=False)

    def provider_method(self) -> tuple[str, str]:
        provider, _sep, method = (self.cleaned_data.get("method") or "stripe-card").partition("-")
        return provider, method

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


class PseForm(forms.Form):
    """The PSE page: which bank, as a person or a company, and where Mercado Pago writes."""

    bank = forms.ChoiceField(
        label=_("Your bank"),
        error_messages={
            "required": _("Choose your bank from the list."),
            "invalid_choice": _("Choose your bank from the list."),
        },
    )
    person_type = forms.ChoiceField(
        label=_("You pay as"),
        choices=[("individual", _("A person")), ("association", _("A company"))],
        initial="individual",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you pay as a person or as a company.")},
    )
    email = forms.EmailField(
        label=_("Email for the bank's confirmation"),
        max_length=254,
        error_messages={"required": _("Type your email."), "invalid": _("Type a valid email.")},
    )

    def __init__(self, *args, banks: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank"].choices = [("", _("Choose your bank")), *banks]


class ThirdPartyPseForm(PseForm):
    """PSE for someone paying for the debtor: the bank account is theirs, so PSE needs
    their name and document, typed here (the debtor's are never shown or used)."""

    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=120,
        error_messages={"required": _("Type your full name.")},
    )
    document_type = forms.ChoiceField(
        label=_("Your document type"),
        choices=[(c, label) for c, label in DocumentType.choices if c != DocumentType.SSN],
        initial=DocumentType.CC,
        error_messages={"required": _("Choose your document type.")},
    )
    document_number = forms.RegexField(
        label=_("Your document number"),
        regex=r"^[0-9A-Za-z]{3,20}$",
        max_length=20,
        error_messages={
            "required": _("Type your document number."),
            "invalid": _("Type your document number with digits and letters only."),
        },
    )

    def payer_details(self) -> dict:
        """The account holder as Mercado Pago's `payer` wants them: name and document."""
        first, _sep, last = self.cleaned_data["full_name"].strip().partition(" ")
        return {
            "first_name": first,
            "last_name": last.strip() or first,
            "identification": {
                "type": self.cleaned_data["document_type"],
                "number": self.cleaned_data["document_number"],
            },
        }


class ThirdPartyPayForm(PayForm):
    """The pay-only link's page: the way to pay, and the payer's own email (Mercado Pago
    writes to it; the debtor's is never shown)."""

    email = forms.EmailField(
        required=False,
        max_length=254,
        error_messages={"invalid": _("Type a valid email.")},
    )


class ThirdPartyLinkForm(forms.Form):
    """What the debtor lets someone else pay: one of their payables' keys."""

    option = forms.RegexField(regex=r"^(installment|agreement)-\d{1,18}$", max_length=40)
