"""Outreach's side of the portfolio import: the file's consent columns become the initial
consent of debtors who have none recorded for that channel.

A later import never overwrites a recorded choice (the debtor's own, a STOP, an agent's):
the file is the agency's claim, the debtor's word comes first. All rows land in one
insert and one audit event listing each (debtor, channel, granted, line).
"""

from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone

from portal.audit.services import record
from portal.debtors.importing import consents_imported
from portal.debtors.importing.values import CONSENT_CHANNELS

from .models import Consent, ConsentSource


@receiver(consents_imported)
def consents_from_import(*, portfolio, consents, sha256, actor=None, **kwargs) -> None:
    wanted: dict[tuple[int, str], tuple[bool, int]] = {}
    for debtor_id, code, line in consents:
        for channel, mark in zip(CONSENT_CHANNELS, code, strict=True):
            if mark != "-":
                wanted[(debtor_id, channel)] = (mark == "y", line)  # last row wins
    existing = set(
        Consent.objects.filter(debtor_id__in={d for d, _c in wanted}).values_list(
            "debtor_id", "channel"
        )
    )
    now = timezone.now()
    new = [
        Consent(
            debtor_id=debtor_id,
            channel=channel,
            granted=granted,
            source=ConsentSource.IMPORT,
            evidence={"portfolio": portfolio.code, "file_sha256": sha256, "line": line},
            changed_at=now,
        )
        for (debtor_id, channel), (granted, line) in wanted.items()
        if (debtor_id, channel) not in existing
    ]
    Consent.objects.bulk_create(new, batch_size=5000)
    if new:
        record(
            "consent.imported",
            actor=actor,
            subject=portfolio,
            details={
                "file_sha256": sha256,
                "consents": [[c.debtor_id, c.channel, c.granted, c.evidence["line"]] for c in new],
                "kept_existing": len(wanted) - len(new),
            },
        )
