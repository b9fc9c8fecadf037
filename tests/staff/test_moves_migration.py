"""The migrations that move call outcomes to outreach and give disputes their holds keep
every row, link and permission: open disputes stay open and close as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from agreements.models import PromiseToPay
from payments.models import Payment
from payments.services.disputes import payment_dispute_close
from portal.debtors.models import Debt, DisputeHold
from portal.outreach.models import ContactOutcome
from portal.staff.services import call_dispute_resolve
from tests.factories import StaffFactory

BEFORE = [
    ("debtors", "0012_staff_field_names"),
    ("outreach", "0008_staff_field_names"),
    ("agreements", "0005_staff_field_names"),
    ("payments", "0005_staff_field_names"),
    ("staff", "0010_staff_field_names"),
]
AT = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return executor.loader.project_state(targets).apps


def _world(old, agent_id: int) -> dict[str, int]:
    creditor = old.get_model("debtors", "Creditor").objects.create(name="Banco Andino")
    portfolio = old.get_model("debtors", "Portfolio").objects.create(
        creditor=creditor, code="tarjetas", name="Tarjetas", currency="COP"
    )
    debtor = old.get_model("debtors", "Debtor").objects.create(
        document_type="CC", document_number="1020304050", full_name="Ana María Peña"
    )
    debts = old.get_model("debtors", "Debt").objects

    def debt(ref: str, status: str):
        return debts.create(
            portfolio=portfolio,
            debtor=debtor,
            account_ref=ref,
            currency="COP",
            principal_due_minor=100_000,
            original_due_date=dt.date(2026, 9, 1),
            status=status,
        )

    called, carded, promised = (
        debt("TC-1", "disputed"),
        debt("TC-2", "disputed"),
        debt("TC-3", "active"),
    )
    outcomes = old.get_model("staff", "ContactOutcome").objects
    dispute = outcomes.create(
        debtor=debtor,
        debt=called,
        method="phone",
        direction="inbound",
        outcome="dispute",
        occurred_at=AT,
        agent_id=agent_id,
        previous_debt_status="in_agreement",
    )
    promise = old.get_model("agreements", "PromiseToPay").objects.create(
        debtor=debtor,
        debt=promised,
        currency="COP",
        amount_minor=50_000,
        promised_date=dt.date(2026, 11, 30),
        source="call",
    )
    call = outcomes.create(
        debtor=debtor,
        debt=promised,
        method="phone",
        outcome="promise",
        occurred_at=AT,
        agent_id=agent_id,
        promise=promise,
    )
    payment = old.get_model("payments", "Payment").objects.create(
        number="PAY-1",
        debtor=debtor,
        stripe_payment_intent_id="pi_1",
        currency="COP",
        amount_minor=10_000,
        received_at=AT,
        disputed_at=AT,
    )
    old.get_model("payments", "DebtDispute").objects.create(
        debt=carded,
        payment=payment,
        stripe_dispute_id="dp_1",
        previous_status="active",
        opened_at=AT,
    )
    return {
        "called": called.pk,
        "carded": carded.pk,
        "dispute": dispute.pk,
        "call": call.pk,
        "promise": promise.pk,
        "payment": payment.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_open_disputes_links_and_permissions_survive_the_moves():
    supervisor = StaffFactory(username="supervisora")
    kpis = Permission.objects.get(codename="view_kpis")
    supervisor.user_permissions.add(kpis)
    old = _migrate(BEFORE)
    try:
        ids = _world(old, supervisor.pk)

        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

        holds = {
            (h.debt_id, h.kind, h.reference, h.previous_status) for h in DisputeHold.objects.all()
        }
        assert holds == {
            (ids["called"], "call", str(ids["dispute"]), "in_agreement"),
            (ids["carded"], "card", "dp_1", "active"),
        }
        assert PromiseToPay.objects.get(pk=ids["promise"]).contact_outcome_id == ids["call"]
        assert ContactOutcome.objects.get(promise=ids["promise"]).pk == ids["call"]
        assert ContactOutcome.objects.count() == 2

        kpis.refresh_from_db()
        assert kpis.content_type.app_label == "staff" and kpis.codename == "view_kpis"
        assert supervisor.user_permissions.filter(pk=kpis.pk).exists()
        assert Permission.objects.get(codename="add_contactoutcome").content_type.app_label == (
            "outreach"
        )

        call_dispute_resolve(
            contact_outcome=ContactOutcome.objects.get(pk=ids["dispute"]),
            resolver=supervisor,
            resolution="rejected",
            note="Verificada",
        )
        with transaction.atomic():  # as the webhook runs it
            payment_dispute_close(
                payment=Payment.objects.get(pk=ids["payment"]),
                dispute={"id": "dp_1", "status": "won"},
            )
        assert Debt.objects.get(pk=ids["called"]).status == "in_agreement"
        assert Debt.objects.get(pk=ids["carded"]).status == "active"
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
