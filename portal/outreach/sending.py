"""The outbox: queue a message, then dispatch it — claim, decide, render, hand off.

Dispatch claims rows with one conditional `UPDATE … WHERE status IN ('queued','deferred')
RETURNING id`, decides and renders them in the same transaction, and calls the provider
only after commit. A worker killed before that commit leaves its rows queued (the beat
task picks them up again); a row already claimed is never claimed twice, so nothing is
sent twice. A worker killed during the hand-off leaves rows in `sending`; its hand-off
journal (`handoff.py`: one Redis command per message) tells the sweeper,
`messages_interrupted_recover`, which of them reached the provider, which one was in
flight (`uncertain`, never resent) and which never left (queued again and sent).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.access.services import payment_link_tokens, payment_links_save_for_campaign
from portal.audit.services import record
from portal.db import datetime_param, ids_param, is_postgresql
from portal.debtors.models import Debt, Debtor

from . import handoff, rendering
from .attachments import StoredFile
from .bulk import rows_update
from .channels import Outgoing, SendError, get_backend
from .models import Campaign, CampaignTemplate, Message, MessageKind, MessageStatus
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
    """Take the rows still due, once. On PostgreSQL they are locked (`FOR UPDATE SKIP
    LOCKED`, in id order) until the dispatch transaction commits with each row's decision:
    workers racing for the same rows split them instead of waiting on (or deadlocking with)
    each other, and each row is written once, not once to claim and again to decide.
    Elsewhere (SQLite, one writer at a time) the claim sets `sending` first."""
    if not ids:
        return []
    table = Message._meta.db_table
    due = [MessageStatus.QUEUED, MessageStatus.DEFERRED, datetime_param(now)]
    with connection.cursor() as cursor:
        if is_postgresql():
            # Found by id only: `status || ''` keeps the planner off message_due_idx,
            # whose entries span a whole campaign (dead ones too, until vacuum), so a
            # bitmap AND with it would cost the campaign's size on every batch.
            cursor.execute(
                f"SELECT id FROM {table} WHERE id = ANY(%s::bigint[]) "
                "AND status || '' IN (%s, %s) AND not_before <= %s "
                "ORDER BY id FOR UPDATE SKIP LOCKED",
                [list(ids), *due],
            )
        else:
            cursor.execute(
                f"UPDATE {table} SET status = %s WHERE id IN ({', '.join(['%s'] * len(ids))}) "
                "AND status IN (%s, %s) AND not_before <= %s RETURNING id",
                [MessageStatus.SENDING, *ids, *due],
            )
        return sorted(row[0] for row in cursor.fetchall())


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
    before, after = _link_affixes(settings.PUBLIC_BASE_URL)
    return before + token + after


@functools.lru_cache(maxsize=8)
def _link_affixes(base_url: str) -> tuple[str, str]:
    """What surrounds the token in a link: `reverse` once, not once per message."""
    before, after = reverse("access:open_link", args=["TOKEN"]).split("TOKEN")
    return base_url.rstrip("/") + before, after


def _prepare(messages: list[Message], now: dt.datetime, on_portal: bool, batch: str):
    """Decide each claimed message; mint links and render the ones to send. The ones to
    send become `sending` in `batch` (their hand-off journal), one attempt more."""
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
        message.claimed_at = now
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
            message.status, message.handoff_batch = MessageStatus.SENDING, batch
            message.attempts += 1
            sendable.append(message)
            if not transactional:
                planned.setdefault(message.debtor_id, []).append((now, message.channel))
        updates.append(message)
    tokens, hashes = {}, {}
    by_campaign: dict[int, list[Message]] = {}
    for message in sendable:
        if message.campaign_id:
            by_campaign.setdefault(message.campaign_id, []).append(message)
    for group in by_campaign.values():
        for message, (token, token_hash) in zip(
            group, payment_link_tokens(len(group)), strict=True
        ):
            tokens[message.pk], hashes[message.pk] = token, token_hash
    templates = _templates_for(set(by_campaign))
    for message in sendable:
        try:
            to_send.append(_outgoing(message, tokens.get(message.pk), templates))
        except SendError as exc:
            message.status, message.error = MessageStatus.FAILED, str(exc)[:255]
    # Audited writes last: the audit chain's lock is then held only until the commit.
    for campaign_id, group in by_campaign.items():
        link_ids = payment_links_save_for_campaign(
            links=[(m.debtor_id, hashes[m.pk]) for m in group],
            portfolio=group[0].campaign.portfolio,
            campaign_id=campaign_id,
        )
        for message, link_id in zip(group, link_ids, strict=True):
            message.payment_link_id = link_id
    fields = ["status", "not_before", "block_reason", "decision", "subject", "body", "error",
              "claimed_at", "attempts", "handoff_batch"]  # fmt: skip
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
) -> dict[str, int]:
    """Claim, decide and send the given messages that are due; returns counts by outcome."""
    now = now or timezone.now()
    batch = handoff.new_batch()
    journal = handoff.Journal(batch)
    with transaction.atomic():
        claimed = _claim(message_ids, now)
        messages = _claimed_load(claimed)
        # A campaign paused between queueing and claiming: its rows stay as they were.
        held = set(claimed) - {m.pk for m in messages}
        if held and not is_postgresql():
            Message.objects.filter(pk__in=held).update(status=MessageStatus.QUEUED)
        outgoing = _prepare(messages, now, on_portal, batch) if messages else []
        if outgoing:
            journal.open()  # before the commit: from then on a row it omits never left
    counts = {"claimed": len(messages), "sent": 0, "failed": 0}
    results: list[dict] = []
    for i, item in enumerate(outgoing):
        refused = journal.before_hand_off(item.message_id)
        if refused != handoff.OK:
            _hand_off_stop(refused, batch, outgoing[i:])
            break
        result = _hand_off(item)
        journal.answered(item.message_id, result)
        counts[result["status"]] += 1
        results.append(result)
        if len(results) >= RESULTS_EVERY:
            journal.flush()
            _results_write(results, outgoing)
            results = []
    journal.flush()
    _results_write(results, outgoing)
    if outgoing:
        journal.close()
    counts["decided_not_sent"] = len(messages) - counts["sent"] - counts["failed"]
    return counts


def _claimed_load(claimed: list[int]) -> list[Message]:
    """The claimed rows with their debtors, in id order (the debtor's preferred channel
    first); each campaign, its portfolio and creditor loaded once for the batch, not once
    per row. Rows of a paused, cancelled or draft campaign are left out."""
    messages = list(
        Message.objects.filter(pk__in=ids_param(claimed))
        .select_related("debtor", "debt__portfolio")
        .order_by("id")
    )
    campaigns = Campaign.objects.select_related("portfolio__creditor").in_bulk(
        {m.campaign_id for m in messages if m.campaign_id}
    )
    kept = []
    for message in messages:
        if message.campaign_id:
            campaign = campaigns[message.campaign_id]
            if campaign.status in ("paused", "cancelled", "draft"):
                continue
            message.campaign = campaign
        kept.append(message)
    return kept


def _hand_off_stop(refused: int, batch: str, left: list[Outgoing]) -> None:
    """The journal refused a write: hand off nothing more. Fenced, the sweeper owns the
    rows; lost (Redis forgot it), the rows not yet handed off go back to the queue here,
    since no journal will vouch for them later."""
    if refused == handoff.REFUSED_LOST:
        Message.objects.filter(
            pk__in=ids_param([o.message_id for o in left]),
            status=MessageStatus.SENDING,
            handoff_batch=batch,
        ).update(status=MessageStatus.QUEUED, attempts=F("attempts") - 1, handoff_batch="")


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


def _results_write(results: list[dict], outgoing: list[Outgoing] | dict[int, str]) -> None:
    """Providers' answers, a batch at a time (one commit, not one per message), only onto
    rows still `sending`. A worker killed before this leaves them `sending`; the hand-off
    journal keeps the answers until then (`messages_interrupted_recover`). `outgoing`
    gives each row's kind (or is {id: kind})."""
    if not results:
        return
    rows_update(Message, results, only_status=MessageStatus.SENDING)
    kinds = outgoing if isinstance(outgoing, dict) else {o.message_id: o.kind for o in outgoing}
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


def messages_interrupted_recover(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Rows a killed worker left in `sending`, settled from its hand-off journal: answered
    rows get their answer, the one in flight becomes `uncertain` (maybe sent: never sent
    again), rows that never reached the provider are queued again. Returns counts."""
    now = now or timezone.now()
    stale: dict[str, list[tuple[int, str]]] = {}
    for pk, batch, kind in (
        Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=now - STALE_AFTER)
        .order_by("id")
        .values_list("id", "handoff_batch", "kind")
    ):
        stale.setdefault(batch, []).append((pk, kind))
    counts = {"answered": 0, "uncertain": 0, "requeued": 0}
    for batch, rows in stale.items():
        for key, value in _batch_recover(batch, rows, now).items():
            counts[key] += value
    return counts


def _beat_time(journal: dict | None) -> dt.datetime | None:
    if not journal or handoff.BEAT not in journal:
        return None
    return dt.datetime.fromtimestamp(float(journal[handoff.BEAT]), tz=dt.UTC)


def _batch_recover(batch: str, rows: list[tuple[int, str]], now: dt.datetime) -> dict:
    beat = handoff.journal_beat(batch) if batch else None
    if beat is not None and now.timestamp() - beat < STALE_AFTER.total_seconds():
        return {}  # its worker still writes: a slow batch, not a dead one
    journal = handoff.journal_fence(batch) if batch else None
    answered, uncertain, requeue = [], [], []
    for pk, _kind in rows:
        entry = None if journal is None else journal.get(str(pk))
        if journal is None or entry == handoff.IN_FLIGHT:
            uncertain.append(pk)
        elif entry is None:
            requeue.append(pk)
        else:
            answered.append(handoff.answer_decode(pk, entry))
    with transaction.atomic():
        _results_write(answered, dict(rows))
        if uncertain:
            Message.objects.filter(
                pk__in=ids_param(uncertain), status=MessageStatus.SENDING
            ).update(
                status=MessageStatus.UNCERTAIN,
                error="interrupted during hand-off: maybe sent; not resent",
                # When it went to the provider (the journal's last beat): it counts
                # toward the debtor's caps like a sent message.
                sent_at=_beat_time(journal) or F("claimed_at"),
            )
            record("message.uncertain", details={"messages": uncertain, "batch": batch})
        if requeue:
            # Never handed to the provider: the attempt did not happen. Its link was never
            # sent; dispatch decides the row again and mints it a new one.
            Message.objects.filter(pk__in=ids_param(requeue), status=MessageStatus.SENDING).update(
                status=MessageStatus.QUEUED, attempts=F("attempts") - 1, handoff_batch=""
            )
            # A campaign cancelled meanwhile: what never left is cancelled with it.
            Message.objects.filter(
                pk__in=ids_param(requeue), status=MessageStatus.QUEUED, campaign__status="cancelled"
            ).update(status=MessageStatus.CANCELLED)
            record("message.requeued", details={"messages": requeue, "batch": batch})
    if batch:
        handoff.journal_delete(batch)
    return {"answered": len(answered), "uncertain": len(uncertain), "requeued": len(requeue)}


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
    html: str = "",
) -> Message:
    """A notice another app rendered, sent now through the policy (callers are after
    commit). Blocked or deferred, it says so on the returned message.

    `on_portal=True` only from the debtor's own request; otherwise the policy reads whether
    they have a live portal session. Attachments are references to stored files, kept on
    the message, so a notice deferred to the next window still carries them.
    """
    context = {"subject": subject, "text": text}
    if html:
        context["html"] = html
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
