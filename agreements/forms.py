"""Debtor forms for offers, own plans and promises, and the staff review forms.

Amounts are typed in major units ("150.000", "1.250,50") and parsed by the one MoneyField in
portal/debtors/money_forms.py into integer minor units; floats never touch money.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import Debt, Debtor
from portal.debtors.money_forms import MoneyField, parse_major

from .models import Frequency
from .quotes import HARD_MAX_INSTALLMENTS


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


class ScheduleChangeForm(ConsentForm):
    """A change to the schedule: which installment, the new date (a move), then, on the
    preview, the same two ticks as the acceptance and a reason when staff must review it.
    Without `confirm` the form only asks for the change, so the ticks are not required yet."""

    installment = forms.TypedChoiceField(label=_("Installment"), coerce=int)
    new_date = forms.DateField(label=_("New date"), widget=DateInput(), required=False)
    reason = forms.CharField(
        label=_("Why do you need this change?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, installments=(), kind: str = "move", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["installment"].choices = [
            (i.number, _("Installment %(number)s") % {"number": i.number}) for i in installments
        ]
        self.confirming = self.is_bound and self.data.get(self.add_prefix("confirm")) in (
            "True",
            "true",
            "1",
            "on",
        )
        # The ticks are checked by the service, so a missing one shows on the preview.
        for name in ("accept_terms", "accept_esign"):
            self.fields[name].required = False
        if kind == "move":
            self.fields["new_date"].required = True
        else:
            del self.fields["new_date"]
