"""Stored JSON (audit details, consent evidence, breaks, schedules) as staff read it: labelled
lines in the page's language, money with its currency, dates as dates, lists as lists;
never a Python repr or raw JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.money import format_minor

# Labels for the keys services write most; any other key is shown from its own name.
LABELS = {
    "text": _("Note"),
    "channel": _("Channel"),
    "status": _("Status"),
    "decision": _("Decision"),
    "reason": _("Reason"),
    "outcome": _("Outcome"),
    "installments": _("Installments"),
    "number": _("Number"),
    "source": _("Source"),
    "from": _("Before"),
    "changed": _("Changes"),
    "schedule": _("Schedule"),
    "breaks": _("Outside the bounds"),
    "message": _("Message"),
    "bound": _("Bound"),
    "due_date": _("Due date"),
    "amount": _("Amount"),
    "frequency": _("Frequency"),
    "first_due_date": _("First due date"),
    "down_payment": _("Down payment"),
    "accepted_at": _("Accepted at"),
    "ip": _("IP address"),
    "user_agent": _("Browser"),
    "link_id": _("Link"),
    "terms_version": _("Terms version"),
    "notes": _("Notes"),
    "method": _("Method"),
    "promised_date": _("Promised date"),
    "debt_ids": _("Debts"),
    "total": _("Total"),
    "evidence": _("Evidence"),
    "accepted_terms": _("Terms accepted"),
    "accepted_esign": _("E-signature accepted"),
    "attachments": _("Attachments"),
    "restored_to": _("Debt status after"),
    "action": _("Action"),
    "adjustment": _("Adjustment"),
    "case": _("Case"),
}
HIDDEN = {"currency"}  # shown inside every amount instead
MAX_TEXT = 240


def label_for(key: str) -> str:
    key = key.removesuffix("_minor")
    return str(LABELS.get(key) or key.replace("_", " ").capitalize())


def value_text(key: str, value: Any, currency: str | None) -> str | list[str]:
    """One value in words; a list of several things stays a list (one line each)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if key.endswith("_minor") and isinstance(value, int) and currency:
        return format_minor(value, currency)
    if isinstance(value, str):
        return _when(value) or (value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…")
    if isinstance(value, dict):
        if all(isinstance(v, list) and len(v) == 2 for v in value.values()):  # {field: [old, new]}
            return [
                f"{label_for(k)}: {_flat(k, old, currency)} → {_flat(k, new, currency)}"
                for k, (old, new) in value.items()
            ]
        return _line(value, currency)
    if isinstance(value, list | tuple):
        if value and all(isinstance(item, dict) for item in value):
            return [_line(item, currency) for item in value]
        return ", ".join(_flat(key, item, currency) for item in value)
    return str(value)


def readable_details(details: dict | None, currency: str | None = None) -> list[tuple[str, Any]]:
    """(label, text or list of texts) per key, in the stored order."""
    details = details or {}
    currency = details.get("currency") or currency
    return [
        (label_for(key), value_text(key, value, currency))
        for key, value in details.items()
        if key not in HIDDEN
    ]


def readable_html(details: dict | None, currency: str | None = None) -> SafeString:
    """The same as a definition list, for an admin read-only field."""
    rows = []
    for label, value in readable_details(details, currency):
        if isinstance(value, list):
            value = format_html(
                "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((v,) for v in value))
            )
        rows.append((label, value))
    if not rows:
        return SafeString("—")
    return format_html(
        '<dl class="readable">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows)
    )


def _flat(key: str, value: Any, currency: str | None) -> str:
    text = value_text(key, value, currency)
    return "; ".join(text) if isinstance(text, list) else text


def _line(item: dict, currency: str | None) -> str:
    currency = item.get("currency") or currency
    return " · ".join(
        f"{label_for(k)}: {_flat(k, v, currency)}" for k, v in item.items() if k not in HIDDEN
    )


def _when(text: str) -> str | None:
    if len(text) == 10:
        day = parse_date(text) if text[4:5] == "-" else None
        return formats.date_format(day, "SHORT_DATE_FORMAT") if day else None
    if len(text) >= 16 and text[4:5] == "-" and "T" in text:
        try:
            moment = parse_datetime(text)
        except ValueError:
            return None
        if isinstance(moment, dt.datetime):
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    return None
