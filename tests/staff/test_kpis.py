"""KPI arithmetic on a small known fixture, through the rollups the dashboard sums: every
number is worked out by hand below.

November 2026, portfolio `tarjetas` (COP) and `us-cards` (USD); every debt was assigned
1,000,000.00 + 50,000.00 + 10,000.00 = 1,060,000.00.

- Ana (debt 45 days, intermedia): SMS delivered 5 Nov with a link she opened and passed;
  agreement from that link 6 Nov (completed), paid on it 100,000.00 on 10 Nov, 20,000.00 refunded
  12 Nov; promise due 8 Nov kept, another due 5 Dec (outside the period).
- Beto (debt 10 days, temprana): email sent 15 Nov, link opened, never verified; a call
  reached him 18 Nov, another on 19 Nov went unanswered; paid 50,000.00 on 20 Nov; promise
  due 20 Nov broken; agreement made 2 Nov, broken.
- Caro (debt 200 days, prejuridica): SMS failed 16 Nov; call 17 Nov not answered; paid
  30,000.00 in October (outside); promise due 25 Nov pending; agreement made 3 Nov, active.
- Dan (USD debt, 45 days): WhatsApp delivered 3 Nov; he called us on 21 Nov (right party:
  a contact, not an attempt).

Rates count distinct debtors: attempted Ana, Beto, Caro, Dan (4, over 7 attempts);
contacted Ana, Beto, Dan (3); right party Ana (identity check), Beto and Dan (calls) (3).
"""

from __future__ import annotations

import datetime as dt
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from agreements.models import Agreement, AgreementDebt, PromiseToPay
from payments.models import Payment
from portal.access.models import PaymentLink
from portal.debtors.models import Debtor, LedgerEntry
from portal.debtors.services import ledger_post
from portal.outreach.models import ContactOutcome, Message
from portal.staff import kpis
from portal.staff.models import KpiDay
from portal.staff.rollup import kpi_rollup_refresh
from tests.factories import DebtFactory, DebtorFactory, PortfolioFactory, StaffFactory

pytestmark = pytest.mark.django_db

BOGOTA = ZoneInfo("America/Bogota")
NOVEMBER = kpis.KpiFilters(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
ASSIGNED = 1_060_000_00
_keys = count()


def at(day: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, 0, tzinfo=BOGOTA)


def message(debtor, channel, status, day, link=None):
    return Message.objects.create(
        key=f"kpi-{next(_keys)}",
        debtor=debtor,
        channel=channel,
        kind="campaign",
        status=status,
        sent_at=at(day),
        payment_link=link,
    )


def link(debtor, portfolio, *, opened=None, verified=None):
    return PaymentLink.objects.create(
        token_hash=f"{next(_keys):064d}",
        debtor=debtor,
        portfolio=portfolio,
        expires_at=at(30),
        first_opened_at=opened,
        verified_at=verified,
    )


def agreement(debtor, debt, status, day, link_id=None):
    row = Agreement.objects.create(
        debtor=debtor,
        portfolio=debt.portfolio,
        kind="lump_sum",
        status=status,
        currency="COP",
        balance_minor=ASSIGNED,
        total_minor=ASSIGNED,
        terms_version="v1",
        terms_text="t",
        terms_sha256="0" * 64,
        accepted_at=at(day),
        payment_link_id=link_id,
    )
    Agreement.objects.filter(pk=row.pk).update(created_at=at(day))
    AgreementDebt.objects.create(agreement=row, debt=debt, balance_minor=ASSIGNED)
    return row


def pay(debt, amount_minor: int, day: int, month: int = 11):
    kind = "payment" if amount_minor < 0 else "refund"
    # A refund gives back the debt's newest payment.
    paid = None if kind == "payment" else debt.ledger_entries.filter(kind="payment").first()
    entry = ledger_post(
        debt=debt,
        kind=kind,
        amount_minor=amount_minor,
        effective_date=at(day, month),
        reverses=paid,
    )
    LedgerEntry.objects.filter(pk=entry.pk).update(created_at=at(day, month))


def promise(debt, day, status, month=11):
    return PromiseToPay.objects.create(
        debtor=debt.debtor,
        debt=debt,
        currency="COP",
        amount_minor=10_000_00,
        promised_date=dt.date(2026, month, day),
        status=status,
    )


@pytest.fixture
def world(stages):
    cop = PortfolioFactory(code="tarjetas", currency="COP")
    usd = PortfolioFactory(code="us-cards", currency="USD", country="US")
    people = {}
    for name, days, portfolio in [
        ("ana", 45, cop),
        ("beto", 10, cop),
        ("caro", 200, cop),
        ("dan", 45, usd),
    ]:
        debtor = DebtorFactory(full_name=name)
        debt = DebtFactory(portfolio=portfolio, debtor=debtor, days_past_due=days)
        ledger_post(debt=debt, kind="charge", amount_minor=ASSIGNED, effective_date=at(1, 9))
        people[name] = (debtor, debt)
    (ana, ana_debt), (beto, beto_debt), (caro, caro_debt) = (
        people["ana"],
        people["beto"],
        people["caro"],
    )
    dan = people["dan"][0]
    agent = StaffFactory(username="agente-kpi")

    ana_link = link(ana, cop, opened=at(5), verified=at(5))
    message(ana, "sms", "delivered", 5, ana_link)
    ana_agreement = agreement(ana, ana_debt, "completed", 6, ana_link.pk)
    pay(ana_debt, -100_000_00, 10)
    pay(ana_debt, 20_000_00, 12)
    Payment.objects.create(
        debtor=ana,
        agreement=ana_agreement,
        stripe_payment_intent_id="pi_ana",
        provider_payment_id="pi_ana",
        currency="COP",
        amount_minor=100_000_00,
        received_at=at(10),
    )
    promise(ana_debt, 8, "kept")
    promise(ana_debt, 5, "kept", month=12)

    message(beto, "email", "sent", 15, link(beto, cop, opened=at(15)))
    ContactOutcome.objects.create(
        debtor=beto, method="phone", outcome="right_party", occurred_at=at(18), agent=agent
    )
    ContactOutcome.objects.create(
        debtor=beto, method="phone", outcome="no_answer", occurred_at=at(19), agent=agent
    )
    pay(beto_debt, -50_000_00, 20)
    promise(beto_debt, 20, "broken")
    agreement(beto, beto_debt, "broken", 2)

    message(caro, "sms", "failed", 16)
    ContactOutcome.objects.create(
        debtor=caro, method="phone", outcome="no_answer", occurred_at=at(17), agent=agent
    )
    pay(caro_debt, -30_000_00, 15, month=10)
    promise(caro_debt, 25, "pending")
    agreement(caro, caro_debt, "active", 3)

    message(dan, "whatsapp", "delivered", 3)
    ContactOutcome.objects.create(
        debtor=dan,
        method="phone",
        direction="inbound",
        outcome="right_party",
        occurred_at=at(21),
        agent=agent,
    )
    kpi_rollup_refresh(first_day=dt.date(2026, 10, 1), last_day=dt.date(2026, 12, 31))
    return {"cop": cop, "stages": stages}


def test_the_whole_book_in_november(world):
    board = kpis.dashboard(NOVEMBER)

    cop, usd = board["money"]
    assert (cop["currency"], cop["debts"], cop["assigned"]) == ("COP", 3, 3 * ASSIGNED)
    assert cop["balance"] == 3 * ASSIGNED - 80_000_00 - 50_000_00 - 30_000_00
    assert cop["collected"] == 80_000_00 + 50_000_00  # October's payment is outside
    assert cop["recovery_rate"] == pytest.approx(130_000_00 / (3 * ASSIGNED))
    assert (usd["currency"], usd["debts"], usd["collected"]) == ("USD", 1, 0)
    counts = board["counts"]
    # 4 messages handed over + 3 outbound calls (Dan's call to us is no attempt);
    # delivered to Ana and Dan + Beto reached + Dan calling; Beto and Dan on the phone +
    # Ana passing the identity check.
    assert (counts["attempts"], counts["contacts"], counts["right_party"]) == (7, 4, 3)
    # The rates are of debtors: 4 attempted, 3 of them contacted, 3 in person.
    assert board["debtors"] == {"attempted": 4, "contacted": 3, "right_party": 3}
    assert board["contact_rate"] == 0.75
    assert board["right_party_rate"] == 0.75
    assert board["funnel"] == {
        "sent": 3,  # Ana, Beto, Dan (Caro's SMS failed)
        "delivered": 2,
        "opened": 2,
        "verified": 1,
        "agreement": 1,
        "paid": 1,
    }
    assert counts["payments"] == 2  # the refund is money, not a payment
    due = (counts["promises_due"], counts["promises_kept"], counts["promises_broken"])
    assert due == (3, 1, 1)
    assert board["promise_kept_rate"] == 0.5
    made = (
        counts["agreements_made"],
        counts["agreements_completed"],
        counts["agreements_broken"],
    )
    assert made == (3, 1, 1)
    assert board["cure_rate"] == pytest.approx(1 / 3)
    assert board["break_rate"] == pytest.approx(1 / 3)


def test_payments_by_channel_and_stage_over_time(world):
    rows = kpis.payments_series(NOVEMBER)
    assert [(r[1].day, r[2], r[3], r[4], r[5]) for r in rows] == [
        (10, "intermedia", "sms", 100_000_00, 1),  # last touch: the SMS of 5 Nov
        (12, "intermedia", "sms", -20_000_00, 0),  # the refund
        (20, "temprana", "email", 50_000_00, 1),
    ]
    charts = kpis.dashboard(NOVEMBER)["charts"]
    assert charts["currency"] == "COP" and charts["bucket"] == "day"
    legend = {item["name"]: item["total"] for item in charts["by_channel"]["legend"]}
    assert "$80.000" in legend["sms"] and "$50.000" in legend["email"]
    assert len(charts["by_channel"]["bars"]) == 30


def test_portfolio_and_stage_narrow_every_number(world):
    stage = world["stages"]["intermedia"]
    only_ana = kpis.KpiFilters(
        start=NOVEMBER.start,
        end=NOVEMBER.end,
        portfolio_id=world["cop"].pk,
        stage=(stage.code, stage.min_days, stage.max_days),
    )
    board = kpis.dashboard(only_ana)
    (cop,) = board["money"]
    assert (cop["debts"], cop["assigned"], cop["collected"]) == (1, ASSIGNED, 80_000_00)
    counts = board["counts"]
    assert (counts["attempts"], counts["contacts"], counts["right_party"]) == (1, 1, 1)
    assert board["debtors"] == {"attempted": 1, "contacted": 1, "right_party": 1}
    assert board["contact_rate"] == 1
    assert board["funnel"]["sent"] == 1 and board["funnel"]["paid"] == 1
    assert (counts["promises_due"], counts["promises_kept"]) == (1, 1)
    assert (counts["agreements_made"], counts["agreements_completed"]) == (1, 1)


def test_a_channel_narrows_what_has_a_channel(world):
    board = kpis.dashboard(kpis.KpiFilters(start=NOVEMBER.start, end=NOVEMBER.end, channel="sms"))
    counts = board["counts"]
    # Ana's delivered and Caro's failed SMS; Ana verified from hers.
    assert (counts["attempts"], counts["contacts"], counts["right_party"]) == (2, 1, 1)
    assert board["debtors"] == {"attempted": 2, "contacted": 1, "right_party": 1}
    assert board["funnel"]["sent"] == 1
    assert board["money"][0]["collected"] == 80_000_00  # Ana's, last touched by SMS
    assert counts["agreements_made"] == 1  # the one from the SMS's link
    assert counts["promises_due"] == 0  # promises have no channel
    assert board["money"][0]["debts"] == 3  # the book is not narrowed by channel


def test_a_refresh_rebuilds_rather_than_adds(world):
    rows = KpiDay.objects.count()
    kpi_rollup_refresh(first_day=dt.date(2026, 10, 1), last_day=dt.date(2026, 12, 31))
    assert KpiDay.objects.count() == rows
    assert kpis.dashboard(NOVEMBER)["counts"]["attempts"] == 7


def test_the_dashboard_is_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    # Four grouped queries, and on PostgreSQL the reach count's planner setting.
    with django_assert_max_num_queries(5):
        kpis.dashboard(NOVEMBER)


def test_the_beat_tasks_rebuild_recent_days_and_everything(world):
    from portal.staff.tasks import refresh_kpis_all, refresh_kpis_recent

    KpiDay.objects.all().delete()
    assert len(refresh_kpis_recent.delay().get()) == 2
    refresh_kpis_all.delay().get()
    assert kpis.dashboard(NOVEMBER)["counts"]["attempts"] == 7


def test_refreshing_calls_alone_keeps_every_other_source(world):
    kpi_rollup_refresh(
        first_day=dt.date(2026, 11, 1),
        last_day=dt.date(2026, 11, 30),
        book=False,
        sources=("outcomes",),
    )
    board = kpis.dashboard(NOVEMBER)
    assert board["counts"]["attempts"] == 7 and board["funnel"]["paid"] == 1
    assert board["money"][0]["collected"] == 130_000_00


def test_calls_make_one_debtor_however_many(world):
    beto = Debtor.objects.get(full_name="beto")
    for day in (22, 23, 24):
        ContactOutcome.objects.create(
            debtor=beto,
            method="phone",
            outcome="no_answer",
            occurred_at=at(day),
            agent=ContactOutcome.objects.first().agent,
        )
    kpi_rollup_refresh(first_day=dt.date(2026, 11, 1), last_day=dt.date(2026, 11, 30))
    board = kpis.dashboard(NOVEMBER)
    assert board["counts"]["attempts"] == 10
    assert board["debtors"]["attempted"] == 4 and board["contact_rate"] == 0.75


def test_a_debtor_who_only_called_us_is_in_no_rate(world):
    eva = DebtorFactory(full_name="eva")
    DebtFactory(portfolio=world["cop"], debtor=eva, days_past_due=45)
    ContactOutcome.objects.create(
        debtor=eva,
        method="phone",
        direction="inbound",
        outcome="promise",
        occurred_at=at(21),
        agent=StaffFactory(username="agente-eva"),
    )
    kpi_rollup_refresh(first_day=dt.date(2026, 11, 21), last_day=dt.date(2026, 11, 21))
    board = kpis.dashboard(NOVEMBER)
    assert board["counts"]["contacts"] == 5 and board["counts"]["attempts"] == 7
    assert board["debtors"] == {"attempted": 4, "contacted": 3, "right_party": 3}


def test_a_link_sent_twice_is_one_right_party_contact(world):
    ana = Debtor.objects.get(full_name="ana")
    carried = Message.objects.get(debtor=ana)
    message(ana, "email", "sent", 6, carried.payment_link)  # a reminder with the same link
    kpi_rollup_refresh(first_day=dt.date(2026, 11, 1), last_day=dt.date(2026, 11, 30))
    counts = kpis.dashboard(NOVEMBER)["counts"]
    assert counts["right_party"] == 3 and counts["agreements_made"] == 3


def test_an_evening_message_counts_on_its_local_day(stages):
    debtor = DebtorFactory(full_name="Eva")
    DebtFactory(debtor=debtor, portfolio=PortfolioFactory(code="tarjetas"), days_past_due=45)
    # 21:30 in Bogotá on the 30th is 02:30 UTC on December 1st.
    Message.objects.create(
        key="kpi-evening",
        debtor=debtor,
        channel="sms",
        kind="campaign",
        status="delivered",
        sent_at=dt.datetime(2026, 11, 30, 21, 30, tzinfo=BOGOTA),
    )
    kpi_rollup_refresh(first_day=dt.date(2026, 11, 30), last_day=dt.date(2026, 11, 30))
    day = kpis.KpiFilters(start=dt.date(2026, 11, 30), end=dt.date(2026, 11, 30))
    assert kpis.dashboard(day)["counts"]["attempts"] == 1
    kpi_rollup_refresh(first_day=dt.date(2026, 12, 1), last_day=dt.date(2026, 12, 1))
    december = kpis.KpiFilters(start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 1))
    assert kpis.dashboard(december)["counts"]["attempts"] == 0
