"""Time to render one agreement PDF of 36 installments against a one-line document.

    .venv/bin/python bench/agreement_pdf.py [--runs 5]

Measured 2026-11-25 (2 shared cores, WeasyPrint 70.0, 3-page PDF, 5 runs):
agreement_36_ms=815.0 one_line_ms=39.0 ratio=20.9

No database: builds unsaved Creditor, Portfolio, Debtor, Debt, Agreement, AgreementDebt and
Installment objects (36 monthly installments plus a down payment, two debts) and passes them
through exactly the functions `agreement_pdf_render` uses, `agreement_pdf_context` and
`agreement_pdf_bytes` (template in the debtor's language, then WeasyPrint). The baseline is
WeasyPrint rendering a one-line HTML document through `html_to_pdf`. One warm-up of each
(fonts, pango, template loading), then `--runs` timed renders; prints the medians as
`agreement_36_ms=… one_line_ms=… ratio=…`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from agreements.documents import agreement_pdf_bytes, agreement_pdf_context, html_to_pdf  # noqa: E402
from agreements.models import Agreement, AgreementDebt, Installment  # noqa: E402
from agreements.schedules import build_schedule  # noqa: E402
from portal.debtors.models import Creditor, Debt, Debtor, Portfolio  # noqa: E402

TERMS = "\n".join(
    f"{n}. Clause {n} of the payment agreement, as shown to the debtor before accepting."
    for n in range(1, 13)
)
ONE_LINE = "<!DOCTYPE html><html><body style=\"font-family: 'DejaVu Sans'\">One line.</body></html>"


def sample_context() -> dict:
    creditor = Creditor(name="Banco Andino", tax_id="900123456-8")
    portfolio = Portfolio(creditor=creditor, code="tarjetas", name="Tarjetas 2026", currency="COP")
    debtor = Debtor(
        document_type="CC",
        document_number="1020304050",
        full_name="Ana María Peña",
        language="es",
    )
    debts = [
        Debt(portfolio=portfolio, debtor=debtor, account_ref="TC-100", currency="COP"),
        Debt(portfolio=portfolio, debtor=debtor, account_ref="LB-200", currency="COP"),
    ]
    lines = [
        AgreementDebt(debt=debts[0], balance_minor=1_060_000_00, discount_minor=106_000_00),
        AgreementDebt(debt=debts[1], balance_minor=333_333_33, discount_minor=33_333_33),
    ]
    balance = sum(line.balance_minor for line in lines)
    discount = sum(line.discount_minor for line in lines)
    total, down = balance - discount, 120_000_00
    agreement = Agreement(
        number="AC-2026-000123",
        debtor=debtor,
        portfolio=portfolio,
        kind="plan",
        currency="COP",
        balance_minor=balance,
        discount_minor=discount,
        total_minor=total,
        down_payment_minor=down,
        frequency="monthly",
        terms_version="2026-11",
        terms_text=TERMS,
        terms_sha256=hashlib.sha256(TERMS.encode()).hexdigest(),
        accepted_at=dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC),
        accepted_ip="190.24.1.7",
        accepted_user_agent="Mozilla/5.0 (Linux; Android 14) Gecko/20100101 Firefox/133.0",
        payment_link_id=4242,
    )
    schedule = build_schedule(
        total_minor=total,
        installments=36,
        frequency="monthly",
        first_due_date=dt.date(2026, 12, 25),
        down_payment_minor=down,
        today=dt.date(2026, 11, 25),
    )
    installments = [
        Installment(number=s.number, due_date=s.due_date, amount_minor=s.amount_minor)
        for s in schedule
    ]
    assert len(installments) == 37
    return agreement_pdf_context(agreement=agreement, lines=lines, installments=installments)


def timed(render, runs: int) -> tuple[float, int]:
    size = len(render())  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        render()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    context = sample_context()
    agreement_ms, agreement_bytes = timed(
        lambda: agreement_pdf_bytes(context=context, language="es"), args.runs
    )
    one_line_ms, one_line_bytes = timed(lambda: html_to_pdf(ONE_LINE), args.runs)
    print(
        f"# runs={args.runs} (median after 1 warm-up) "
        f"agreement_pdf_bytes={agreement_bytes} one_line_pdf_bytes={one_line_bytes}"
    )
    print(
        f"agreement_36_ms={agreement_ms:.1f} one_line_ms={one_line_ms:.1f} "
        f"ratio={agreement_ms / one_line_ms:.1f}"
    )


if __name__ == "__main__":
    main()
