from __future__ import annotations

import datetime as dt
import math

import pytest
import time_machine

from agreements.models import Agreement, AgreementKind, AgreementStatus, PromiseStatus, PromiseToPay
from portal.access.models import LinkOpen
from portal.access.services import identity_check_passed, payment_link_create
from portal.analytics.features import FEATURE_NAMES, debt_features
from portal.debtors.services import ledger_post
from portal.outreach.models import ContactOutcome, InboundMessage, Message
from portal.outreach.services import consent_set
from tests.factories import DebtFactory, PortfolioFactory, StaffFactory, assign, default_stages

pytestmark = pytest.mark.django_db

UTC = dt.UTC
AS_OF = dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # 07:00 in Bogotá
LOADED = dt.datetime(2026, 9, 5, 12, 0, tzinfo=UTC)
PAST = dt.datetime(2026, 10, 20, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Bogotá
FUTURE = dt.datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


def at(when):
    return time_machine.travel(when, tick=False)


def loaded_debt(**kwargs):
    with at(LOADED):
        debt = DebtFactory(**kwargs)
        assign(debt)
    return debt


def pay(debt, amount, when, effective=None):
    with at(when):
        ledger_post(
            debt=debt, kind="payment", amount_minor=-amount, effective_date=effective or when.date()
        )


def message(debtor, key, when, link=None, channel="sms"):
    return Message.objects.create(
        key=key,
        debtor=debtor,
        channel=channel,
        kind="campaign",
        status="delivered",
        created_at=when,
        sent_at=when,
        delivered_at=when + dt.timedelta(minutes=1),
        payment_link=link,
    )


def agreement(debtor, portfolio, *, accepted, broken=None):
    return Agreement.objects.create(
        debtor=debtor,
        portfolio=portfolio,
        kind=AgreementKind.PLAN,
        status=AgreementStatus.BROKEN if broken else AgreementStatus.ACTIVE,
        currency="COP",
        balance_minor=100,
        total_minor=100,
        terms_version="t",
        terms_text="t",
        terms_sha256="0" * 64,
        accepted_at=accepted,
        broken_at=broken,
    )


def promise(debt, made, *, kept=None):
    with at(made):
        p = PromiseToPay.objects.create(
            debtor=debt.debtor,
            debt=debt,
            currency="COP",
            amount_minor=100,
            promised_date=made.date(),
        )
    if kept:
        PromiseToPay.objects.filter(pk=p.pk).update(status=PromiseStatus.KEPT, resolved_at=kept)
    return p


@pytest.fixture
def history():
    """One debtor with a past and a future of every kind of event; a second with nothing."""
    default_stages()
    portfolio = PortfolioFactory()
    debt = loaded_debt(portfolio=portfolio)
    other = loaded_debt(portfolio=portfolio)
    debtor = debt.debtor
    pay(debt, 100_000_00, PAST)
    pay(debt, 200_000_00, FUTURE)
    pay(debt, 50_000_00, FUTURE, effective=PAST.date())  # backdated, but learnt afterwards
    promise(debt, PAST, kept=PAST + dt.timedelta(days=2))
    promise(debt, PAST, kept=FUTURE)  # made before, kept only after the cut-off
    promise(debt, FUTURE, kept=FUTURE)
    with at(PAST):
        link, _ = payment_link_create(debtor=debtor, portfolio=portfolio)
        identity_check_passed(link=link, ip_address=None, user_agent="")
        consent_set(debtor=debtor, channel="sms", granted=True, source="portal")
    with at(FUTURE):
        identity_check_passed(link=link, ip_address=None, user_agent="")
        consent_set(debtor=debtor, channel="sms", granted=False, source="portal")
        consent_set(debtor=debtor, channel="email", granted=True, source="portal")
    message(debtor, "past", PAST, link=link)
    message(debtor, "future", FUTURE, link=link)
    message(debtor, "past-email", PAST, channel="email")
    # The same link on a later message, opened only before that message was sent.
    message(debtor, "past-whatsapp", PAST + dt.timedelta(days=5), link=link, channel="whatsapp")
    LinkOpen.objects.create(link=link, opened_at=PAST + dt.timedelta(days=1, minutes=30))
    LinkOpen.objects.create(link=link, opened_at=FUTURE)
    for pid, when in (("in-past", PAST), ("in-future", FUTURE)):
        InboundMessage.objects.create(
            provider_id=pid, channel="sms", sender="+573001234567", debtor=debtor, received_at=when
        )
    agent = StaffFactory()
    for when in (PAST, FUTURE):
        ContactOutcome.objects.create(
            debtor=debtor,
            debt=debt,
            method="phone",
            outcome="promise",
            occurred_at=when,
            agent=agent,
        )
    agreement(debtor, portfolio, accepted=PAST, broken=PAST + dt.timedelta(days=3))
    agreement(debtor, portfolio, accepted=PAST, broken=FUTURE)
    agreement(debtor, portfolio, accepted=FUTURE)
    return debt, other


def by_debt(features):
    return {f.debt_id: f for f in features}


def test_past_events_count_and_future_ones_are_ignored(history):
    debt, _ = history
    features = by_debt(debt_features(as_of=AS_OF))[debt.pk]
    v = features.values
    assert set(v) == set(FEATURE_NAMES)
    # Due 2026-09-01; the stored column says 85, the cut-off says 61 (Bogotá's 1 November).
    assert v["days_past_due"] == 61
    assert features.stage_code == "intermedia"
    assert v["mora_stage_index"] == 2
    assert v["balance_minor"] == 1_060_000_00 - 100_000_00
    assert v["balance_30d_before_minor"] == 1_060_000_00
    assert v["balance_change_30d_minor"] == -100_000_00
    assert v["payments_count"] == 1
    assert v["payment_months_last_6"] == 1
    assert v["days_since_last_payment"] == (AS_OF - PAST).days
    assert (v["promises_made"], v["promises_kept"], v["promises_broken"]) == (2, 1, 0)
    assert (v["sms_sent"], v["sms_delivered"], v["sms_clicked"], v["sms_replied"]) == (1, 1, 1, 1)
    assert (v["email_sent"], v["email_clicked"]) == (1, 0)
    assert (v["whatsapp_sent"], v["whatsapp_clicked"]) == (1, 0)
    assert (v["link_opens"], v["verified_sessions"]) == (1, 1)
    assert (v["calls"], v["calls_reached"], v["calls_promise"]) == (1, 1, 1)
    assert (v["agreements_made"], v["agreements_broken"]) == (2, 1)
    # A reply on Tuesday 10:00 and a link open on Wednesday 10:30, Bogotá time.
    assert (v["response_hour"], v["response_weekday"]) == (10, 1)
    # SMS granted before the cut-off and revoked after; email granted only after.
    assert (v["consent_sms"], v["consent_email"], v["consent_whatsapp"]) == (1, 0, 0)


def test_the_future_counts_once_the_cut_off_passes_it(history):
    debt, _ = history
    v = by_debt(debt_features(as_of=FUTURE + dt.timedelta(days=1)))[debt.pk].values
    assert v["balance_minor"] == 1_060_000_00 - 350_000_00
    assert (v["payments_count"], v["promises_kept"], v["sms_sent"]) == (3, 3, 2)
    assert (v["verified_sessions"], v["consent_sms"], v["consent_email"]) == (2, 0, 1)


def test_two_debtors_do_not_bleed_into_each_other(history):
    debt, other = history
    features = by_debt(debt_features(as_of=AS_OF))
    assert features[debt.pk].debtor_id != features[other.pk].debtor_id
    v = features[other.pk].values
    assert v["balance_minor"] == 1_060_000_00
    assert v["days_since_last_payment"] is None
    zero = set(FEATURE_NAMES) - {
        "days_past_due",
        "mora_stage_index",
        "balance_minor",
        "balance_30d_before_minor",
        "days_since_last_payment",
        "response_hour",
        "response_weekday",
    }
    assert {name: v[name] for name in zero} == dict.fromkeys(zero, 0)
    vector = features[other.pk].vector()
    assert len(vector) == len(FEATURE_NAMES)
    assert math.isnan(vector[FEATURE_NAMES.index("response_hour")])


def test_debts_loaded_after_the_cut_off_and_unasked_ones_are_left_out(history):
    debt, other = history
    assert debt_features(as_of=LOADED) == []
    assert [f.debt_id for f in debt_features(as_of=AS_OF, debt_ids=[other.pk])] == [other.pk]
    assert debt_features(as_of=AS_OF, debt_ids=[]) == []


@pytest.mark.parametrize("debts", [1, 20])
def test_the_query_count_does_not_grow_with_the_debts(debts, django_assert_num_queries):
    default_stages()
    portfolio = PortfolioFactory()
    made = [loaded_debt(portfolio=portfolio) for _ in range(debts)]
    for debt in made:
        pay(debt, 1_000_00, PAST)
        message(debt.debtor, f"m{debt.pk}", PAST)
    with django_assert_num_queries(6):
        features = debt_features(as_of=AS_OF, debt_ids=[d.pk for d in made])
    assert len(features) == debts
