"""Claiming due rows once, and loading what deciding and rendering them needs."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from portal.db import datetime_param, ids_param, is_postgresql

from ..models import Campaign, Message, MessageStatus


def claim(ids: list[int], now: dt.datetime) -> list[int]:
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


def claimed_load(claimed: list[int]) -> list[Message]:
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
