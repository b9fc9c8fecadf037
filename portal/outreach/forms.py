"""The campaign form staff fill in admin: channels as checkboxes, the balance range in major
units of the portfolio's currency."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import Portfolio
from portal.debtors.money_forms import MoneyField

from .models import Campaign, Channel, ScoreBand

# The order messages go out in when a debtor has no preferred channel (the preferred one
# always goes first): the cheapest and most read first, a call last.
CHANNEL_ORDER = [Channel.WHATSAPP, Channel.SMS, Channel.EMAIL, Channel.CALL]


class CampaignForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=[(c.value, c.label) for c in CHANNEL_ORDER],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one channel.")},
        help_text=_("Sent in this order; the debtor's preferred channel always goes first."),
    )
    score_bands = forms.MultipleChoiceField(
        label=_("Propensity bands"),
        choices=ScoreBand.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Only debtors with a debt the current model scored in these bands. "
            "None ticked: any score, unscored debtors included."
        ),
    )
    balance_min_minor = MoneyField(
        label=_("Balance from"),
        required=False,
        help_text=_("In the portfolio's currency, e.g. 100.000. Empty: no lower limit."),
    )
    balance_max_minor = MoneyField(
        label=_("Balance up to"),
        required=False,
        help_text=_("In the portfolio's currency, e.g. 5.000.000. Empty: no upper limit."),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "portfolio",
            "stages",
            "balance_min_minor",
            "balance_max_minor",
            "min_days_since_contact",
            "agreement_filter",
            "score_bands",
            "highest_score_first",
            "channels",
            "start_at",
            "per_minute",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = self._currency()
        for name in ("balance_min_minor", "balance_max_minor"):
            self.fields[name].currency = currency
        if self.instance.pk is None and not self.is_bound:
            self.initial.setdefault("channels", [Channel.SMS, Channel.EMAIL])

    def _currency(self) -> str:
        portfolio_id = self.data.get(self.add_prefix("portfolio")) if self.is_bound else None
        if portfolio_id and str(portfolio_id).isdigit():
            found = Portfolio.objects.filter(pk=portfolio_id).values_list("currency", flat=True)
            if found:
                return found[0]
        if self.instance.portfolio_id:
            return self.instance.portfolio.currency
        return "COP"

    def clean_channels(self) -> list[str]:
        chosen = set(self.cleaned_data["channels"])
        return [c.value for c in CHANNEL_ORDER if c.value in chosen]

    def clean(self):
        data = super().clean()
        low, high = data.get("balance_min_minor"), data.get("balance_max_minor")
        if low is not None and high is not None and low > high:
            self.add_error(
                "balance_max_minor", _("The upper limit must not be below the lower limit.")
            )
        return data


class TwilioStatusForm(forms.Form):
    """A signed delivery callback's fields; longer than our columns is not Twilio's."""

    MessageSid = forms.CharField(max_length=64)
    MessageStatus = forms.CharField(max_length=20)
    ErrorCode = forms.CharField(max_length=16, required=False)


class TwilioInboundForm(forms.Form):
    """A signed inbound SMS or WhatsApp message's fields."""

    MessageSid = forms.CharField(max_length=64)
    From = forms.CharField(max_length=64 + len("whatsapp:"))
    Body = forms.CharField(max_length=1600, required=False, strip=False)


def form_problem(form: forms.Form) -> str:
    """The refused fields, for the 400's plain-text body."""
    return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
