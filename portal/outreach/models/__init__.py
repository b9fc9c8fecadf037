"""Outreach's models by concept: consent, campaigns and the messages they send
(`messaging`); the calls and visits agents log (`calls`)."""

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
    "ConsentSource",
    "ContactMethod",
    "ContactOutcome",
    "Direction",
    "InboundMessage",
    "Message",
    "MessageKind",
    "MessageStatus",
    "Outcome",
]
