"""Disputes the debtor files on the portal: filing (the debt goes on the dispute hold at
once), the answer's deadline, and the resolution (upheld: the debt is closed or its balance
adjusted through the ledger; rejected: with the verification document). Each step writes
its audit entry in its own transaction. Messages to the debtor are the callers' (selfservice
and staff call outreach's notice pipeline inside that transaction): this app sits below it.
Files are written to the private storage as the rows are; a step that fails deletes the
files it wrote (`dispute_files_forget` for a caller whose later work fails).

Deadline rule, by the portfolio's country when the case is filed:
- CO (and any country but US): the answer is due 15 business days after the day the case
  was received, counted from the next day, skipping Saturdays, Sundays and the country's
  public holidays (`holidays`), in the portfolio's timezone (Ley 1266 de 2008, art. 16);
- US: no fixed term; the debt stays held (no collection) until the verification is sent
  (12 CFR 1006.34, FDCPA §809(b)).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.services import record

from .disputes import dispute_hold_close, dispute_hold_open
from .models import (
    CaseStatus,
    Debt,
    Debtor,
    DebtStatus,
    DisputeCase,
    DisputeDocument,
    DisputeReason,
    DocumentKind,
    HoldKind,
    LedgerKind,
    UpheldAction,
)
from .services import ledger_post

ANSWER_BUSINESS_DAYS = 15  # Ley 1266 de 2008, art. 16
NO_DEADLINE_COUNTRIES = frozenset({"US"})
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 3
# Magic numbers of what we accept; the name's extension is never trusted.
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


class DisputeError(ValueError):
    """A filing or resolution that cannot be made; the message is shown as it is."""


@dataclass(frozen=True)
class Upload:
    """A checked file: its bytes, the type sniffed from them, the name it came with."""

    name: str
    content: bytes
    content_type: str


def upload_check(file) -> Upload:
    """Read an uploaded file (at most the limit, plus one byte to know it is over) and
    accept it only if its bytes are a PDF, PNG or JPEG."""
    file.seek(0)
    content = file.read(MAX_ATTACHMENT_BYTES + 1)
    name = (getattr(file, "name", "") or "file").rsplit("/", 1)[-1][:100]
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise DisputeError(
            _("%(name)s is larger than %(mb)s MB.")
            % {"name": name, "mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)}
        )
    if not content:
        raise DisputeError(_("%(name)s is empty.") % {"name": name})
    for magic, content_type, _suffix in _SIGNATURES:
        if content.startswith(magic):
            return Upload(name=name, content=content, content_type=content_type)
    raise DisputeError(_("%(name)s is not a PDF, PNG or JPEG file.") % {"name": name})


@lru_cache(maxsize=16)
def _holidays(country: str, year: int):
    return holidays.country_holidays(country, years=year)


def business_days_after(start: dt.date, days: int, country: str) -> dt.date:
    """The `days`-th business day after `start` (not counting `start`): Monday to Friday,
    not a public holiday of `country`."""
    day, left = start, days
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in _holidays(country, day.year):
            left -= 1
    return day


def answer_due_on(*, country: str, tz: str, filed_at: dt.datetime) -> dt.date | None:
    """When the answer is owed (see the module's rule); None: no fixed term."""
    if country in NO_DEADLINE_COUNTRIES:
        return None
    received = filed_at.astimezone(ZoneInfo(tz)).date()
    return business_days_after(received, ANSWER_BUSINESS_DAYS, country)


def case_number(case: DisputeCase) -> str:
    """`DISP-<local year filed>-<id, six digits>`: the id is unique, so is the number."""
    return f"DISP-{timezone.localtime(case.filed_at):%Y}-{case.pk:06d}"


def _store(case: DisputeCase, upload: Upload, kind: str, actor=None) -> DisputeDocument:
    suffix = next(s for _m, t, s in _SIGNATURES if t == upload.content_type)
    document = DisputeDocument(
        case=case,
        kind=kind,
        original_name=upload.name,
        content_type=upload.content_type,
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        uploaded_by=actor if getattr(actor, "is_staff", False) else None,
    )
    # Stored under a random name with the suffix of what it is, whatever it was called.
    document.file.save(f"{case.number}{suffix}", ContentFile(upload.content), save=False)
    try:
        document.save()
    except Exception:
        _forget(document)
        raise
    return document


def dispute_files_forget(case: DisputeCase, *, kind: str | None = None) -> None:
    """For a caller whose transaction is failing after a step stored files: delete them
    (their rows roll back with it)."""
    documents = case.documents.all()
    _forget(*(documents.filter(kind=kind) if kind else documents))


def _forget(*documents: DisputeDocument) -> None:
    """Delete stored files whose rows will not exist (the transaction is failing)."""
    for document in documents:
        if document.file.name:
            document.file.storage.delete(document.file.name)


@transaction.atomic
def dispute_case_file(
    *,
    debtor: Debtor,
    debt: Debt,
    reason: str,
    text: str = "",
    uploads: list[Upload] = (),
    now: dt.datetime | None = None,
) -> DisputeCase:
    """The debtor disputes one of their debts: the case is numbered, its attachments
    stored, its deadline set, and the debt put on the dispute hold at once (it gets no
    outreach and is not reported while the hold is open). Audited as `dispute.filed` (and
    `debt.disputed` by the hold)."""
    now = now or timezone.now()
    if debt.debtor_id != debtor.pk:
        raise DisputeError(_("This debt is not yours."))
    if reason not in DisputeReason.values:
        raise DisputeError(_("Choose the reason for your dispute."))
    if len(uploads) > MAX_ATTACHMENTS:
        raise DisputeError(_("Attach at most %(count)s files.") % {"count": MAX_ATTACHMENTS})
    debt = Debt.objects.select_for_update().select_related("portfolio").get(pk=debt.pk)
    if DisputeCase.objects.filter(debt=debt, status=CaseStatus.OPEN).exists():
        raise DisputeError(_("This debt already has a dispute under review."))
    portfolio = debt.portfolio
    case = DisputeCase.objects.create(
        debtor=debtor,
        debt=debt,
        reason=reason,
        text=text.strip()[:4000],
        country=portfolio.country,
        currency=debt.currency,
        filed_at=now,
        due_on=answer_due_on(country=portfolio.country, tz=portfolio.timezone, filed_at=now),
    )
    case.number = case_number(case)
    case.save(update_fields=["number"])
    documents: list[DisputeDocument] = []
    try:
        for upload in uploads:
            documents.append(_store(case, upload, DocumentKind.ATTACHMENT))
        _hold_and_record(debtor, debt, case, reason, documents, now)
    except Exception:
        _forget(*documents)  # nothing written survives a failed filing
        raise
    return case


def _hold_and_record(debtor, debt, case, reason, documents, now) -> None:
    dispute_hold_open(
        debt=debt,
        kind=HoldKind.ONLINE,
        reference=case.number,
        actor=debtor,
        details={"source": "portal", "case": case.number},
        now=now,
    )
    record(
        "dispute.filed",
        actor=debtor,
        subject=case,
        details={
            "number": case.number,
            "reason": reason,
            "debt_id": debt.pk,
            "text": case.text,
            "due_date": case.due_on,
            "attachments": [d.original_name for d in documents],
        },
    )


@transaction.atomic
def dispute_case_resolve(
    *,
    case: DisputeCase,
    resolver,
    status: str,
    note: str,
    action: str = "",
    adjustment_minor: int | None = None,
    verification: Upload | None = None,
    now: dt.datetime | None = None,
) -> DisputeCase:
    """Answer an open case, in one transaction:

    - upheld, close: the debt is closed (whatever other dispute holds it);
    - upheld, adjust: the balance goes down by `adjustment_minor` through one ledger
      adjustment (imputed interest, fees, then principal, so the parts keep summing to the
      balance), and the hold closes (the debt returns to its status before, once no other
      hold is open);
    - rejected: the verification document is required and stored, and the hold closes.

    Audited as `dispute.resolved` with the debtor (their timeline)."""
    now = now or timezone.now()
    case = DisputeCase.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise DisputeError(_("This dispute is already resolved."))
    note = (note or "").strip()
    if not note:
        raise DisputeError(_("Write the answer: the debtor reads it on the portal."))
    entry = None
    to = None
    if status == CaseStatus.UPHELD:
        if action == UpheldAction.CLOSE:
            to = DebtStatus.CLOSED
        elif action == UpheldAction.ADJUST:
            entry = _adjust(case, resolver, adjustment_minor)
        else:
            raise DisputeError(_("Choose whether to close the debt or adjust its balance."))
    elif status == CaseStatus.REJECTED:
        if verification is None:
            raise DisputeError(_("Attach the verification document of the debt."))
        action, adjustment_minor = "", None
    else:
        raise DisputeError(_("Choose whether the dispute is upheld or rejected."))
    document = None
    try:
        if verification is not None and status == CaseStatus.REJECTED:
            document = _store(case, verification, DocumentKind.VERIFICATION, actor=resolver)
        _close(case, resolver, status, note, action, adjustment_minor, entry, to, now)
    except Exception:
        if document is not None:
            _forget(document)  # the answer failed: its file goes too
        raise
    return case


def _close(case, resolver, status, note, action, adjustment_minor, entry, to, now) -> None:
    moved_to = dispute_hold_close(
        debt_id=case.debt_id,
        kind=HoldKind.ONLINE,
        reference=case.number,
        actor=resolver,
        to=to,
        event=None,  # dispute.resolved below states it
        now=now,
    )
    case.status, case.resolved_at, case.resolved_by = status, now, resolver
    case.resolution_note, case.upheld_action = note[:2000], action
    case.adjustment_minor = adjustment_minor if entry else None
    case.ledger_entry = entry
    case.save(
        update_fields=[
            "status",
            "resolved_at",
            "resolved_by",
            "resolution_note",
            "upheld_action",
            "adjustment_minor",
            "ledger_entry",
        ]
    )
    record(
        "dispute.resolved",
        actor=resolver,
        subject=case,
        debtor=case.debtor_id,
        details={
            "number": case.number,
            "status": status,
            "action": action,
            "adjustment_minor": case.adjustment_minor,
            "currency": case.currency,
            "debt_id": case.debt_id,
            "restored_to": moved_to,
            "text": case.resolution_note,
        },
    )


def _adjust(case: DisputeCase, resolver, amount_minor: int | None):
    if not amount_minor or amount_minor <= 0:
        raise DisputeError(_("Type the amount the balance goes down by."))
    balance = Debt.objects.filter(pk=case.debt_id).values_list("balance_minor", flat=True).get()
    if amount_minor > balance:
        raise DisputeError(_("The adjustment is more than the balance: close the debt instead."))
    return ledger_post(
        debt=Debt.objects.get(pk=case.debt_id),
        kind=LedgerKind.ADJUSTMENT,
        amount_minor=-amount_minor,
        description=f"{case.number}: {_('dispute upheld')}"[:255],
        actor=resolver,
    )
