"""The rules of a schedule change, without writing anything: what the debtor may still do
(`change_options`) and what a change would make of the schedule (`change_preview`). The
agreement page, the preview page, the debtor's confirmation and the staff approval all ask
these same two functions (see `changes` for the writes and the rules in words).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..models import (
    DONE_CHANGE_STATUSES,
    Agreement,
    AgreementStatus,
    ChangeKind,
    ChangeStatus,
    Installment,
    InstallmentStatus,
    OfferPolicy,
    ScheduleChangeRequest,
)
from ..schedules import ScheduleLine, nth_due_date
from .common import AgreementError


def agreement_policy(agreement: Agreement) -> OfferPolicy | None:
    """The policy the agreement was made under (its quote's or its proposal's), read live:
    staff who change the limits change them for agreements already running too."""
    if agreement.quote_id:
        return agreement.quote.policy
    if agreement.proposal_id:
        return agreement.proposal.policy
    return None


@dataclass(frozen=True)
class ChangeOptions:
    """What the debtor may still do with the schedule, on their own or through a review."""

    active: bool
    policy: OfferPolicy | None
    moves_left: int
    can_skip: bool  # inside the limits
    skip_allowed: bool  # the policy allows one skip at all
    pending: ScheduleChangeRequest | None
    last_decided: ScheduleChangeRequest | None
    changeable: tuple[Installment, ...] = field(default=())

    @property
    def open(self) -> bool:
        return self.active and bool(self.changeable) and self.pending is None


def change_options(
    *,
    agreement: Agreement,
    installments: Iterable[Installment],
    requests: Iterable[ScheduleChangeRequest],
) -> ChangeOptions:
    requests = list(requests)
    policy = agreement_policy(agreement)
    done = [r for r in requests if r.status in DONE_CHANGE_STATUSES]
    moves = sum(1 for r in done if r.kind == ChangeKind.MOVE)
    skipped = any(r.kind == ChangeKind.SKIP for r in done)
    decided = [r for r in requests if r.status in (ChangeStatus.APPROVED, ChangeStatus.REJECTED)]
    return ChangeOptions(
        active=agreement.status == AgreementStatus.ACTIVE,
        policy=policy,
        moves_left=max((policy.max_date_moves if policy else 0) - moves, 0),
        can_skip=bool(policy and policy.allow_skip and not skipped),
        skip_allowed=bool(policy and policy.allow_skip),
        pending=next((r for r in requests if r.status == ChangeStatus.PENDING), None),
        last_decided=max(decided, key=lambda r: (r.decided_at, r.pk), default=None),
        changeable=tuple(i for i in installments if _changeable(i)),
    )


def agreement_change_options(agreement: Agreement) -> ChangeOptions:
    """`change_options` from the agreement's own (prefetched) installments and requests."""
    return change_options(
        agreement=agreement,
        installments=agreement.installments.all(),
        requests=agreement.change_requests.all(),
    )


def _changeable(installment: Installment) -> bool:
    return (
        installment.number > 0
        and installment.status == InstallmentStatus.PENDING
        and installment.paid_minor == 0
    )


@dataclass(frozen=True)
class ChangePreview:
    kind: str
    number: int
    from_date: dt.date
    to_date: dt.date
    lines: list[ScheduleLine]  # the schedule after the change, cancelled ones left out
    breaks: list[str]  # the limits it is outside of; empty: applied at once

    @property
    def within_limits(self) -> bool:
        return not self.breaks


def change_preview(
    *,
    agreement: Agreement,
    installments: list[Installment],
    options: ChangeOptions,
    kind: str,
    number: int,
    new_date: dt.date | None,
    today: dt.date,
    limits: bool = True,
) -> ChangePreview:
    """The schedule after the change and the limits it breaks; AgreementError when no
    review could allow it. `limits=False` is the staff approval: only the fixed rules."""
    if not options.active:
        raise AgreementError(_("Only an active agreement can be changed."))
    target = next((i for i in options.changeable if i.number == number), None)
    if target is None:
        raise AgreementError(_("This installment can no longer be changed."))
    live = [i for i in installments if i.status != InstallmentStatus.CANCELLED]
    breaks: list[str] = []
    policy = options.policy
    if kind == ChangeKind.MOVE:
        to_date = _check_move(target, live, new_date, today)
        if options.moves_left < 1:
            breaks.append(_("You have used the date changes you can make on your own."))
        if policy is None or abs((to_date - target.due_date).days) > policy.max_move_days:
            breaks.append(
                _("The new date is more than %(days)s days away from the current one.")
                % {"days": policy.max_move_days if policy else 0}
            )
        lines = [
            ScheduleLine(i.number, to_date if i is target else i.due_date, i.amount_minor)
            for i in live
        ]
    elif kind == ChangeKind.SKIP:
        last = max(live, key=lambda i: i.number)
        to_date = nth_due_date(last.due_date, agreement.frequency or "monthly", 1)
        if not options.skip_allowed:
            breaks.append(_("Your agreement does not allow skipping an installment."))
        elif not options.can_skip:
            breaks.append(_("You have already skipped an installment."))
        lines = [ScheduleLine(i.number, i.due_date, i.amount_minor) for i in live if i != target]
        lines.append(ScheduleLine(last.number + 1, to_date, target.amount_minor))
    else:
        raise AgreementError(_("This change is not available."))
    return ChangePreview(
        kind=kind,
        number=number,
        from_date=target.due_date,
        to_date=to_date,
        lines=lines,
        breaks=breaks if limits else [],
    )


def _check_move(
    target: Installment, live: list[Installment], new_date: dt.date | None, today: dt.date
) -> dt.date:
    if new_date is None or new_date <= today:
        raise AgreementError(_("Choose a date after today."))
    if new_date == target.due_date:
        raise AgreementError(_("Choose a date different from the current one."))
    before = [i.due_date for i in live if i.number < target.number]
    after = [i.due_date for i in live if i.number > target.number]
    if (before and new_date < max(before)) or (after and new_date > min(after)):
        raise AgreementError(
            _(
                "The new date must keep the installments in order: not before the previous "
                "one, not after the next one."
            )
        )
    return new_date
