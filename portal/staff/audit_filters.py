"""List filters for the audit log review: typed-in values, not lists of a million choices."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import ContactChannel


class InputFilter(admin.ListFilter):
    """A filter with text boxes; each parameter in `fields` is one box."""

    template = "admin/staff/input_filter.html"
    fields: tuple[tuple[str, str, str], ...] = ()  # (parameter, label, input type)

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values = {}
        for name, _label, _kind in self.fields:
            if name in params:
                value = params.pop(name)
                self.values[name] = (value[-1] if isinstance(value, list) else value).strip()
        self.request_params = request.GET

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [name for name, _label, _kind in self.fields]

    def choices(self, changelist):
        others = {
            key: value
            for key, value in self.request_params.items()
            if key not in self.expected_parameters()
        }
        yield {
            "boxes": [
                {"name": name, "label": label, "type": kind, "value": self.values.get(name, "")}
                for name, label, kind in self.fields
            ],
            "others": others,
        }


class DebtorFilter(InputFilter):
    title = _("debtor")
    fields = (("debtor_id", _("debtor id"), "number"),)

    def queryset(self, request, queryset):
        value = self.values.get("debtor_id", "")
        return queryset.filter(debtor_id=int(value)) if value.isdigit() else queryset


class PeriodFilter(InputFilter):
    title = _("occurred between (UTC)")
    fields = (("from", _("from"), "date"), ("to", _("to (inclusive)"), "date"))

    def queryset(self, request, queryset):
        start = _date(self.values.get("from"))
        end = _date(self.values.get("to"))
        if start:
            queryset = queryset.filter(occurred_at__gte=_midnight(start))
        if end:
            queryset = queryset.filter(occurred_at__lt=_midnight(end + dt.timedelta(days=1)))
        return queryset


class ChannelFilter(admin.SimpleListFilter):
    title = _("channel")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return ContactChannel.choices

    def queryset(self, request, queryset):
        if self.value() in ContactChannel.values:
            return queryset.filter(details__channel=self.value())
        return queryset


def _date(text: str | None) -> dt.date | None:
    try:
        return parse_date(text or "")
    except ValueError:
        return None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
