from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from portal.access.models import PaymentLink
from portal.access.services import identity_check_passed, link_record_open
from portal.audit.models import AuditEvent
from portal.debtors.models import Debt
from portal.outreach import tasks
from portal.outreach.campaigns import (
    CampaignError,
    campaign_cancel,
    campaign_launch,
    campaign_pause,
    campaign_resume,
)
from portal.outreach.models import Message
from portal.staff.selectors import campaign_funnel
from tests.helpers.outreach import make_debtor

BOGOTA = ZoneInfo("America/Bogota")
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=BOGOTA)


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        yield traveller


def statuses(campaign) -> dict[tuple[int, str], str]:
    return {(m.debtor_id, m.channel): m.status for m in Message.objects.filter(campaign=campaign)}


def test_launch_sends_the_preferred_channel_now_and_defers_the_second(
    tuesday,
    campaign,
    debtor,
    ana_consents,
    other_debtor,
    carlos_consents,
    agent,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)
    assert statuses(campaign) == {
        (debtor.pk, "sms"): "sent",
        (debtor.pk, "email"): "deferred",
        (other_debtor.pk, "sms"): "sent",
        (other_debtor.pk, "email"): "deferred",
    }
    email = Message.objects.get(campaign=campaign, debtor=debtor, channel="email")
    # Colombia: no second channel the same day, nor the same week: next Monday, at 08:00
    # when the debtor's own hours start (the legal window opens at 07:00).
    assert email.decision["reason"] == "same_day_other_channel"
    assert email.not_before == dt.datetime(2026, 11, 30, 8, 0, tzinfo=BOGOTA)
    sms = Message.objects.get(campaign=campaign, debtor=debtor, channel="sms")
    assert sms.decision["action"] == "send"
    assert sms.payment_link.campaign_id == campaign.pk
    assert sms.body.startswith("Hola Ana, Banco Andino: debes $")
    # The token itself is never stored; the legal line follows (test_notices_legal).
    assert "Paga aquí: [link] Agencia de Cobranzas Demo S.A.S. NIT" in sms.body
    decided = AuditEvent.objects.filter(action="message.decided").values_list("details", flat=True)
    logged = {row[0]: row[1:] for details in decided for row in details["decisions"]}
    assert logged[email.pk] == ["defer", "same_day_other_channel"]
    assert logged[sms.pk] == ["send", ""]


def test_deferred_messages_go_out_when_their_window_opens(
    tuesday, campaign, debtor, ana_consents, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)
    tasks.dispatch_due()
    assert statuses(campaign)[(debtor.pk, "email")] == "deferred"
    tuesday.move_to(dt.datetime(2026, 11, 30, 7, 59, tzinfo=BOGOTA))
    tasks.dispatch_due()
    assert statuses(campaign)[(debtor.pk, "email")] == "deferred"
    tuesday.move_to(dt.datetime(2026, 11, 30, 8, 0, tzinfo=BOGOTA))
    tasks.dispatch_due()
    assert statuses(campaign)[(debtor.pk, "email")] == "sent"
    (sent,) = mail.outbox
    assert sent.to == ["ana@example.com"]
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/p/" in sent.body and "[link]" not in sent.body


def test_a_chunk_task_run_twice_creates_and_sends_nothing_twice(
    tuesday,
    campaign,
    debtor,
    ana_consents,
    other_debtor,
    carlos_consents,
    agent,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)
    before = list(Message.objects.order_by("id").values_list("id", "status", "provider_id"))
    links = PaymentLink.objects.count()
    recipients = [[debtor.pk, 1], [other_debtor.pk, 1]]
    tasks.campaign_chunk(campaign.pk, 0, recipients)
    tasks.campaign_fan_out(campaign.pk)
    after = list(Message.objects.order_by("id").values_list("id", "status", "provider_id"))
    assert after == before
    assert PaymentLink.objects.count() == links


def test_messages_never_claimed_by_a_dead_worker_are_sent_by_the_beat_once(
    tuesday, campaign, debtor, ana_consents, other_debtor, carlos_consents, agent
):
    # Launch without running the on-commit fan-out: as if the worker died before it ran.
    campaign_launch(campaign=campaign, actor=agent)
    from portal.outreach.campaigns import campaign_chunk_create

    campaign_chunk_create(
        campaign_id=campaign.pk, start=0, recipients=[[debtor.pk, 1], [other_debtor.pk, 1]]
    )
    assert set(statuses(campaign).values()) == {"queued"}
    tasks.dispatch_due()
    tasks.dispatch_due()
    sent = Message.objects.filter(campaign=campaign, status="sent")
    assert sent.count() == 2
    assert PaymentLink.objects.filter(campaign_id=campaign.pk).count() == 2


def test_a_message_claimed_by_a_killed_worker_is_never_sent_again(
    tuesday, campaign, debtor, ana_consents, agent
):
    campaign_launch(campaign=campaign, actor=agent)
    from portal.outreach.campaigns import campaign_chunk_create

    campaign_chunk_create(campaign_id=campaign.pk, start=0, recipients=[[debtor.pk, 1]])
    # The dead worker got as far as the hand-off: the row says "sending", and no hand-off
    # journal says whether it reached the provider (tests/outreach/test_killed_worker.py).
    Message.objects.filter(campaign=campaign, channel="sms").update(
        status="sending", claimed_at=TUESDAY_10
    )
    tasks.dispatch_due()
    assert statuses(campaign)[(debtor.pk, "sms")] == "sending"
    tuesday.shift(dt.timedelta(minutes=16))
    tasks.dispatch_due()
    message = Message.objects.get(campaign=campaign, channel="sms")
    assert (message.status, message.provider_id) == ("uncertain", None)
    assert "interrupted" in message.error


def test_pause_holds_messages_and_resume_sends_them(
    tuesday, campaign, debtor, ana_consents, agent, django_capture_on_commit_callbacks
):
    campaign.start_at = TUESDAY_10 + dt.timedelta(hours=1)
    campaign.save()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)
    assert statuses(campaign)[(debtor.pk, "sms")] == "queued"
    campaign_pause(campaign=campaign, actor=agent)
    tuesday.shift(dt.timedelta(hours=2))
    tasks.dispatch_due()
    assert statuses(campaign)[(debtor.pk, "sms")] == "queued"
    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(campaign=campaign, actor=agent)
    tasks.dispatch_due()
    assert statuses(campaign)[(debtor.pk, "sms")] == "sent"
    with pytest.raises(CampaignError):
        campaign_resume(campaign=campaign, actor=agent)


def test_cancel_stops_everything_not_yet_sent(
    tuesday, campaign, debtor, ana_consents, agent, django_capture_on_commit_callbacks
):
    campaign.start_at = TUESDAY_10 + dt.timedelta(hours=1)
    campaign.save()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)
    campaign_cancel(campaign=campaign, actor=agent)
    tuesday.shift(dt.timedelta(hours=2))
    tasks.dispatch_due()
    assert set(statuses(campaign).values()) == {"cancelled"}
    assert not mail.outbox


def test_throughput_limit_spreads_messages_over_minutes(
    tuesday, campaign, portfolio, agent, django_capture_on_commit_callbacks
):
    for i in range(5):
        make_debtor(portfolio, number=f"7000000{i}", name=f"Persona {i}")
    campaign.channels = ["sms"]
    campaign.per_minute = 2
    campaign.save()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)
    waits = sorted(
        int((m.not_before - TUESDAY_10).total_seconds() // 60)
        for m in Message.objects.filter(campaign=campaign)
    )
    assert waits == [0, 0, 1, 1, 2]
    assert Message.objects.filter(campaign=campaign, status="sent").count() == 2


def test_funnel_counts_each_step(
    tuesday,
    campaign,
    portfolio,
    debtor,
    ana_consents,
    other_debtor,
    carlos_consents,
    agent,
    django_capture_on_commit_callbacks,
):
    silent = make_debtor(portfolio, number="5550001111", name="Sin Permiso", channels=())
    disputed = make_debtor(portfolio, number="5550002222", name="En Disputa")
    Debt.objects.filter(debtor=disputed).update(status="disputed")
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)
    link = Message.objects.get(campaign=campaign, debtor=debtor, channel="sms").payment_link
    link_record_open(link=link, ip_address="190.1.1.1", user_agent="phone")
    identity_check_passed(link=link, ip_address="190.1.1.1", user_agent="phone")
    from agreements.models import Agreement
    from payments.models import Payment

    Agreement.objects.create(
        debtor=debtor,
        portfolio=portfolio,
        kind="lump_sum",
        currency="COP",
        balance_minor=1_060_000_00,
        total_minor=900_000_00,
        terms_version="v1",
        terms_text="t",
        terms_sha256="0" * 64,
        accepted_at=TUESDAY_10,
        payment_link_id=link.pk,
    )
    Payment.objects.create(
        debtor=debtor,
        stripe_payment_intent_id="pi_funnel",
        provider_payment_id="pi_funnel",
        currency="COP",
        amount_minor=900_000_00,
        received_at=TUESDAY_10,
    )
    campaign.refresh_from_db()
    funnel = campaign_funnel(campaign)
    assert funnel["targeted"] == 4
    assert funnel["blocked"] == 4  # two channels each for the silent and the disputed
    assert funnel["blocked_by"] == {"no_consent": 2, "debt_disputed": 2}
    assert (funnel["sent"], funnel["deferred"], funnel["failed"]) == (2, 2, 0)
    assert (funnel["clicked"], funnel["verified"]) == (1, 1)
    assert (funnel["agreements"], funnel["amount_paid_minor"]) == (1, 900_000_00)
    assert silent.pk and disputed.pk


def test_launch_needs_a_template_for_each_channel(campaign, agent):
    campaign.channels = ["sms", "whatsapp"]
    campaign.save()
    with pytest.raises(CampaignError, match="whatsapp"):
        campaign_launch(campaign=campaign, actor=agent)


def test_a_campaign_with_every_message_decided_is_done_without_a_beat(
    tuesday, campaign, portfolio, debtor, ana_consents, agent, django_capture_on_commit_callbacks
):
    silent = make_debtor(portfolio, number="5550001111", name="Sin Permiso", channels=())
    campaign.channels = ["sms"]
    campaign.save()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)
    assert statuses(campaign) == {(debtor.pk, "sms"): "sent", (silent.pk, "sms"): "blocked"}
    campaign.refresh_from_db()
    assert campaign.status == "done"
    assert (
        AuditEvent.objects.filter(action="campaign.done", subject_id=str(campaign.pk)).count() == 1
    )


def test_a_campaign_is_not_done_while_a_chunk_is_still_to_come(
    tuesday, campaign, debtor, ana_consents, other_debtor, carlos_consents, agent
):
    from portal.outreach.campaigns import campaign_fan_out

    campaign.channels = ["sms"]
    campaign.save()
    campaign_launch(campaign=campaign, actor=agent)  # its on-commit fan-out does not run
    campaign_fan_out(campaign_id=campaign.pk)
    tasks.campaign_chunk(campaign.pk, 0, [[debtor.pk, 1]])
    tasks.dispatch_due()
    campaign.refresh_from_db()
    assert campaign.status == "running"  # the second debtor's chunk is still queued
    tasks.campaign_chunk(campaign.pk, 1, [[other_debtor.pk, 1]])
    campaign.refresh_from_db()
    assert campaign.status == "done"
    assert statuses(campaign) == {(debtor.pk, "sms"): "sent", (other_debtor.pk, "sms"): "sent"}


def test_a_campaign_whose_segment_is_empty_is_done_at_once(
    tuesday, campaign, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.targeted) == ("done", 0)


def test_dispatch_takes_a_now_in_any_timezone(tuesday, campaign, debtor, ana_consents, agent):
    from portal.outreach.campaigns import campaign_chunk_create
    from portal.outreach.outbox.dispatch import messages_dispatch

    campaign.channels = ["sms"]
    campaign.save()
    campaign_launch(campaign=campaign, actor=agent)
    # 10:00 in Bogotá is 15:00 UTC: the claim must compare instants, not their text.
    due = campaign_chunk_create(
        campaign_id=campaign.pk, start=0, recipients=[[debtor.pk, 1]], now=TUESDAY_10
    )
    assert messages_dispatch(due, now=TUESDAY_10)["sent"] == 1
    assert statuses(campaign) == {(debtor.pk, "sms"): "sent"}
