"""How a ledger movement splits over a debt's principal, interest and fees.

Pure arithmetic on integers, shared by the ledger service and both import loaders (the
PostgreSQL loader writes the same rules as SQL; tests compare the two). Código Civil
art. 1653: a payment goes to interest before capital, so every reduction is imputed
interest first, then fees, then principal; what is left after all three (an overpayment)
lands on principal, which may go negative: a credit the agency refunds or keeps, the
same negative balance the ledger has always allowed.
"""

from __future__ import annotations

from typing import NamedTuple


class Parts(NamedTuple):
    principal: int = 0
    interest: int = 0
    fees: int = 0

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.fees

    def __add__(self, other: object) -> Parts:  # type: ignore[override]
        if not isinstance(other, Parts):
            return NotImplemented
        return Parts(*(a + b for a, b in zip(self, other, strict=True)))

    def __neg__(self) -> Parts:
        return Parts(-self.principal, -self.interest, -self.fees)


COMPONENTS = Parts._fields


def on_component(amount: int, component: str) -> Parts:
    """A charge or an upward adjustment: all of it on the component it names."""
    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}")
    return Parts(**{component: amount})


def impute(amount: int, outstanding: Parts) -> Parts:
    """Split a reduction (negative amount): interest, then fees, then principal."""
    if amount > 0:
        raise ValueError("only reductions are imputed")
    left = -amount
    interest = min(left, max(outstanding.interest, 0))
    fees = min(left - interest, max(outstanding.fees, 0))
    return Parts(-(left - interest - fees), -interest, -fees)


def undo(amount: int, remaining: Parts, outstanding: Parts) -> Parts:
    """Split a refund or reversal of an entry whose not yet undone split is `remaining`.

    The whole of it gives back exactly that split. Part of it gives back in the reverse
    order of imputation (principal, then fees, then interest), so that undoing a payment
    in pieces ends where undoing it at once does. Taking back a charge whose interest or
    fees were already paid cannot leave them below zero: what is not there any more is
    imputed like a payment (in the end, off principal, a credit the debtor paid).
    """
    if remaining.total == 0:
        raise ValueError("nothing is left of that entry to undo")
    if (amount > 0) == (remaining.total > 0):
        raise ValueError("an undo moves the balance the other way from what it undoes")
    sign = 1 if amount > 0 else -1
    left = abs(amount)
    if left > abs(remaining.total):
        raise ValueError("cannot undo more than what is left of the entry")
    taken = {}
    for name in ("principal", "fees", "interest"):
        # Only what the entry moved in its own direction can be given back.
        room = max(-sign * getattr(remaining, name), 0)
        taken[name] = min(left, room)
        left -= taken[name]
    exact = Parts(**{name: sign * value for name, value in taken.items()})
    if amount > 0:
        return exact
    capped = exact._replace(
        interest=max(exact.interest, -max(outstanding.interest, 0)),
        fees=max(exact.fees, -max(outstanding.fees, 0)),
    )
    excess = amount - capped.total
    return capped + impute(excess, outstanding + capped) if excess else capped


def statement_change(old: Parts, new: Parts, outstanding: Parts) -> Parts:
    """What an import does when a creditor's statement changes from `old` to `new`.

    Increases land on their component; the decreases together are imputed like a
    payment against what is outstanding after the increases.
    """
    deltas = [b - a for a, b in zip(old, new, strict=True)]
    raised = Parts(*(max(d, 0) for d in deltas))
    cut = sum(min(d, 0) for d in deltas)
    if not cut:
        return raised
    return raised + impute(cut, outstanding + raised)
