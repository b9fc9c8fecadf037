"""The KPI dashboard's filters: a date range, portfolio, mora stage, channel, campaign."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import MoraStage, Portfolio
from portal.outreach.models import Campaign, Channel

from .kpis import KpiFilters

DEFAULT_DAYS = 90


class KpiFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    portfolio = forms.ModelChoiceField(
        Portfolio.objects.order_by("code"),
        label=_("Portfolio"),
        required=False,
        empty_label=_("All portfolios"),
    )
    stage = forms.ModelChoiceField(
        MoraStage.objects.all(), label=_("Mora stage"), required=False, empty_label=_("All stages")
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False
    )
    campaign = forms.ModelChoiceField(
        Campaign.objects.order_by("-created_at"),
        label=_("Campaign"),
        required=False,
        empty_label=_("All campaigns"),
    )

    def filters(self) -> KpiFilters:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            start, end = end, start
        stage = data.get("stage")
        return KpiFilters(
            start=start,
            end=end,
            portfolio_id=data["portfolio"].pk if data.get("portfolio") else None,
            stage=(stage.code, stage.min_days, stage.max_days) if stage else None,
            channel=data.get("channel") or None,
            campaign_id=data["campaign"].pk if data.get("campaign") else None,
        )
