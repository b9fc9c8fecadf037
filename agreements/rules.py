"""Checking a debtor's own plan against a policy, and suggesting an affordable one.

Plain functions: each broken bound comes back with a message that names the bound, so
the live preview can explain exactly what to change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.debtors.services import portfolio_today
from portal.money import cash_unit, format_minor

from .models import Frequency, OfferPolicy, Proposal
from .quotes import (
    AFFORDABLE_SHARE,
    HARD_MAX_INSTALLMENTS,
    BalanceParts,
    Offer,
    first_due_for,
    make_offer,
    percent_up,
)


@dataclass(frozen=True)
class Break:
    bound: str
    message: str


@dataclass(frozen=True)
class PlanCheck:
    errors: list[Break] = field(default_factory=list)  # impossible: refuse the proposal
    review: list[Break] = field(default_factory=list)  # outside auto-approve: staff decide
    offer: Offer | None = None

    @property
    def auto_approvable(self) -> bool:
        return not self.errors and not self.review


def _percent(value: Decimal) -> str:
    """20.00 → "20", 12.50 → "12.5": how a person writes a percentage."""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _regular_amount(total: int, down: int, installments: int) -> int:
    return (total - down) // installments


def check_plan(
    *,
    parts: BalanceParts,
    policy: OfferPolicy,
    installments: int,
    frequency: str,
    first_due_date: dt.date,
    down_payment_minor: int,
    today: dt.date,
) -> PlanCheck:
    total = parts.total_minor
    errors: list[Break] = []
    if not 1 <= installments <= HARD_MAX_INSTALLMENTS:
        errors.append(
            Break(
                "installments",
                _("Choose between 1 and %(max)d installments.") % {"max": HARD_MAX_INSTALLMENTS},
            )
        )
    if frequency not in Frequency.values:
        errors.append(Break("frequency", _("Choose how often you will pay.")))
    if first_due_date < today:
        errors.append(Break("first_due_date", _("The first payment cannot be in the past.")))
    if not 0 <= down_payment_minor < total or (
        installments >= 1 and (total - down_payment_minor) < installments
    ):
        errors.append(Break("down_payment", _("The down payment must be less than the total.")))
    if errors:
        return PlanCheck(errors=errors)

    regular = _regular_amount(total, down_payment_minor, installments)
    days_to_first = (first_due_date - today).days
    review: list[Break] = []
    if frequency not in policy.allowed_frequencies:
        review.append(
            Break(
                "frequency",
                _("This frequency is not among the usual options, so an advisor will review it."),
            )
        )
    max_installments = min(policy.auto_max_installments, policy.max_installments)
    if installments > max_installments:
        review.append(
            Break(
                "installments",
                _("Plans of up to %(max)d installments are approved at once; more need a review.")
                % {"max": max_installments},
            )
        )
    min_down = percent_up(total, max(policy.auto_min_down_payment_pct, policy.min_down_payment_pct))
    if down_payment_minor < min_down:
        review.append(
            Break(
                "down_payment",
                _("A down payment of at least %(pct)s%% is approved at once.")
                % {
                    "pct": _percent(
                        max(policy.auto_min_down_payment_pct, policy.min_down_payment_pct)
                    )
                },
            )
        )
    min_installment = max(policy.auto_min_installment_minor, policy.min_installment_minor)
    if regular < min_installment:
        review.append(
            Break(
                "installment_amount",
                _("Each installment must be at least the minimum to be approved at once."),
            )
        )
    max_days = min(policy.auto_max_days_to_first_payment, policy.max_days_to_first_payment)
    if days_to_first > max_days:
        review.append(
            Break(
                "first_due_date",
                _("A first payment within %(days)d days is approved at once.") % {"days": max_days},
            )
        )
    offer = make_offer(
        key="proposal",
        kind="plan",
        installments=installments,
        frequency=frequency,
        balance_minor=total,
        discount_minor=0,
        total_minor=total,
        down_payment_minor=down_payment_minor,
        first_due_date=first_due_date,
        as_of=today,
        cash_unit_minor=cash_unit(parts.currency),
    )
    return PlanCheck(review=review, offer=offer)


@dataclass(frozen=True)
class Suggestion:
    installments: int
    monthly_minor: int
    capacity_minor: int
    check: PlanCheck


def affordable_plan(
    *,
    parts: BalanceParts,
    policy: OfferPolicy,
    monthly_income_minor: int,
    essential_expenses_minor: int,
    today: dt.date,
) -> Suggestion | None:
    """The shortest monthly plan whose installment fits half of what is left each month.

    None when nothing is left after essentials: then we should talk, not suggest.
    """
    capacity = int((monthly_income_minor - essential_expenses_minor) * AFFORDABLE_SHARE)
    if capacity <= 0:
        return None
    total = parts.total_minor
    down = percent_up(total, policy.min_down_payment_pct)
    for n in range(1, HARD_MAX_INSTALLMENTS + 1):
        if total - down < n:
            break
        monthly = -(-(total - down) // n)  # the last installment carries the remainder
        if monthly <= capacity:
            check = check_plan(
                parts=parts,
                policy=policy,
                installments=n,
                frequency=Frequency.MONTHLY,
                first_due_date=first_due_for(policy, Frequency.MONTHLY, today),
                down_payment_minor=down,
                today=today,
            )
            return Suggestion(n, monthly, capacity, check)
    return None


def _money(amount_minor: int, currency: str) -> str:
    locale = "en_US" if (get_language() or "").startswith("en") else "es_CO"
    return format_minor(amount_minor, currency, locale=locale)


def _frequency_label(value: str) -> str:
    return str(Frequency(value).label).lower() if value in Frequency.values else value


def breaks_in_words(proposal: Proposal) -> list[str]:
    """Each bound the proposal broke (as stored when it was sent), said with its figures
    and the policy's, for the reviewer: "12 cuotas: la política aprueba sin revisión
    hasta 6." The debtor was told the same bounds in their own words (`check_plan`)."""
    policy, currency = proposal.policy, proposal.currency
    total, down, n = proposal.balance_minor, proposal.down_payment_minor, proposal.installments
    words: list[str] = []
    for item in proposal.breaks or []:
        bound = item.get("bound") if isinstance(item, dict) else str(item)
        if bound == "installments":
            if n > policy.max_installments:
                text = _("%(n)d installments: the policy allows up to %(max)d.") % {
                    "n": n,
                    "max": policy.max_installments,
                }
            else:
                text = _("%(n)d installments: the policy approves up to %(max)d without a review.")
                text %= {"n": n, "max": min(policy.auto_max_installments, policy.max_installments)}
        elif bound == "frequency":
            allowed = ", ".join(_frequency_label(f) for f in policy.allowed_frequencies) or "—"
            text = _("Paid %(frequency)s: the policy allows %(allowed)s.") % {
                "frequency": _frequency_label(proposal.frequency),
                "allowed": allowed,
            }
        elif bound == "down_payment":
            pct = max(policy.auto_min_down_payment_pct, policy.min_down_payment_pct)
            paid_pct = Decimal(down * 100) / total if total else Decimal(0)
            text = _(
                "Down payment of %(amount)s (%(pct)s%%): the policy asks for at least "
                "%(min_pct)s%% (%(min_amount)s)."
            ) % {
                "amount": _money(down, currency),
                "pct": _percent(paid_pct.quantize(Decimal("0.1"))),
                "min_pct": _percent(pct),
                "min_amount": _money(percent_up(total, pct), currency),
            }
        elif bound == "installment_amount":
            minimum = max(policy.auto_min_installment_minor, policy.min_installment_minor)
            text = _("Installments of %(amount)s: the policy asks for at least %(min)s.") % {
                "amount": _money(_regular_amount(total, down, n), currency),
                "min": _money(minimum, currency),
            }
        elif bound == "first_due_date":
            sent_on = portfolio_today(proposal.portfolio, proposal.created_at)
            text = _("First payment %(days)d days away: the policy allows up to %(max)d days.") % {
                "days": (proposal.first_due_date - sent_on).days,
                "max": min(policy.auto_max_days_to_first_payment, policy.max_days_to_first_payment),
            }
        else:
            text = (item.get("message") if isinstance(item, dict) else None) or bound or ""
        if text:
            words.append(text)
    return words
