"""An agreement's installments as an iCalendar file (RFC 5545), built with `icalendar`.

One all-day event per installment on its due date, with the amount, the creditor and a link
back to the portal, and a reminder at 09:00 the day before. Each event's UID is fixed by the
agreement and the installment number, and its SEQUENCE is the agreement's schedule revision:
importing the file again after the plan changed updates the events already in the calendar
(a moved date moves, a cancelled installment is marked cancelled) instead of adding copies.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from portal.money import format_minor_in

from .models import Agreement, InstallmentStatus

# All-day events start at midnight: 15 hours before is 09:00 the day before.
REMINDER_BEFORE = dt.timedelta(hours=15)


def calendar_filename(agreement: Agreement) -> str:
    return f"{agreement.number or agreement.pk}.ics"


def agreement_calendar(agreement: Agreement) -> bytes:
    """The .ics bytes for the agreement, in the debtor's language."""
    language = agreement.debtor.language or "es"
    with translation.override(language):
        return _build(agreement, language).to_ical()


def _build(agreement: Agreement, language: str) -> Calendar:
    uid_host = urlsplit(settings.PUBLIC_BASE_URL).hostname or "portal"
    creditor = agreement.portfolio.creditor.name
    portal_url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse(
        "agreements:agreement_detail", args=[agreement.pk]
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Portal de pagos//Acuerdos//ES")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Agreement %(number)s") % {"number": agreement})
    installments = list(agreement.installments.all())
    count = sum(1 for installment in installments if installment.number)  # 0: down payment
    stamp = timezone.now()
    for installment in installments:
        values = {
            "number": installment.number,
            "count": count,
            "amount": format_minor_in(installment.amount_minor, agreement.currency, language),
            "creditor": creditor,
        }
        if installment.number:
            summary = _("Installment %(number)s of %(count)s: %(amount)s to %(creditor)s") % values
        else:
            summary = _("Down payment: %(amount)s to %(creditor)s") % values
        event = Event()
        event.add("uid", f"agreement-{agreement.pk}-installment-{installment.number}@{uid_host}")
        event.add("sequence", agreement.schedule_revision)
        event.add("dtstamp", stamp)
        event.add("dtstart", installment.due_date)
        event.add("dtend", installment.due_date + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        event.add("url", portal_url)
        event.add(
            "description",
            _("Agreement %(agreement)s with %(creditor)s. Pay online: %(url)s")
            % {"agreement": agreement, "creditor": creditor, "url": portal_url},
        )
        if installment.status == InstallmentStatus.CANCELLED:
            event.add("status", "CANCELLED")
        elif installment.status == InstallmentStatus.PAID:
            event.add("status", "CONFIRMED")
            summary = _("%(summary)s (paid)") % {"summary": summary}
        else:
            event.add("status", "CONFIRMED")
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", -REMINDER_BEFORE)
            event.add_component(alarm)
        event.add("summary", summary)
        calendar.add_component(event)
    return calendar
