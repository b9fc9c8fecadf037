"""Debtor forms for offers, own plans and promises, and the staff review forms.

Amounts are typed in major units ("150.000", "1.250,50") and parsed here with Decimal into
integer minor units, using the currency's precision from Babel; floats never touch money.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import Debt, Debtor

from .models import Frequency
from .quotes import HARD_MAX_INSTALLMENTS

# Far above any real debt, far below BigInteger's limit: a typo cannot overflow anything.
MAX_AMOUNT_MAJOR = Decimal("1000000000000")
_GROUPED = re.compile(r"^[1-9]\d{0,2}([.,]\d{3})+$")


def parse_major(text: str, currency: str) -> int:
    """'1.500.000' / '1,500,000' / '1500000,50' / '1500000.5' → minor units (int).

    A separator followed by exactly three digits groups thousands, as Colombians write
    them; one followed by one or two digits is the decimal mark. Raises ValueError.
    """
    text = re.sub(r"[\s$]", "", text or "")
    if not text:
        raise ValueError("empty")
    if "." in text and "," in text:
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
        whole, _sep, fraction = text.rpartition(decimal_mark)
        whole = whole.replace(".", "").replace(",", "")
    elif _GROUPED.match(text):
        whole, fraction = re.sub(r"[.,]", "", text), ""
    elif text.count(".") + text.count(",") == 1:
        whole, _sep, fraction = text.replace(",", ".").partition(".")
    else:
        whole, fraction = text, ""
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError("not a number")
    precision = get_currency_precision(currency)
    if len(fraction) > precision:
        raise ValueError("too many decimals")
    try:
        amount = Decimal(f"{whole}.{fraction or '0'}")
    except InvalidOperation as error:
        raise ValueError("not a number") from error
    if amount > MAX_AMOUNT_MAJOR:
        raise ValueError("too large")
    return int(amount * (10**precision))


class MoneyField(forms.CharField):
    """A typed amount in major units; cleans to integer minor units of `currency`."""

    def __init__(self, *, currency: str = "COP", **kwargs):
        self.currency = currency
        # No max_length: its validator would run on the cleaned int; length is checked here.
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = {"inputmode": "decimal", "autocomplete": "off", "maxlength": "24"}
        return {**super().widget_attrs(widget), **attrs}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            if len(value) > 24:
                raise ValueError("too long")
            return parse_major(value, self.currency)
        except ValueError as error:
            raise forms.ValidationError(
                _("Write the amount with digits only, for example 150000."), code="invalid"
            ) from error


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ConsentForm(forms.Form):
    """The two ticks every acceptance needs (Ley 527 de 1999: electronic signature)."""

    accept_terms = forms.BooleanField(
        label=_("I have read and accept the terms of this agreement."),
        error_messages={"required": _("Tick this box to accept the terms.")},
    )
    accept_esign = forms.BooleanField(
        label=_(
            "I agree to sign this agreement electronically, and that my acceptance here "
            "has the same value as my handwritten signature."
        ),
        error_messages={"required": _("Tick this box to sign electronically.")},
    )


class PlanForm(forms.Form):
    """The plan a debtor designs; the live preview checks it without the consent ticks."""

    installments = forms.IntegerField(
        label=_("Number of installments"), min_value=1, max_value=HARD_MAX_INSTALLMENTS
    )
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    first_due_date = forms.DateField(label=_("Date of the first installment"), widget=DateInput())
    down_payment = MoneyField(label=_("Down payment (optional)"), required=False)
    monthly_income = MoneyField(required=False, widget=forms.HiddenInput)
    essential_expenses = MoneyField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, currency: str = "COP", **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("down_payment", "monthly_income", "essential_expenses"):
            self.fields[name].currency = currency

    def clean_down_payment(self) -> int:
        return self.cleaned_data.get("down_payment") or 0


class ProposalForm(PlanForm, ConsentForm):
    field_order = [
        "installments",
        "frequency",
        "first_due_date",
        "down_payment",
        "accept_terms",
        "accept_esign",
    ]


class AffordabilityForm(forms.Form):
    monthly_income = MoneyField(label=_("Your monthly income"))
    essential_expenses = MoneyField(
        label=_("Your essential monthly expenses"),
        help_text=_("Rent, food, transport, utilities, health and school."),
    )

    def __init__(self, *args, currency: str = "COP", **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.currency = currency


class PromiseForm(forms.Form):
    debt = forms.ModelChoiceField(
        label=_("Account"), queryset=Debt.objects.none(), empty_label=None
    )
    amount = MoneyField(label=_("Amount you will pay"))
    promised_date = forms.DateField(label=_("Date you will pay"), widget=DateInput())

    def __init__(self, *args, debtor: Debtor, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the debtor's own debts can be chosen: another id is "not a valid choice".
        self.fields["debt"].queryset = (
            Debt.objects.filter(debtor=debtor, balance_minor__gt=0)
            .select_related("portfolio__creditor")
            .order_by("-balance_minor", "id")
        )
        self.fields["debt"].label_from_instance = lambda debt: (
            f"{debt.portfolio.creditor.name} · {debt.account_ref}"
        )

    def clean(self):
        data = super().clean()
        debt, amount = data.get("debt"), self.data.get("amount")
        if debt is not None and amount:
            # Parse in the debt's own currency, now that we know which debt it is.
            try:
                data["amount"] = parse_major(amount, debt.currency)
            except ValueError:
                self.add_error(
                    "amount", _("Write the amount with digits only, for example 150000.")
                )
        return data


# Staff review forms (admin, English only like the rest of the admin).


class CounterOfferForm(forms.Form):
    installments = forms.IntegerField(min_value=1, max_value=HARD_MAX_INSTALLMENTS)
    frequency = forms.ChoiceField(choices=Frequency.choices)
    first_due_date = forms.DateField(widget=DateInput())
    down_payment = MoneyField(required=False, help_text="In major units, e.g. 150000.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, currency: str = "COP", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["down_payment"].currency = currency

    def clean_down_payment(self) -> int:
        return self.cleaned_data.get("down_payment") or 0


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "A reason is required to reject a proposal."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required to reject a proposal.")
        return reason
