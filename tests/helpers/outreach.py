"""People for the outreach tests: a debtor who owes, with consent on the given channels."""

from __future__ import annotations

from portal.debtors.services import ledger_post
from portal.outreach.services import consent_set
from tests.factories import DebtFactory, DebtorFactory


def make_debtor(portfolio, *, number: str, name: str, channels=("sms", "email"), **fields):
    debtor = DebtorFactory(document_number=number, full_name=name, **fields)
    debt = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref=f"TC-{number}")
    ledger_post(debt=debt, kind="charge", amount_minor=1_060_000_00)
    for channel in channels:
        consent_set(debtor=debtor, channel=channel, granted=True, source="import")
    return debtor
