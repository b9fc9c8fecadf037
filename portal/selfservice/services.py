from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from portal.audit.services import record
from portal.debtors.dispute_cases import Upload, dispute_case_file, dispute_files_forget
from portal.debtors.models import Debt, Debtor, DisputeCase
from portal.outreach.models import ConsentSource
from portal.outreach.notices import notice_send
from portal.outreach.services import consent_set

# Shown next to the checkboxes and stored with each consent change (Ley 1581, Decreto 1377).
CONSENT_TEXT_VERSION = "portal-preferences-v1"


@transaction.atomic
def debtor_preferences_update(
    *,
    debtor: Debtor,
    preferred_channel: str,
    contact_from: dt.time,
    contact_to: dt.time,
    channels: dict[str, bool],
    evidence: dict[str, Any],
) -> list[str]:
    """Save contact preferences and per-channel consent; returns what changed."""
    changed: list[str] = []
    before = {
        "preferred_channel": debtor.preferred_channel,
        "contact_from": debtor.contact_from,
        "contact_to": debtor.contact_to,
    }
    after = {
        "preferred_channel": preferred_channel,
        "contact_from": contact_from,
        "contact_to": contact_to,
    }
    if before != after:
        for field, value in after.items():
            setattr(debtor, field, value)
        debtor.save(update_fields=[*after, "updated_at"])
        record(
            "debtor.preferences_changed",
            actor=debtor,
            subject=debtor,
            details={"before": before, "after": after, **evidence},
        )
        changed.extend(field for field in after if before[field] != after[field])
    for channel, granted in channels.items():
        consent = consent_set(
            debtor=debtor,
            channel=channel,
            granted=granted,
            source=ConsentSource.PORTAL,
            evidence={**evidence, "text_version": CONSENT_TEXT_VERSION},
            actor=debtor,
        )
        if consent is not None:
            changed.append(channel)
    return changed


@transaction.atomic
def dispute_file(
    *, debtor: Debtor, debt: Debt, reason: str, text: str, uploads: list[Upload]
) -> DisputeCase:
    """The debtor disputes a debt from the portal: the case and its hold
    (`portal.debtors.dispute_cases`), and the acknowledgement with the case number through
    the notice pipeline, sent at once (the debtor is on the portal right now)."""
    case = dispute_case_file(debtor=debtor, debt=debt, reason=reason, text=text, uploads=uploads)
    try:
        notice_send(
            debtor=debtor,
            notice="dispute_received",
            context={"case": case},
            about=["case"],
            on_portal=True,
            debt=debt,
        )
    except Exception:
        dispute_files_forget(case)  # the filing rolls back: its attachments go too
        raise
    return case
