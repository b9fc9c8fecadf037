"""Debtors' models by concept: the parties (creditor, portfolio, debtor, payment methods),
the debts and their ledger, the dispute holds on them and the disputes filed online, the
mora stages, the portfolio imports."""

from __future__ import annotations

from .cases import (
    CaseStatus,
    DisputeCase,
    DisputeDocument,
    DisputeReason,
    DocumentKind,
    UpheldAction,
)
from .debts import Debt, DebtStatus, LedgerEntry, LedgerKind
from .disputes import DisputeHold, HoldKind
from .imports import ImportStatus, PortfolioImport
from .mora import MoraStage, StageTone
from .parties import (
    ContactChannel,
    Creditor,
    Debtor,
    DocumentType,
    IdentityCheck,
    Language,
    PaymentMethod,
    PaymentMethodKind,
    Portfolio,
    country_code,
    currency_code,
)

__all__ = [
    "CaseStatus",
    "DisputeCase",
    "DisputeDocument",
    "DisputeReason",
    "DocumentKind",
    "UpheldAction",
    "ContactChannel",
    "Creditor",
    "Debt",
    "DebtStatus",
    "Debtor",
    "DisputeHold",
    "DocumentType",
    "HoldKind",
    "IdentityCheck",
    "ImportStatus",
    "Language",
    "LedgerEntry",
    "LedgerKind",
    "MoraStage",
    "PaymentMethod",
    "PaymentMethodKind",
    "Portfolio",
    "PortfolioImport",
    "StageTone",
    "country_code",
    "currency_code",
]
