"""Writes for agreements: quotes, accepting offers, proposals and their review.

Every service is atomic and records its audit event in the same transaction; email and
the PDF are queued with `transaction.on_commit`, so nothing leaves before the data exists.
"""

from .common import AgreementError, Evidence, terms_for
from .counters import counter_accept, counter_decline
from .creation import agreement_accept_offer
from .proposals import (
    proposal_approve,
    proposal_counter,
    proposal_reject,
    proposal_submit,
)
from .quoting import quote_for_debtor

__all__ = [
    "AgreementError",
    "Evidence",
    "agreement_accept_offer",
    "counter_accept",
    "counter_decline",
    "proposal_approve",
    "proposal_counter",
    "proposal_reject",
    "proposal_submit",
    "quote_for_debtor",
    "terms_for",
]
