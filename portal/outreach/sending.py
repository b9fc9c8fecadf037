"""The outbox: queue a message, then dispatch it — claim, decide, render, hand off.

Dispatch claims rows with one conditional `UPDATE … WHERE status IN ('queued','deferred')
RETURNING id`, decides and renders them in the same transaction, and calls the provider
only after commit. A worker killed before that commit leaves its rows queued (the beat
task picks them up again); a row already claimed is never claimed twice, so nothing is
sent twice. A worker killed during the hand-off leaves rows in `sending`:
`stale_sending_fail` marks them failed ("interrupted") rather than risk a duplicate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.access.services import payment_links_mint, payment_links_save_for_campaign
from portal.audit.services import record
from portal.debtors.models import Debt, Debtor

from . import rendering
from .attachments import StoredFile
from .bulk import rows_update
from .channels import Outgoing, SendError, get_backend
from .models import CampaignTemplate, Message, MessageKind, MessageStatus
from .policy import BLOCK, DEFER, SEND, decide
from .rules import rules_for
from .selectors import address_for, facts_for_many

STALE_AFTER = dt.timedelta(minutes=15)
RESULTS_EVERY = 100  # provider answers written together, one commit per hundred


def message_queue(
    *,
    debtor: Debtor,
    channel: str,
    key: str,
    kind: str = MessageKind.NOTICE,
    notice: str = "",
    context: dict[str, Any] | None = None,
    debt: Debt | None = None,
    on_portal: bool = False,
) -> Message:
    """Create the message once per `key` and dispatch it after commit.

    `context` must be JSON: it is stored and rendered at send time in the debtor's language.
    `on_portal` says the debtor is on the portal now (a receipt may go out of hours).
    """
    message, created = Message.objects.get_or_create(
        key=key,
        defaults={
            "debtor": debtor,
            "channel": channel,
            "kind": kind,
            "notice": notice,
            "context": context or {},
            "debt": debt,
            "to": address_for(debtor, channel),
        },
    )
    if created:
        from .tasks import dispatch_messages

        ids = [message.pk]
        transaction.on_commit(lambda: dispatch_messages.delay(ids, on_portal), robust=True)
    return message


def _claim(ids: list[int], now: dt.datetime) -> list[int]:
    if not ids:
        return []
    table = Message._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "
            f"WHERE id IN ({marks}) AND status IN (%s, %s) AND not_before <= %s "
            f"RETURNING id",
            [MessageStatus.SENDING, now, *ids, MessageStatus.QUEUED, MessageStatus.DEFERRED, now],
        )
        return [row[0] for row in cursor.fetchall()]


def _campaign_text(message: Message, templates: dict, link_url: str) -> tuple:
    campaign = message.campaign
    debtor = message.debtor
    template = templates.get((message.channel, debtor.language)) or next(
        (t for (c, _lang), t in templates.items() if c == message.channel), None
    )
    if template is None:
        raise SendError(f"campaign has no {message.channel} template")
    values = rendering.placeholder_values(
        debtor=debtor,
        creditor=campaign.portfolio.creditor.name,
        amount_minor=message.context.get("amount_minor", 0),
        currency=campaign.portfolio.currency,
        link=link_url,
    )
    text = rendering.fill(template.body, values)
    subject = rendering.fill(template.subject, values)
    html = ""
    if message.channel == "email":
        html = render_to_string(
            "outreach/notices/_email.html", {"text": text, "PORTAL_NAME": settings.PORTAL_NAME}
        )
    return rendering.Rendered(subject, text, html), template, values


def _link_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("access:open_link", args=[token])


def _prepare(messages: list[Message], now: dt.datetime, on_portal: bool):
    """Decide each claimed message; mint links and render the ones to send."""
    facts = facts_for_many(messages, now=now, on_portal=on_portal)
    to_send, decided, updates = [], [], []
    sendable = []
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
        if transactional and decision.action != SEND:
            action = {DEFER: "message.deferred", BLOCK: "message.blocked"}[decision.action]
            _audit_notice(action, message, decision.as_json())
        elif not transactional:
            decided.append([message.pk, decision.action, decision.reason])
        if decision.action == DEFER:
            message.status, message.not_before = MessageStatus.DEFERRED, decision.until
        elif decision.action == BLOCK:
            message.status, message.block_reason = MessageStatus.BLOCKED, decision.reason
        else:
            sendable.append(message)
            if not transactional:
                planned.setdefault(message.debtor_id, []).append((now, message.channel))
        updates.append(message)
    tokens = {}
    by_campaign: dict[int, list[Message]] = {}
    for message in sendable:
        if message.campaign_id:
            by_campaign.setdefault(message.campaign_id, []).append(message)
    minted: dict[int, list] = {}
    for campaign_id, group in by_campaign.items():
        pairs = payment_links_mint(
            recipients=[(m.debtor_id, m.campaign.portfolio) for m in group],
            campaign_id=campaign_id,
        )
        minted[campaign_id] = [link for link, _token in pairs]
        for message, (link, token) in zip(group, pairs, strict=True):
            message.payment_link = link
            tokens[message.pk] = token
    templates = _templates_for(set(by_campaign))
    for message in sendable:
        try:
            to_send.append(_outgoing(message, tokens.get(message.pk), templates))
        except SendError as exc:
            message.status, message.error = MessageStatus.FAILED, str(exc)[:255]
    # Audited writes last: the audit chain's lock is then held only until the commit.
    for campaign_id, links in minted.items():
        payment_links_save_for_campaign(links=links, campaign_id=campaign_id)
        for message in by_campaign[campaign_id]:
            message.payment_link_id = message.payment_link.pk  # assigned before it had one
    fields = ["status", "not_before", "block_reason", "decision", "subject", "body", "error"]
    rows_update(
        Message,
        [
            {"id": m.pk, "payment_link_id": m.payment_link_id, **{f: getattr(m, f) for f in fields}}
            for m in updates
        ],
    )
    if decided:  # one event per batch: a campaign decides thousands at once
        record("message.decided", details={"decisions": decided, "at": now})
    return to_send


def _audit_notice(action: str, message: Message, decision: dict) -> None:
    """Notices get one event each, shaped as the apps that send them always wrote them."""
    record(
        action,
        subject=("debtors.debtor", message.debtor_id),
        details={
            "channel": message.channel,
            "notice": message.notice,
            "to": message.to,
            "subject": message.subject or message.context.get("subject", ""),
            "message_id": message.pk,
            "decision": decision,
        },
    )


def _country(message: Message) -> str:
    if message.campaign_id:
        return message.campaign.portfolio.country
    if message.debt_id:
        return message.debt.portfolio.country
    return message.context.get("country", "CO")


def _templates_for(campaign_ids: set[int]) -> dict[int, dict]:
    templates: dict[int, dict] = {}
    for template in CampaignTemplate.objects.filter(campaign_id__in=campaign_ids):
        templates.setdefault(template.campaign_id, {})[(template.channel, template.language)] = (
            template
        )
    return templates


def _outgoing(message: Message, token: str | None, templates: dict) -> Outgoing:
    headers, variables, content_sid = {}, {}, ""
    if message.campaign_id:
        link = _link_url(token)
        rendered, template, values = _campaign_text(
            message, templates.get(message.campaign_id, {}), link
        )
        content_sid = template.whatsapp_content_sid
        variables = {str(i + 1): values[name] for i, name in enumerate(rendering.PLACEHOLDERS)}
        stored = rendered.text.replace(link, rendering.LINK_MARK)
    else:
        rendered = rendering.render_notice(
            notice=message.notice,
            channel=message.channel,
            language=message.debtor.language,
            context=message.context,
        )
        stored = rendered.text
    html = rendered.html
    if message.channel == "email":
        url = rendering.unsubscribe_url(debtor_id=message.debtor_id, message_id=message.pk)
        headers = rendering.email_headers(url)
        html = html.replace("__UNSUBSCRIBE__", url)
        with translation.override(message.debtor.language or settings.LANGUAGE_CODE):
            footer = _("To stop receiving these emails: %(url)s") % {"url": url}
        rendered = rendering.Rendered(rendered.subject, f"{rendered.text}\n\n{footer}", html)
        stored = f"{stored}\n\n{footer}"
    message.subject, message.body = rendered.subject[:200], rendering.redact_links(stored)
    return Outgoing(
        message_id=message.pk,
        kind=message.kind,
        channel=message.channel,
        to=message.to,
        text=rendered.text,
        subject=rendered.subject,
        html=html,
        headers=headers,
        whatsapp_content_sid=content_sid,
        whatsapp_variables=variables,
        stored_attachments=tuple(message.context.get("attachments", ())),
    )


def messages_dispatch(
    message_ids: list[int],
    *,
    now: dt.datetime | None = None,
    on_portal: bool = False,
    attachments: dict[int, list] | None = None,
) -> dict[str, int]:
    """Claim, decide and send the given messages that are due; returns counts by outcome."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = _claim(message_ids, now)
        messages = list(
            Message.objects.filter(pk__in=claimed)
            .exclude(campaign__status__in=["paused", "cancelled", "draft"])
            .select_related("debtor", "campaign__portfolio__creditor", "debt__portfolio")
            .order_by("id")  # insertion order: the debtor's preferred channel first
        )
        # A campaign paused between queueing and claiming: hand its rows back untouched.
        held = set(claimed) - {m.pk for m in messages}
        if held:
            Message.objects.filter(pk__in=held).update(status=MessageStatus.QUEUED)
        outgoing = _prepare(messages, now, on_portal) if messages else []
    counts = {"claimed": len(messages), "sent": 0, "failed": 0}
    results: list[dict] = []
    for item in outgoing:
        files = (attachments or {}).get(item.message_id) or ()
        item = replace(item, attachments=tuple(files)) if files else item
        result = _hand_off(item)
        counts[result["status"]] += 1
        results.append(result)
        if len(results) >= RESULTS_EVERY:
            _results_write(results, outgoing)
            results = []
    _results_write(results, outgoing)
    counts["decided_not_sent"] = len(messages) - counts["sent"] - counts["failed"]
    return counts


def _hand_off(item: Outgoing) -> dict:
    """One provider call, outside any transaction; returns the row's new values."""
    now = timezone.now()
    try:
        provider_id = get_backend(item.channel).send(item)
    except SendError as exc:
        return {"id": item.message_id, "status": "failed", "provider_id": None,
                "error": str(exc)[:255], "sent_at": now}  # fmt: skip
    return {"id": item.message_id, "status": "sent", "provider_id": provider_id,
            "error": "", "sent_at": now}  # fmt: skip


def _results_write(results: list[dict], outgoing: list[Outgoing]) -> None:
    """Providers' answers, a batch at a time (one commit, not one per message), only onto
    rows still `sending`. A worker killed before this leaves them `sending`, so
    `stale_sending_fail` marks them failed rather than send them twice."""
    if not results:
        return
    rows_update(Message, results, only_status=MessageStatus.SENDING)
    kinds = {o.message_id: o.kind for o in outgoing}
    notices = [r["id"] for r in results if kinds.get(r["id"]) == MessageKind.NOTICE]
    if notices:
        # A notice's pre-rendered text may hold a personal link: once sent, it is not kept.
        Message.objects.filter(pk__in=notices).update(context={})
        for message in Message.objects.filter(pk__in=notices):
            action = "message.sent" if message.status == "sent" else "message.failed"
            _audit_notice(action, message, message.decision)
    failed = [r["id"] for r in results if r["status"] == "failed" and r["id"] not in notices]
    if failed:
        record("message.failed", details={"messages": failed})


@transaction.atomic
def stale_sending_fail(*, now: dt.datetime | None = None) -> int:
    """Rows left in `sending` by a killed worker: maybe sent, so never sent again."""
    now = now or timezone.now()
    stale = list(
        Message.objects.filter(
            status=MessageStatus.SENDING, claimed_at__lt=now - STALE_AFTER
        ).values_list("id", flat=True)
    )
    if stale:
        Message.objects.filter(pk__in=stale, status=MessageStatus.SENDING).update(
            status=MessageStatus.FAILED, error="interrupted during hand-off; not resent"
        )
        record("message.interrupted", details={"messages": stale})
    return len(stale)


def notice_send_now(
    *,
    debtor: Debtor,
    key: str,
    notice: str,
    subject: str,
    text: str,
    channel: str = "email",
    on_portal: bool = False,
    attachments: list[StoredFile] | None = None,
) -> Message:
    """A notice another app rendered, sent now through the policy (callers are after
    commit). Blocked or deferred, it says so on the returned message.

    `on_portal=True` only from the debtor's own request; otherwise the policy reads whether
    they have a live portal session. Attachments are references to stored files, kept on
    the message, so a notice deferred to the next window still carries them.
    """
    context = {"subject": subject, "text": text}
    if attachments:
        context["attachments"] = [f.as_json() for f in attachments]
    message, _created = Message.objects.get_or_create(
        key=key,
        defaults={
            "debtor": debtor,
            "channel": channel,
            "kind": MessageKind.NOTICE,
            "notice": notice,
            "context": context,
            "to": address_for(debtor, channel),
        },
    )
    if not _created and message.status == MessageStatus.FAILED:
        # The caller retries (a task's retry after a provider error): send it again, with
        # the text and files the failed hand-off cleared from the row.
        Message.objects.filter(pk=message.pk, status=MessageStatus.FAILED).update(
            status=MessageStatus.QUEUED, error="", context=context
        )
    messages_dispatch([message.pk], on_portal=on_portal)
    message.refresh_from_db()
    return message
