"""The agreement's installments as an .ics file, read back with `icalendar`."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from icalendar import Calendar

from agreements.models import Agreement, InstallmentStatus
from tests.helpers.access import sign_in


def _events(client, agreement) -> list:
    response = client.get(reverse("agreements:agreement_ics", args=[agreement.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{agreement.number}.ics"'
    return Calendar.from_ical(response.content).walk("VEVENT")


def test_one_event_per_installment_on_its_due_date_with_amount_and_reminder(ana, agreement):
    installments = list(agreement.installments.order_by("number"))

    events = _events(ana, agreement)

    assert [i.number for i in installments] == [0, 1, 2, 3]  # a down payment, then three
    assert len(events) == 4
    assert str(events[0]["summary"]).startswith("Cuota inicial: ")
    for event, installment in zip(events, installments, strict=True):
        assert event.decoded("dtstart") == installment.due_date
        assert event.decoded("dtend") == installment.due_date + dt.timedelta(days=1)
        amount = f"${installment.amount_minor // 100:,}".replace(",", ".")
        assert amount in str(event["summary"])
        if installment.number:
            assert f"Cuota {installment.number} de 3:" in str(event["summary"])
        assert str(event["url"]).endswith(f"/mi-cuenta/acuerdos/{agreement.pk}/")
        assert event["sequence"] == 0
        (alarm,) = event.walk("VALARM")
        assert alarm.decoded("trigger") == -dt.timedelta(hours=15)  # 09:00 the day before


def test_a_changed_schedule_keeps_the_uids_and_raises_the_sequence(ana, agreement):
    before = {str(e["uid"]): e for e in _events(ana, agreement)}
    first = agreement.installments.get(number=1)
    first.due_date += dt.timedelta(days=5)
    first.save(update_fields=["due_date"])
    agreement.installments.filter(number=3).update(status=InstallmentStatus.CANCELLED)
    Agreement.objects.filter(pk=agreement.pk).update(schedule_revision=1)

    after = {str(e["uid"]): e for e in _events(ana, agreement)}

    assert after.keys() == before.keys()
    assert all(e["sequence"] == 1 for e in after.values())
    moved = next(e for e in after.values() if "Cuota 1 de" in str(e["summary"]))
    assert moved.decoded("dtstart") == first.due_date
    cancelled = next(e for e in after.values() if "Cuota 3 de" in str(e["summary"]))
    assert cancelled["status"] == "CANCELLED" and not cancelled.walk("VALARM")


def test_a_paid_installment_has_no_reminder(ana, agreement):
    agreement.installments.filter(number=0).update(status=InstallmentStatus.PAID)

    events = _events(ana, agreement)

    assert "(pagada)" in str(events[0]["summary"]) and not events[0].walk("VALARM")
    assert events[1].walk("VALARM")


def test_the_agreement_page_links_the_calendar(ana, agreement):
    html = ana.get(reverse("agreements:agreement_detail", args=[agreement.pk])).content.decode()

    assert reverse("agreements:agreement_ics", args=[agreement.pk]) in html


def test_another_debtor_gets_404(client, agreement, other_debtor, django_assert_max_num_queries):
    client.logout()
    sign_in(client, other_debtor)

    response = client.get(reverse("agreements:agreement_ics", args=[agreement.pk]))

    assert response.status_code == 404


def test_the_calendar_takes_few_queries(ana, agreement, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        ana.get(reverse("agreements:agreement_ics", args=[agreement.pk]))


def test_an_english_speaking_debtor_gets_english_text_and_amounts(ana, agreement, debtor):
    debtor.language = "en"
    debtor.save(update_fields=["language"])
    first = agreement.installments.get(number=1)

    events = _events(ana, agreement)

    summary = str(events[1]["summary"])
    assert summary.startswith("Installment 1 of 3: COP")
    assert f"{first.amount_minor // 100:,}" in summary  # 318,000: English digit grouping
