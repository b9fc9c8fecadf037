from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, Sum

from agreements.models import Agreement, OfferPolicy, PromiseToPay
from agreements.services import quote_for_debtor
from payments.models import Payment
from portal.audit.models import AuditEvent
from portal.debtors.models import Debt, Debtor, LedgerEntry
from portal.debtors.selectors import debts_with_stage
from portal.outreach.models import Campaign, Consent, ContactOutcome, ContactTiming, Message
from portal.staff import kpis
from portal.staff.demo import seed_demo
from portal.staff.demo.activity import SCHEDULED_CAMPAIGN, SENT_CAMPAIGN
from portal.staff.kpi_forms import KpiFilterForm

pytestmark = pytest.mark.django_db


def test_seed_demo_spreads_debts_over_every_stage():
    seed_demo()
    stages = set(debts_with_stage().values_list("stage_code", flat=True))
    assert stages == {"preventiva", "temprana", "intermedia", "tardia", "prejuridica"}
    assert Debtor.objects.count() == 60
    assert Debt.objects.filter(portfolio__currency="COP").count() == 60
    # Best channel and hour for everyone reachable (consent on record).
    reachable = Consent.objects.filter(granted=True).values("debtor").distinct().count()
    assert ContactTiming.objects.count() == reachable > 0


def test_seed_demo_twice_creates_nothing_new():
    seed_demo()
    models = [Debtor, Debt, LedgerEntry, AuditEvent, OfferPolicy, Consent, Campaign, Message]
    models += [Agreement, Payment, PromiseToPay, ContactOutcome, ContactTiming]
    counts = [model.objects.count() for model in models]
    second = seed_demo()
    assert (second.debtors_created, second.debts_created, second.policies_created) == (0, 0, 0)
    assert counts == [model.objects.count() for model in models]


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
    assert "campaigns: 1 sent, 1 scheduled; 1 agreement, 1 payment, 1 promise" in out
    assert "--- sms" not in out and "Step 1" not in out  # the console backends stay quiet
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


BOGOTA = ZoneInfo("America/Bogota")


def test_every_stage_has_an_offer_policy_so_every_debtor_sees_offers():
    seed_demo()
    assert set(OfferPolicy.objects.values_list("stage__code", flat=True)) == {
        "preventiva", "temprana", "intermedia", "tardia", "prejuridica"
    }  # fmt: skip
    for debt in debts_with_stage().filter(status="active").order_by("stage_code", "pk"):
        quote = quote_for_debtor(debtor=debt.debtor, portfolio=debt.portfolio)
        assert quote is not None and quote.offers, debt.stage_code


# 06:00 on Wednesday 9 December 2026, the day after a public holiday (la Inmaculada
# Concepción), before the contact window opens: the campaign went out on Monday the 7th.
@time_machine.travel(dt.datetime(2026, 12, 9, 6, 0, tzinfo=BOGOTA), tick=False)
def test_the_sent_campaign_went_out_on_the_last_contact_day_and_blocked_who_has_no_consent():
    seed_demo()
    sent = Campaign.objects.get(name=SENT_CAMPAIGN)
    assert (sent.status, sent.targeted) == ("done", 60)
    assert sent.launched_at == dt.datetime(2026, 12, 7, 10, 0, tzinfo=BOGOTA)
    outcome = dict(
        Message.objects.filter(campaign=sent).values_list("status").annotate(n=Count("id"))
    )
    without = Debtor.objects.exclude(consents__granted=True).count()
    assert outcome == {"sent": 60 - without, "blocked": without} and 0 < without < 15
    assert set(
        Message.objects.filter(campaign=sent, status="blocked").values_list(
            "block_reason", flat=True
        )
    ) == {"no_consent"}
    scheduled = Campaign.objects.get(name=SCHEDULED_CAMPAIGN)
    assert scheduled.status == "running"
    assert scheduled.start_at == dt.datetime(2026, 12, 10, 9, 0, tzinfo=BOGOTA)


def test_an_agreement_a_payment_and_a_promise_go_through_the_services():
    seed_demo()
    (agreement,) = Agreement.objects.all()
    (payment,) = Payment.objects.all()
    assert agreement.status == "active" and payment.agreement == agreement
    first = agreement.installments.order_by("number").first()
    assert first.paid_minor == first.amount_minor == payment.amount_minor
    (promise,) = PromiseToPay.objects.all()
    assert promise.status == "pending" and promise.debtor != agreement.debtor
    assert ContactOutcome.objects.get(promise=promise).outcome == "promise"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "offer_policy.created", "consent.granted", "campaign.running", "campaign.done",
        "quote.shown", "agreement.created", "payment.posted", "promise.created",
        "call.promise",
    } <= actions  # fmt: skip


def test_the_kpis_are_computed_for_the_dashboard():
    seed_demo()
    kpi = kpis.dashboard(KpiFilterForm(None).filters())  # the dashboard's default period
    (money,) = kpi["money"]
    assert money["debts"] == 60 and money["refreshed_at"] is not None
    assert kpi["counts"]["sent"] > 40 and kpi["counts"]["agreements_made"] == 1
    assert kpi["debtors"]["right_party"] == 1  # the promise's call


def test_the_readme_shows_what_seed_demo_prints(settings, capsys):
    """README's quick-start block, token and time of day aside, is the command's output."""
    settings.DEBUG = True
    call_command("seed_demo")
    printed = capsys.readouterr().out.splitlines()
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    block = next(b for b in readme.split("```") if "demo portfolio demo-cop:" in b)
    make_run_lines = ("Site: ", "Stripe TEST MODE: ", "Mercado Pago TEST MODE: ")  # by make run
    shown = [line for line in block.strip().splitlines() if not line.startswith(make_run_lines)]

    def same(line: str) -> str:
        line = re.sub(r"/p/[A-Za-z0-9_-]{43}", "/p/<token>", line)
        return re.sub(r"KPIs computed \S+ \S+", "KPIs computed <time>", line)

    assert [same(line) for line in shown] == [same(line) for line in printed]
