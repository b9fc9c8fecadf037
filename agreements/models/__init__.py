"""Agreements' models by concept: offer policies and quotes, proposals, agreements with
their debts and installments, promises to pay."""

from __future__ import annotations

from .offers import PERCENT, DebtSelection, Frequency, OfferPolicy, Quote
from .plans import (
    Agreement,
    AgreementDebt,
    AgreementKind,
    AgreementStatus,
    Installment,
    InstallmentStatus,
)
from .promises import PromiseStatus, PromiseToPay
from .proposals import OPEN_PROPOSAL_STATUSES, Proposal, ProposalStatus

__all__ = [
    "Agreement",
    "AgreementDebt",
    "AgreementKind",
    "AgreementStatus",
    "DebtSelection",
    "Frequency",
    "Installment",
    "InstallmentStatus",
    "OPEN_PROPOSAL_STATUSES",
    "OfferPolicy",
    "PERCENT",
    "PromiseStatus",
    "PromiseToPay",
    "Proposal",
    "ProposalStatus",
    "Quote",
]
