"""Outreach's models by concept: consent, campaigns and the messages they send
(`messaging`); the calls and visits agents log (`calls`); the propensity scores and best
contact times analytics writes (`scoring`)."""

from __future__ import annotations

from .calls import (
    NOT_CONTACTED_OUTCOMES,
    RIGHT_PARTY_OUTCOMES,
    ContactMethod,
    ContactOutcome,
    Direction,
    Outcome,
)
from .messaging import (
    SENT_STATUSES,
    AgreementFilter,
    Campaign,
    CampaignStatus,
    CampaignTemplate,
    Channel,
    Consent,
    ConsentSource,
    InboundMessage,
    Message,
    MessageKind,
    MessageStatus,
)
from .scoring import ContactTiming, DebtScore, ScoreBand

__all__ = [
    "NOT_CONTACTED_OUTCOMES",
    "RIGHT_PARTY_OUTCOMES",
    "SENT_STATUSES",
    "AgreementFilter",
    "Campaign",
    "CampaignStatus",
    "CampaignTemplate",
    "Channel",
    "Consent",
    "ContactTiming",
    "ConsentSource",
    "ContactMethod",
    "ContactOutcome",
    "DebtScore",
    "Direction",
    "InboundMessage",
    "Message",
    "MessageKind",
    "MessageStatus",
    "Outcome",
    "ScoreBand",
]
