"""Agreements' models by concept: offer policies and quotes, proposals, agreements with
their debts and installments, promises to pay."""

from __future__ import annotations

from .changes import (
    DONE_CHANGE_STATUSES,
    AgreementDocument,
    ChangeKind,
    ChangeStatus,
    ScheduleChangeRequest,
)
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
    "AgreementDocument",
    "AgreementDebt",
    "AgreementKind",
    "AgreementStatus",
    "ChangeKind",
    "ChangeStatus",
    "DONE_CHANGE_STATUSES",
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
    "ScheduleChangeRequest",
]
