"""The debtor pages' versioned cache: a hit while nothing changed, a miss after any audited
fact about the debtor, a set-based write or a debt saved one by one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.audit.services import record
from portal.debtors.models import MoraStage
from portal.debtors.services import debts_refresh_days_past_due, ledger_post
from portal.pagecache import debtor_pages_all_changed, debtor_pages_cached
from tests.factories import DebtFactory, DebtorFactory, assign
from tests.helpers.access import sign_in

pytestmark = pytest.mark.django_db

DASHBOARD = "/mi-cuenta/"


def _counter():
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    return calls, build


def test_a_value_is_built_once_until_the_debtor_changes(django_capture_on_commit_callbacks):
    debtor, other = DebtorFactory(), DebtorFactory()
    calls, build = _counter()
    assert debtor_pages_cached(debtor.pk, "page", build) == 1
    assert debtor_pages_cached(debtor.pk, "page", build) == 1
    with django_capture_on_commit_callbacks(execute=True):
        record("debtor.something", subject=other)
    assert debtor_pages_cached(debtor.pk, "page", build) == 1  # another debtor's fact
    with django_capture_on_commit_callbacks(execute=True):
        record("debtor.something", subject=debtor)
    assert debtor_pages_cached(debtor.pk, "page", build) == 2
    assert len(calls) == 2


def test_a_set_based_write_makes_every_debtor_read_again(django_capture_on_commit_callbacks):
    debtor = DebtorFactory()
    _calls, build = _counter()
    debtor_pages_cached(debtor.pk, "page", build)
    with django_capture_on_commit_callbacks(execute=True):
        debtor_pages_all_changed()
    assert debtor_pages_cached(debtor.pk, "page", build) == 2


def test_a_rolled_back_change_keeps_the_cached_value():
    debtor = DebtorFactory()
    _calls, build = _counter()
    debtor_pages_cached(debtor.pk, "page", build)
    # Inside the test's transaction, never committed: on_commit callbacks never run.
    record("debtor.something", subject=debtor)
    assert debtor_pages_cached(debtor.pk, "page", build) == 1


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_shows_a_payment_at_once_and_reads_nothing_while_unchanged(client):
    debt = DebtFactory()
    assign(debt)
    sign_in(client, debt.debtor)
    assert "1.060.000" in client.get(DASHBOARD).content.decode()
    with CaptureQueriesContext(connection) as unchanged:
        client.get(DASHBOARD)
    ledger_post(debt=debt, kind="payment", amount_minor=-60_000_00)
    body = client.get(DASHBOARD).content.decode()
    assert "1.000.000" in body and "1.060.000" not in body
    debt.refresh_from_db()
    tables = " ".join(q["sql"] for q in unchanged.captured_queries)
    assert "debtors_debt" not in tables
    assert "agreements_installment" not in tables


@pytest.mark.django_db(transaction=True)
def test_the_nightly_refresh_and_the_stage_bands_show_on_the_dashboard(client):
    debt = DebtFactory(days_past_due=0)
    assign(debt)
    sign_in(client, debt.debtor)
    client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as after_refresh:
        assert debts_refresh_days_past_due() == 1
        client.get(DASHBOARD)
    assert any("debtors_debt" in q["sql"] for q in after_refresh.captured_queries)
    client.get(DASHBOARD)
    MoraStage.objects.create(name="Nueva", code="nueva", min_days=5000, tone="formal")
    with CaptureQueriesContext(connection) as after_bands:
        client.get(DASHBOARD)
    assert any("debtors_debt" in q["sql"] for q in after_bands.captured_queries)
