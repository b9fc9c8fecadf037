"""Best channel and hour (portal/analytics/timing.py): the shrinkage, and the order
consent > policy > stated preference > estimate."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.access.models import LinkOpen, PaymentLink
from portal.analytics.tasks import contact_timing_refresh_task
from portal.analytics.timing import K, contact_timing_estimate, contact_timing_refresh, shrunk_rate
from portal.audit.models import AuditEvent
from portal.outreach.models import ContactTiming, InboundMessage, Message
from portal.outreach.services import consent_set
from portal.selfservice.services import debtor_preferences_update
from tests.helpers.outreach import make_debtor

BOGOTA = ZoneInfo("America/Bogota")
AS_OF = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
_keys = itertools.count()


def sent(debtor, channel, hour, *, answered=False, times=1, minute=0, via="link", start=2):
    """`times` campaign messages sent at `hour`:`minute` Bogotá time from November `start`,
    each with its payment link; when `answered`, an hour later the link is opened (`via`
    "link") or the debtor writes back on the channel ("reply", which answers every message
    of the 48 hours before it)."""
    clicked = via == "link"
    messages, replies = [], []
    for n in range(times):
        day = dt.date(2026, 11, start) + dt.timedelta(days=n % 20)
        at = dt.datetime.combine(day, dt.time(hour, minute), BOGOTA)
        link = None
        if clicked:
            link = PaymentLink.objects.create(
                token_hash=f"{next(_keys):064d}",
                debtor=debtor,
                portfolio=debtor.debts.first().portfolio,
                expires_at=AS_OF,
            )
            if answered:
                LinkOpen.objects.create(link=link, opened_at=at + dt.timedelta(hours=1))
        messages.append(
            Message(
                key=f"t-{next(_keys)}",
                debtor=debtor,
                channel=channel,
                kind="campaign",
                status="delivered",
                sent_at=at,
                to="x",
                payment_link=link,
            )
        )
        if answered and not clicked:
            replies.append(
                InboundMessage(
                    provider_id=f"in-{next(_keys)}",
                    channel=channel,
                    sender="+57300",
                    debtor=debtor,
                    received_at=at + dt.timedelta(hours=1),
                )
            )
    Message.objects.bulk_create(messages)
    InboundMessage.objects.bulk_create(replies)


@pytest.fixture
def people(portfolio):
    """Two debtors in the same stage (85 days, intermedia), SMS and email consent."""
    return [
        make_debtor(portfolio, number=f"70000{i}", name=f"Persona {i}", channels=("sms", "email"))
        for i in range(2)
    ]


def test_shrinkage_pulls_a_thin_history_toward_the_segment(people, portfolio):
    assert shrunk_rate(1, 1, 0.1) == pytest.approx((1 + K * 0.1) / (1 + K))
    thin, crowd = people
    heavy = make_debtor(portfolio, number="700009", name="Mucho Historial")
    sent(thin, "sms", 9, answered=True)
    sent(crowd, "sms", 9, answered=True, times=10)
    sent(crowd, "sms", 9, times=190)
    sent(heavy, "sms", 9, answered=True, times=150)
    sent(heavy, "sms", 9, times=50)
    estimate = contact_timing_estimate(as_of=AS_OF)
    segment = estimate.segment_rates["intermedia"][("sms", (8, 10))]
    assert segment == pytest.approx(161 / 401, abs=0.01)  # its own overall: no other segment
    thin_rate, thin_sent, thin_responses = estimate.rate(thin.pk, ("sms", (8, 10)))
    assert (thin_sent, thin_responses) == (1, 1)
    assert thin_rate == pytest.approx((1 + K * segment) / (1 + K))
    assert thin_rate - segment < 0.05  # one answer moves it very little from 40 %
    heavy_rate, *_ = estimate.rate(heavy.pk, ("sms", (8, 10)))
    assert heavy_rate == pytest.approx((150 + K * segment) / (200 + K))
    assert abs(heavy_rate - 0.75) < 0.04  # 200 sends mostly keep their own 75 %
    only_thin = contact_timing_estimate(as_of=AS_OF, debtor_ids=[thin.pk])
    assert set(only_thin.debtor_counts) == {thin.pk}
    assert only_thin.segment_rates == estimate.segment_rates


def test_best_channel_and_band_come_from_history(people):
    ana, other = people
    sent(ana, "email", 15, answered=True, times=12)
    sent(ana, "email", 9, times=12)
    sent(ana, "sms", 15, times=12)
    sent(other, "sms", 11, times=5)
    with time_machine.travel(AS_OF):
        assert contact_timing_refresh_task.delay().get() == 2
    row = ContactTiming.objects.get(debtor=ana)
    assert (row.channel, row.hour_from, row.hour_to) == ("email", 14, 16)
    assert row.response_rate > 0.3
    assert row.estimates["reason"] == "estimate"
    assert row.estimates["rates"]["email"]["14-16"][1:] == [12, 12]
    assert row.computed_at is not None
    event = AuditEvent.objects.get(action="analytics.contact_timing_refreshed")
    assert event.details["written"] == 2


def test_revoked_consent_on_the_best_channel_falls_to_the_next(people):
    ana, _ = people
    sent(ana, "email", 15, answered=True, times=12)
    sent(ana, "sms", 11, answered=True, times=3, via="reply")  # 2–4 November
    sent(ana, "sms", 11, times=9, start=10)
    consent_set(debtor=ana, channel="email", granted=False, source="staff")
    contact_timing_refresh(as_of=AS_OF)
    row = ContactTiming.objects.get(debtor=ana)
    assert (row.channel, row.hour_from, row.hour_to) == ("sms", 10, 12)
    assert "email" not in row.estimates["rates"]


def test_a_stated_preference_wins_over_a_better_estimate(people):
    ana, _ = people
    sent(ana, "email", 15, answered=True, times=12)
    sent(ana, "sms", 9, times=12)
    contact_timing_refresh(as_of=AS_OF)
    assert ContactTiming.objects.get(debtor=ana).channel == "email"
    debtor_preferences_update(
        debtor=ana,
        preferred_channel="sms",
        contact_from=dt.time(12),
        contact_to=dt.time(18),
        channels={"sms": True, "email": True},
        evidence={"ip": "203.0.113.7"},
    )
    contact_timing_refresh(as_of=AS_OF)
    row = ContactTiming.objects.get(debtor=ana)
    assert row.channel == "sms" and row.estimates["reason"] == "preference"
    assert 12 <= row.hour_from < row.hour_to <= 18  # inside the hours the debtor gave


def test_policy_hours_clip_the_band(people):
    ana, _ = people
    ana.contact_from, ana.contact_to = dt.time(6), dt.time(22)
    ana.save()
    sent(ana, "sms", 18, minute=30, answered=True, times=12)
    sent(ana, "sms", 9, times=12)
    contact_timing_refresh(as_of=AS_OF)
    row = ContactTiming.objects.get(debtor=ana)
    # Colombia's weekday window ends at 19:00 (Ley 2300): 18–20 becomes 18–19.
    assert (row.channel, row.hour_from, row.hour_to) == ("sms", 18, 19)


def test_nobody_reachable_gets_no_row(people, debtor):
    ana, other = people
    consent_set(debtor=ana, channel="sms", granted=False, source="staff")
    consent_set(debtor=ana, channel="email", granted=False, source="staff")
    other.legal_hold = True
    other.save()
    ContactTiming.objects.create(
        debtor=ana, channel="sms", hour_from=8, hour_to=10, response_rate=0
    )
    # `debtor` (the shared cast's Ana) has no consent on record at all.
    assert contact_timing_refresh(as_of=AS_OF) == 0
    assert not ContactTiming.objects.exists()


def test_queries_do_not_grow_with_debtors(portfolio):
    def add(count, start):
        for i in range(start, start + count):
            person = make_debtor(portfolio, number=f"71{i:04d}", name=f"P {i}")
            sent(person, "sms", 9, answered=i % 2 == 0, times=2)
            sent(person, "email", 15, times=1)

    add(5, 0)
    contact_timing_refresh(as_of=AS_OF)  # warms the stage cache
    with CaptureQueriesContext(connection) as five:
        assert contact_timing_refresh(as_of=AS_OF) == 5
    add(45, 5)
    with CaptureQueriesContext(connection) as fifty:
        assert contact_timing_refresh(as_of=AS_OF) == 50
    assert len(fifty) == len(five) <= 12
    assert ContactTiming.objects.count() == 50


def test_supervisors_read_the_rows_in_admin_and_change_nothing(people, client, supervisor):
    ana, _ = people
    sent(ana, "email", 15, answered=True, times=3)
    contact_timing_refresh(as_of=AS_OF)
    row = ContactTiming.objects.get(debtor=ana)
    client.force_login(supervisor)
    page = client.get(reverse("admin:outreach_contacttiming_changelist"))
    assert page.status_code == 200 and ana.full_name in page.content.decode()
    assert client.get(reverse("admin:outreach_contacttiming_add")).status_code == 403
    change = reverse("admin:outreach_contacttiming_change", args=[row.pk])
    assert client.post(change, {"channel": "sms"}).status_code == 403
    assert ContactTiming.objects.get(debtor=ana).channel == "email"
