"""Staff forms: a call or visit outcome, a dispute's resolution (staff admin text stays in
English)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.debtors.dispute_cases import DisputeError, upload_check
from portal.debtors.models import CaseStatus, Debt, UpheldAction
from portal.debtors.money_forms import MoneyField, parse_major
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


class OnlineDisputeResolutionForm(forms.Form):
    """The answer to a dispute filed on the portal. Upheld: close the debt or lower its
    balance by an amount typed in major units ("$100.000"); rejected: the verification
    document is required."""

    status = forms.ChoiceField(
        label=_("Answer"),
        choices=[(CaseStatus.UPHELD, _("Upheld")), (CaseStatus.REJECTED, _("Rejected"))],
        widget=forms.RadioSelect,
    )
    action = forms.ChoiceField(
        label=_("If upheld"), choices=UpheldAction.choices, required=False, widget=forms.RadioSelect
    )
    adjustment = MoneyField(
        label=_("Lower the balance by"),
        required=False,
        help_text=_("Only to adjust: in the debt's currency, e.g. 100.000."),
    )
    note = forms.CharField(
        label=_("Answer to the debtor"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("The debtor reads it on the portal and in the message."),
    )
    document = forms.FileField(
        label=_("Verification document"),
        required=False,
        help_text=_("Required to reject: PDF, PNG or JPEG."),
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adjustment"].currency = currency

    def clean(self):
        data = super().clean()
        status = data.get("status")
        data["verification"] = None
        if status == CaseStatus.UPHELD:
            if data.get("action") not in UpheldAction.values:
                self.add_error(
                    "action", _("Choose whether to close the debt or adjust its balance.")
                )
            elif data["action"] == UpheldAction.ADJUST and not data.get("adjustment"):
                self.add_error("adjustment", _("Type the amount the balance goes down by."))
        elif status == CaseStatus.REJECTED:
            document = data.get("document")
            if document is None:
                self.add_error("document", _("Attach the verification document of the debt."))
            else:
                try:
                    data["verification"] = upload_check(document)
                except DisputeError as error:
                    self.add_error("document", str(error))
        return data
