import pytest
from django.core.management import call_command
from django.db.models import Sum

from portal.audit.models import AuditEvent
from portal.debtors.models import Debt, Debtor, LedgerEntry
from portal.debtors.selectors import debts_with_stage
from portal.staff.demo import seed_demo

pytestmark = pytest.mark.django_db


def test_seed_demo_spreads_debts_over_every_stage():
    seed_demo()
    stages = set(debts_with_stage().values_list("stage_code", flat=True))
    assert stages == {"preventiva", "temprana", "intermedia", "tardia", "prejuridica"}
    assert Debtor.objects.count() == 60
    assert Debt.objects.filter(portfolio__currency="COP").count() == 60


def test_seed_demo_twice_creates_nothing_new():
    seed_demo()
    counts = (
        Debtor.objects.count(),
        Debt.objects.count(),
        LedgerEntry.objects.count(),
        AuditEvent.objects.count(),
    )
    second = seed_demo()
    assert (second.debtors_created, second.debts_created) == (0, 0)
    assert counts == (
        Debtor.objects.count(),
        Debt.objects.count(),
        LedgerEntry.objects.count(),
        AuditEvent.objects.count(),
    )


def test_seed_demo_balances_equal_their_ledger():
    seed_demo()
    for debt in Debt.objects.annotate(ledger_sum=Sum("ledger_entries__amount_minor")):
        assert debt.balance_minor == debt.ledger_sum
        assert debt.balance_minor > 0
    assert LedgerEntry.objects.filter(kind="payment").exists()


def test_seed_demo_admin_can_log_in(client, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "user=admin" in out and "password=cobranza-demo" in out
    link_line = next(line for line in out.splitlines() if "demo debtor link:" in line)
    path = link_line.split("http://127.0.0.1:8000", 1)[1].strip()
    answer = out.split("identity check answer: last 4 digits of the document ")[1][:4]
    client.get(path)
    assert client.post("/p/verificar/", {"answer": answer}).status_code == 302
    assert client.get("/mi-cuenta/").status_code == 200
    client.post("/salir/")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": "cobranza-demo"}
    )
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_seed_demo_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(Exception, match="--force"):
        call_command("seed_demo")
    call_command("seed_demo", "--force", "--debtors", "3")
    assert Debtor.objects.count() == 3
