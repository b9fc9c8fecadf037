"""Logging a call or visit: its effects (promise, dispute, call attempt), its audit entry,
and the contact policy the agent sees before calling."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from agreements.models import PromiseToPay
from portal.audit.models import AuditEvent
from portal.outreach.models import ContactOutcome, Message, Outcome
from portal.outreach.policy import decide
from portal.outreach.rules import rules_for
from portal.outreach.selectors import facts_for_many
from portal.staff.selectors import call_check
from portal.staff.services import OutcomeError, contact_outcome_log
from portal.staff.timeline import timeline_page
from tests.factories import DebtFactory, PortfolioFactory
from tests.helpers.staff import BOGOTA

pytestmark = pytest.mark.django_db


def log(debtor, agent, outcome, **extra):
    fields = {"method": "phone", "direction": "outbound", "outcome": outcome, **extra}
    return contact_outcome_log(debtor=debtor, agent=agent, **fields)


def test_a_promise_on_the_call_creates_a_promise_to_pay(
    tuesday, debtor, ana_consents_to_calls, debt, agent
):
    row = log(
        debtor,
        agent,
        Outcome.PROMISE,
        debt=debt,
        promise_amount_minor=200_000_00,
        promise_date=dt.date(2026, 12, 1),
        notes="Paga el 1 de diciembre",
    )

    promise = PromiseToPay.objects.get(debt=debt)
    assert row.promise == promise
    assert (promise.amount_minor, promise.promised_date) == (200_000_00, dt.date(2026, 12, 1))
    assert (promise.source, promise.created_by) == ("call", agent)
    event = AuditEvent.objects.get(action="call.promise")
    assert event.debtor_id == debtor.pk
    assert event.details["promise_id"] == promise.pk
    assert event.details["text"] == "Paga el 1 de diciembre"


def test_a_promise_the_agreements_rules_refuse_logs_nothing(
    tuesday, debtor, ana_consents_to_calls, debt, agent
):
    with pytest.raises(OutcomeError, match="15"):
        log(
            debtor,
            agent,
            Outcome.PROMISE,
            debt=debt,
            promise_amount_minor=200_000_00,
            promise_date=dt.date(2027, 3, 1),
        )
    assert not ContactOutcome.objects.exists()
    assert not Message.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="call.").exists()


def test_a_promise_below_the_minimum_logs_nothing(
    tuesday, debtor, ana_consents_to_calls, debt, agent, policy
):
    with pytest.raises(OutcomeError, match=r"de al menos \$20\.000"):
        log(
            debtor,
            agent,
            Outcome.PROMISE,
            debt=debt,
            promise_amount_minor=1_50,
            promise_date=dt.date(2026, 12, 1),
        )
    assert not ContactOutcome.objects.exists() and not PromiseToPay.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="call.").exists()


def test_a_dispute_flags_the_debt_and_stops_outreach_to_it(
    tuesday, debtor, ana_consents_to_calls, debt, agent
):
    row = log(debtor, agent, Outcome.DISPUTE, debt=debt, notes="Dice que ya pagó")

    debt.refresh_from_db()
    assert debt.status == "disputed"
    assert row.previous_debt_status == "active"
    assert AuditEvent.objects.get(action="debt.disputed").details["previous"] == "active"
    sms = Message(pk=-1, debtor=debtor, debt=debt, channel="sms", to="+573001112233")
    facts = facts_for_many([sms])[-1]
    decision = decide(facts, channel="sms", at=tuesday, rules=rules_for("CO"))
    assert (decision.action, decision.reason) == ("block", "debt_disputed")
    assert "el estado de la deuda es «en disputa»" in call_check(debtor, debt).explanation


@pytest.mark.parametrize("outcome", Outcome.values)
def test_every_outcome_is_audited_with_the_debtor_as_a_note(
    tuesday, debtor, ana_consents_to_calls, debt, agent, outcome
):
    extra = {"debt": debt}
    if outcome == Outcome.PROMISE:
        extra |= {"promise_amount_minor": 50_000_00, "promise_date": dt.date(2026, 11, 30)}
    row = log(debtor, agent, outcome, **extra)

    event = AuditEvent.objects.get(action=f"call.{outcome}")
    assert (event.debtor_id, event.actor_label) == (debtor.pk, "agente-lucia")
    assert event.subject_id == str(row.pk)
    assert event.details["outcome"] == outcome
    entry = timeline_page(debtor.pk, kind="note").entries[0]
    assert entry.event == event


def test_an_outbound_call_counts_as_a_call_attempt_for_the_policy(
    tuesday, debtor, ana_consents_to_calls, debt, agent
):
    assert call_check(debtor, debt).allowed
    row = log(debtor, agent, Outcome.NO_ANSWER, debt=debt)

    message = Message.objects.get(pk=row.message_id)
    assert (message.channel, message.kind, message.status) == ("call", "call", "sent")
    assert message.debt == debt and message.sent_at == tuesday
    assert row.policy_decision["action"] == "send"
    # Colombia: one collection contact a day, all channels; the call was today's.
    check = call_check(debtor, debt)
    assert (check.decision.action, check.decision.reason) == ("defer", "daily_cap")
    assert "ya se contactó hoy" in check.explanation


def test_eight_calls_in_seven_days_are_refused_on_a_us_debt(debtor, ana_consents_to_calls, agent):
    portfolio = PortfolioFactory(code="us-cards", country="US", timezone="America/Denver")
    debt = DebtFactory(portfolio=portfolio, debtor=debtor, currency="USD")
    debtor.timezone = "America/Denver"
    debtor.save(update_fields=["timezone"])
    start = dt.datetime(2026, 11, 23, 11, 0, tzinfo=BOGOTA)  # Monday, 09:00 in Denver
    for day in range(7):
        with time_machine.travel(start + dt.timedelta(days=day), tick=False):
            log(debtor, agent, Outcome.NO_ANSWER, debt=debt)
    with time_machine.travel(start + dt.timedelta(days=6, hours=3), tick=False):
        check = call_check(debtor, debt)
    assert check.decision.reason == "call_cap_7_days"
    assert "7 intentos de llamada" in check.explanation


def test_a_call_against_the_policy_is_logged_with_the_policy_decision(
    debtor, ana_consents_to_calls, debt, agent
):
    sunday = dt.datetime(2026, 11, 29, 10, 0, tzinfo=BOGOTA)
    with time_machine.travel(sunday, tick=False):
        row = log(debtor, agent, Outcome.RIGHT_PARTY, debt=debt)
    assert row.policy_decision["action"] == "defer"
    event = AuditEvent.objects.get(action="call.right_party")
    assert event.details["reason"] == "logged against policy: outside_window"


@pytest.mark.parametrize(("method", "direction"), [("visit", "outbound"), ("phone", "inbound")])
def test_visits_and_calls_from_the_debtor_are_no_call_attempts(
    tuesday, debtor, ana_consents_to_calls, debt, agent, method, direction
):
    row = log(debtor, agent, Outcome.RIGHT_PARTY, debt=debt, method=method, direction=direction)
    assert row.message_id is None
    assert not Message.objects.exists()
    # A visit is checked against the policy like a call (tests/staff/test_visits.py).
    assert row.policy_decision == (
        {"action": "send", "reason": "", "until": None} if method == "visit" else {}
    )


def test_a_promise_or_dispute_needs_a_debt_of_this_debtor(
    tuesday, debtor, ana_consents_to_calls, debt, agent
):
    with pytest.raises(OutcomeError, match="Choose the debt"):
        log(debtor, agent, Outcome.DISPUTE)
    other = DebtFactory()
    with pytest.raises(OutcomeError, match="does not belong"):
        log(debtor, agent, Outcome.RIGHT_PARTY, debt=other)
