"""Preparing claimed rows, inside the claim's transaction: decide each one (the contact
policy), mint the payment links of the ones to send, render them, and write every row once.

The ones to send become `sending` in the batch (their hand-off journal), one attempt more;
the rest are deferred or blocked with the policy's reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from portal.access.services import payment_link_tokens, payment_links_save_for_campaign
from portal.audit.services import record

from ..bulk import rows_update
from ..channels import Outgoing
from ..models import Message, MessageKind, MessageStatus
from ..policy import BLOCK, DEFER, SEND, decide
from ..rules import rules_for
from ..selectors import facts_for_many
from .audit import notice_audit
from .render import render


def prepare(
    messages: list[Message], now: dt.datetime, on_portal: bool, batch: str
) -> list[Outgoing]:
    """Decide, mint, render and write the claimed `messages`; returns what to hand off."""
    sendable, decided = messages_decide(messages, now=now, on_portal=on_portal, batch=batch)
    links = links_mint(sendable)
    to_send = render(sendable, links.tokens)
    # Audited writes last: the audit chain's lock is then held only until the commit.
    links_save(links)
    _decisions_write(messages, decided, now)
    return to_send


def messages_decide(
    messages: list[Message], *, now: dt.datetime, on_portal: bool, batch: str
) -> tuple[list[Message], list[list]]:
    """Each message's decision set on it (not saved); returns the ones to send and the
    campaign rows' decisions for their one audit event. Notices deferred or blocked are
    audited one by one."""
    facts = facts_for_many(messages, now=now, on_portal=on_portal)
    sendable, decided = [], []
    # Sends decided earlier in this batch count like sends already made: two messages to
    # one debtor in one batch must not both pass the daily cap.
    planned: dict[int, list] = {}
    for message in messages:
        known = facts[message.pk]
        transactional = message.kind == MessageKind.NOTICE
        if planned.get(message.debtor_id):
            known = replace(known, sent=known.sent + tuple(planned[message.debtor_id]))
        decision = decide(
            known,
            channel=message.channel,
            at=now,
            rules=rules_for(_country(message), message.debtor.state),
            transactional=transactional,
        )
        message.decision = {**decision.as_json(), "at": now.isoformat()}
        message.claimed_at = now
        if transactional and decision.action != SEND:
            action = {DEFER: "message.deferred", BLOCK: "message.blocked"}[decision.action]
            notice_audit(action, message, decision.as_json())
        elif not transactional:
            decided.append([message.pk, decision.action, decision.reason])
        if decision.action == DEFER:
            message.status, message.not_before = MessageStatus.DEFERRED, decision.until
        elif decision.action == BLOCK:
            message.status, message.block_reason = MessageStatus.BLOCKED, decision.reason
        else:
            message.status, message.handoff_batch = MessageStatus.SENDING, batch
            message.attempts += 1
            sendable.append(message)
            if not transactional:
                planned.setdefault(message.debtor_id, []).append((now, message.channel))
    return sendable, decided


def _country(message: Message) -> str:
    if message.campaign_id:
        return message.campaign.portfolio.country
    if message.debt_id:
        return message.debt.portfolio.country
    return message.context.get("country", "CO")


@dataclass
class Links:
    """Each campaign message's own link: the token goes in its text, only the hash is saved."""

    by_campaign: dict[int, list[Message]] = field(default_factory=dict)
    tokens: dict[int, str] = field(default_factory=dict)
    hashes: dict[int, str] = field(default_factory=dict)


def links_mint(sendable: list[Message]) -> Links:
    """A token per campaign message to send (notices carry their links in their context)."""
    links = Links()
    for message in sendable:
        if message.campaign_id:
            links.by_campaign.setdefault(message.campaign_id, []).append(message)
    for group in links.by_campaign.values():
        for message, (token, token_hash) in zip(
            group, payment_link_tokens(len(group)), strict=True
        ):
            links.tokens[message.pk], links.hashes[message.pk] = token, token_hash
    return links


def links_save(links: Links) -> None:
    """The minted links saved, one insert and one audit event per campaign, and set on
    their messages."""
    for campaign_id, group in links.by_campaign.items():
        link_ids = payment_links_save_for_campaign(
            links=[(m.debtor_id, links.hashes[m.pk], m.channel, m.to) for m in group],
            portfolio=group[0].campaign.portfolio,
            campaign_id=campaign_id,
        )
        for message, link_id in zip(group, link_ids, strict=True):
            message.payment_link_id = link_id


def _decisions_write(messages: list[Message], decided: list[list], now: dt.datetime) -> None:
    fields = ["status", "not_before", "block_reason", "decision", "subject", "body", "error",
              "claimed_at", "attempts", "handoff_batch"]  # fmt: skip
    rows_update(
        Message,
        [
            {"id": m.pk, "payment_link_id": m.payment_link_id, **{f: getattr(m, f) for f in fields}}
            for m in messages
        ],
    )
    if decided:  # one event per batch: a campaign decides thousands at once
        record("message.decided", details={"decisions": decided, "at": now})
