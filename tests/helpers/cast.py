"""Facts about the shared cast of tests/conftest.py that tests assert on."""

from __future__ import annotations

# Ana's card debt TC-100 (the `debt` fixture): principal 1,000,000.00 + interest 50,000.00
# + fees 10,000.00, charged through the ledger.
DEBT_BALANCE = 1_060_000_00
# Carlos's card debt TC-200 (on `other_debtor`).
OTHER_DEBT_BALANCE = 500_000_00
