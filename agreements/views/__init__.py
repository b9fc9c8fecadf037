"""Debtor pages: offers, confirming one, own plans with a live preview, agreements, promises.

Thin views: a form parses, one service writes, the page renders. Everything the debtor sees
is fetched through helpers scoped to `request.debtor`, so another debtor's ids give 404.
"""

from __future__ import annotations

from .agreements import agreement_detail, agreement_ics, agreement_list
from .changes import schedule_change
from .counter_offers import counter_accept, counter_decline, proposal_detail
from .offers import offer_confirm, offers
from .promises import promise
from .proposals import propose, propose_affordability, propose_preview

__all__ = [
    "agreement_detail",
    "agreement_ics",
    "agreement_list",
    "counter_accept",
    "counter_decline",
    "offer_confirm",
    "offers",
    "promise",
    "proposal_detail",
    "propose",
    "propose_affordability",
    "propose_preview",
    "schedule_change",
]
