from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings

from agreements.models import AgreementStatus, InstallmentStatus, PromiseStatus
from agreements.promises import daily_review, promise_create
from agreements.tasks import daily_agreement_review
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus
from portal.debtors.services import ledger_post
from tests.agreements.test_pdf import make_agreement

MADE = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
DAY = dt.timedelta(days=1)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


@pytest.fixture
def promise(debtor, debt, policy):
    with time_machine.travel(MADE, tick=False):
        return promise_create(
            debtor=debtor, debt=debt, amount_minor=300_000_00, promised_date=dt.date(2026, 12, 5)
        )


def pay(debt, amount_minor: int, on: dt.date):
    ledger_post(debt=debt, kind="payment", amount_minor=-amount_minor, effective_date=on)


def test_promise_paid_in_full_by_the_date_is_kept(promise, debt):
    pay(debt, 100_000_00, dt.date(2026, 11, 28))
    pay(debt, 200_000_00, dt.date(2026, 12, 5))

    result = daily_review(today=dt.date(2026, 12, 6))

    promise.refresh_from_db()
    assert promise.status == PromiseStatus.KEPT
    assert promise.resolved_at is not None
    assert result.promises_kept == [promise.pk]
    event = AuditEvent.objects.get(action="promise.kept")
    assert event.details["paid_minor"] == 300_000_00


def test_promise_is_kept_as_soon_as_it_is_paid(promise, debt):
    pay(debt, 300_000_00, dt.date(2026, 11, 26))
    daily_review(today=dt.date(2026, 11, 27))
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.KEPT


def test_promise_stays_pending_through_its_date(promise):
    daily_review(today=dt.date(2026, 12, 5))
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.PENDING
    assert "promise.broken" not in actions()


def test_promise_short_paid_by_its_date_is_broken(promise, debt):
    pay(debt, 299_999_99, dt.date(2026, 12, 5))
    pay(debt, 1_00, dt.date(2026, 12, 6))  # a day too late

    result = daily_review(today=dt.date(2026, 12, 6))

    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN
    assert result.promises_broken == [promise.pk]
    assert AuditEvent.objects.get(action="promise.broken").details["paid_minor"] == 299_999_99


def test_payments_before_the_promise_do_not_count(promise, debt):
    pay(debt, 300_000_00, dt.date(2026, 11, 24))
    daily_review(today=dt.date(2026, 12, 6))
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN


def test_second_run_the_same_day_changes_and_audits_nothing(promise):
    daily_review(today=dt.date(2026, 12, 6))
    before = actions()
    again = daily_review(today=dt.date(2026, 12, 6))
    assert actions() == before
    assert again.promises_broken == again.promises_kept == []


@pytest.fixture
def agreement(debtor, debt, policy):
    # Down payment today (25 Nov), then 3 monthly payments from 25 Dec.
    return make_agreement(
        debtor=debtor,
        debts=[debt],
        installments=3,
        today=dt.date(2026, 11, 25),
        first_due_date=dt.date(2026, 12, 25),
        down_payment_minor=100_000_00,
    )


def pay_installment(agreement, number: int):
    installment = agreement.installments.get(number=number)
    installment.paid_minor = installment.amount_minor
    installment.status = InstallmentStatus.PAID
    installment.save(update_fields=["paid_minor", "status"])


def statuses(agreement) -> dict[int, str]:
    return dict(agreement.installments.values_list("number", "status"))


def test_installment_becomes_late_the_day_after_it_is_due(agreement):
    pay_installment(agreement, 0)
    daily_review(today=dt.date(2026, 12, 25))
    assert statuses(agreement)[1] == InstallmentStatus.PENDING

    result = daily_review(today=dt.date(2026, 12, 26))

    first = agreement.installments.get(number=1)
    assert statuses(agreement) == {0: "paid", 1: "late", 2: "pending", 3: "pending"}
    assert result.installments_late == [first.pk]
    event = AuditEvent.objects.get(action="installment.late")
    assert event.subject_id == str(first.pk)
    assert event.details["agreement_id"] == agreement.pk


def test_partly_paid_installment_is_late(agreement):
    pay_installment(agreement, 0)
    first = agreement.installments.get(number=1)
    first.paid_minor = first.amount_minor - 1
    first.save(update_fields=["paid_minor"])
    daily_review(today=dt.date(2026, 12, 26))
    assert statuses(agreement)[1] == InstallmentStatus.LATE


def test_agreement_breaks_only_once_late_beyond_the_grace_days(agreement, debt, policy):
    assert policy.grace_days == 10
    pay_installment(agreement, 0)
    for day in range(26, 32):
        daily_review(today=dt.date(2026, 12, day))
    daily_review(today=dt.date(2027, 1, 4))  # 10 days late: still inside the grace
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE

    result = daily_review(today=dt.date(2027, 1, 5))

    agreement.refresh_from_db()
    debt.refresh_from_db()
    assert result.agreements_broken == [agreement.pk]
    assert agreement.status == AgreementStatus.BROKEN
    assert agreement.broken_at is not None
    assert not agreement.lines.filter(is_active=True).exists()
    assert debt.status == DebtStatus.ACTIVE
    assert statuses(agreement) == {0: "paid", 1: "cancelled", 2: "cancelled", 3: "cancelled"}
    event = AuditEvent.objects.get(action="agreement.broken")
    assert event.details["grace_days"] == 10
    assert [row["number"] for row in event.details["late_installments"]] == [1]
    assert event.details["debts_reactivated"] == [debt.pk]

    before = actions()
    daily_review(today=dt.date(2027, 1, 5))
    assert actions() == before


def test_unpaid_down_payment_breaks_with_a_shorter_grace(agreement, policy):
    policy.grace_days = 3
    policy.save(update_fields=["grace_days"])

    daily_review(today=dt.date(2026, 11, 28))  # 3 days late
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    daily_review(today=dt.date(2026, 11, 29))
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.BROKEN
    assert actions().count("installment.late") == 1


def test_without_a_policy_the_grace_is_10_days(agreement, policy):
    policy.is_active = False
    policy.save(update_fields=["is_active"])
    daily_review(today=dt.date(2026, 12, 5))  # down payment 10 days late
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    daily_review(today=dt.date(2026, 12, 6))
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.BROKEN


def test_broken_agreement_lets_the_debt_take_a_new_agreement(agreement, debtor, debt, policy):
    daily_review(today=dt.date(2026, 12, 31))
    debt.refresh_from_db()
    again = make_agreement(debtor=debtor, debts=[debt], installments=2, number="AC-AGAIN")
    assert again.lines.get().is_active


def test_daily_task_reviews_the_date_in_bogota(agreement):
    pay_installment(agreement, 0)
    # 03:00 UTC on 26 Dec is still 25 Dec in Bogotá: the first installment is not late yet.
    with time_machine.travel(dt.datetime(2026, 12, 26, 3, 0, tzinfo=dt.UTC), tick=False):
        assert daily_agreement_review.delay().get()["installments_late"] == 0
    with time_machine.travel(dt.datetime(2026, 12, 26, 10, 0, tzinfo=dt.UTC), tick=False):
        assert daily_agreement_review.delay().get() == {
            "promises_kept": 0,
            "promises_broken": 0,
            "installments_late": 1,
            "agreements_broken": 0,
        }


def test_beat_runs_the_review_every_morning():
    entry = settings.CELERY_BEAT_SCHEDULE["agreements-daily-review"]
    assert entry["task"] == "agreements.tasks.daily_agreement_review"
    assert entry["schedule"] == crontab(hour=5, minute=0)
