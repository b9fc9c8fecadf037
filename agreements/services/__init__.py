"""Writes for agreements: quotes, accepting offers, proposals and their review.

Every service is atomic and records its audit event in the same transaction; email and
the PDF are queued with `transaction.on_commit`, so nothing leaves before the data exists.
"""

from .change_rules import (
    ChangeOptions,
    ChangePreview,
    agreement_change_options,
    change_options,
    change_preview,
)
from .changes import (
    schedule_change_approve,
    schedule_change_reject,
    schedule_change_submit,
)
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
    "ChangeOptions",
    "ChangePreview",
    "Evidence",
    "agreement_accept_offer",
    "agreement_change_options",
    "change_options",
    "change_preview",
    "counter_accept",
    "counter_decline",
    "proposal_approve",
    "proposal_counter",
    "proposal_reject",
    "proposal_submit",
    "quote_for_debtor",
    "schedule_change_approve",
    "schedule_change_reject",
    "schedule_change_submit",
    "terms_for",
]
