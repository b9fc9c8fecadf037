"""Staff forms: a call or visit outcome, a dispute's resolution (staff admin text stays in
English)."""

from __future__ import annotations

from django import forms

from portal.debtors.models import Debt
from portal.debtors.money_forms import parse_major
from portal.outreach.models import ContactMethod, Direction, Outcome

from .models import Resolution


class ContactOutcomeForm(forms.Form):
    method = forms.ChoiceField(choices=ContactMethod.choices, initial=ContactMethod.PHONE)
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.OUTBOUND)
    outcome = forms.ChoiceField(choices=Outcome.choices)
    debt = forms.ModelChoiceField(
        queryset=Debt.objects.none(), required=False, empty_label="— not about one debt —"
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )
    promise_amount = forms.CharField(
        required=False, max_length=24, help_text="Promise only: amount in the debt's currency."
    )
    promise_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Promise only: the date the debtor will pay by.",
    )

    def __init__(self, *args, debts: list[Debt], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["debt"].queryset = Debt.objects.filter(pk__in=[d.pk for d in debts])
        self.fields["debt"].label_from_instance = lambda d: (
            f"{d.account_ref} · {d.portfolio.code} · {d.get_status_display()}"
        )
        if len(debts) == 1:
            self.fields["debt"].initial = debts[0].pk

    def clean(self):
        data = super().clean()
        amount = data.get("promise_amount")
        data["promise_amount_minor"] = None
        if data.get("outcome") == Outcome.PROMISE:
            debt = data.get("debt")
            if not amount or not data.get("promise_date") or debt is None:
                raise forms.ValidationError("A promise needs the debt, an amount and a date.")
            try:
                data["promise_amount_minor"] = parse_major(amount, debt.currency)
            except ValueError:
                self.add_error("promise_amount", "Type an amount like 150.000 or 150000,50.")
        return data


class DisputeResolutionForm(forms.Form):
    resolution = forms.ChoiceField(choices=Resolution.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Why: what was checked. It goes on the debtor's timeline.",
    )
