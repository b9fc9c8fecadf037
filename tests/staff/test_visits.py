"""Field visits go through the contact policy like calls: the same window (Ley 2300's hours
hold for every collection contact), and every outbound visit counts toward the daily and
weekly caps (docs/compliance.md: every outbound attempt counts)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.outreach.models import Message, Outcome
from portal.outreach.policy import decide
from portal.outreach.rules import rules_for
from portal.outreach.selectors import facts_for_many
from portal.outreach.services import consent_set
from portal.staff.selectors import call_check, visit_check
from portal.staff.services import contact_outcome_log
from tests.helpers.staff import BOGOTA

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BOGOTA)


def visit(debtor, agent, debt, outcome=Outcome.NO_ANSWER, **extra):
    return contact_outcome_log(
        debtor=debtor,
        agent=agent,
        method="visit",
        direction="outbound",
        outcome=outcome,
        debt=debt,
        **extra,
    )


@pytest.fixture
def late_debtor(debtor, ana_consents_to_calls):
    """Ana's own hours reach past the legal window, so the law's 19:00 is the edge."""
    debtor.contact_to = dt.time(21)
    debtor.save(update_fields=["contact_to"])
    return debtor


def test_a_visit_at_18_59_is_allowed_and_at_19_00_is_not(late_debtor, debt):
    assert visit_check(late_debtor, debt, at=at(24, 18, 59)).allowed
    check = visit_check(late_debtor, debt, at=at(24, 19, 0))
    assert (check.decision.action, check.decision.reason) == ("defer", "outside_window")
    # The next morning at 08:00, her own hours (the law would allow 07:00).
    assert check.explanation == (
        "No visites ahora: fuera del horario legal de contacto. "
        "Próximo momento permitido: 25/11/2026 08:00 (America/Bogota)."
    )


def test_no_visit_on_sunday(debtor, ana_consents_to_calls, debt):
    check = visit_check(debtor, debt, at=at(29, 10))
    assert check.decision.reason == "outside_window"
    assert "Próximo momento permitido: 30/11/2026 08:00" in check.explanation
    # Saturday: 08:00-15:00.
    assert visit_check(debtor, debt, at=at(28, 14, 59)).allowed
    assert not visit_check(debtor, debt, at=at(28, 15, 0)).allowed


def test_a_visit_needs_no_call_consent_but_stops_on_a_disputed_debt(
    tuesday, debtor, ana_consents_to_calls, debt, agent
):
    consent_set(debtor=debtor, channel="call", granted=False, source="staff")
    assert not call_check(debtor, debt).allowed
    assert visit_check(debtor, debt).explanation == "Se permite visitar ahora."
    contact_outcome_log(
        debtor=debtor,
        agent=agent,
        method="phone",
        direction="inbound",
        outcome=Outcome.DISPUTE,
        debt=debt,
    )
    assert visit_check(debtor, debt).explanation == (
        "No visites: el estado de la deuda es «en disputa»."
    )


def test_a_visit_counts_toward_the_daily_cap(tuesday, debtor, ana_consents_to_calls, debt, agent):
    visit(debtor, agent, debt)

    assert not Message.objects.exists()  # counted from the logged visit itself
    call = call_check(debtor, debt)
    assert (call.decision.action, call.decision.reason) == ("defer", "same_day_other_channel")
    again = visit_check(debtor, debt)
    assert again.decision.reason == "daily_cap"
    assert "ya se contactó hoy" in again.explanation
    consent_set(debtor=debtor, channel="sms", granted=True, source="import")
    sms = Message(pk=-1, debtor=debtor, debt=debt, channel="sms", to="+573001112233")
    facts = facts_for_many([sms], now=tuesday)[-1]
    decision = decide(facts, channel="sms", at=tuesday, rules=rules_for("CO"))
    assert decision.reason == "same_day_other_channel"


def test_a_visit_counts_toward_the_weekly_channels(debtor, ana_consents_to_calls, debt, agent):
    with time_machine.travel(at(24, 10), tick=False):
        visit(debtor, agent, debt)
    # Colombia: one channel per debtor per calendar week; Thursday, a call must wait.
    check = call_check(debtor, debt, at=at(26, 10))
    assert check.decision.reason == "weekly_channels"
    assert "Próximo momento permitido: 30/11/2026 08:00" in check.explanation
    assert visit_check(debtor, debt, at=at(26, 10)).allowed


def test_a_visit_from_the_debtor_counts_nothing(
    tuesday, debtor, ana_consents_to_calls, debt, agent
):
    row = contact_outcome_log(
        debtor=debtor,
        agent=agent,
        method="visit",
        direction="inbound",
        outcome=Outcome.RIGHT_PARTY,
        debt=debt,
    )
    assert row.policy_decision == {}
    assert call_check(debtor, debt).allowed


def test_a_visit_against_the_policy_is_logged_with_its_decision(
    debtor, ana_consents_to_calls, debt, agent
):
    with time_machine.travel(at(29, 10), tick=False):
        row = visit(debtor, agent, debt, Outcome.RIGHT_PARTY)
    assert (row.policy_decision["action"], row.policy_decision["reason"]) == (
        "defer",
        "outside_window",
    )
    event = AuditEvent.objects.get(action="call.right_party")
    assert event.details["method"] == "visit"
    assert event.details["reason"] == "logged against policy: outside_window"


def test_the_panel_says_whether_a_visit_is_allowed(
    client, agent, debtor, ana_consents_to_calls, debt
):
    client.force_login(agent)
    url = reverse("admin:staff_contactoutcome_log", args=[debtor.pk])
    with time_machine.travel(at(24, 10), tick=False):
        allowed = client.get(url).content.decode()
    with time_machine.travel(at(29, 10), tick=False):
        sunday = client.get(url).content.decode()
    assert "¿Puedo visitar ahora?" in allowed and "Se permite visitar ahora." in allowed
    assert "No visites ahora: fuera del horario legal de contacto." in sunday
