"""Reads for payments: what a debtor can pay now (amounts computed here, never taken from the
browser) and debtor-scoped lookups of attempts and payments."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from agreements.lifecycle import OPEN_INSTALLMENT
from agreements.models import (
    Agreement,
    AgreementStatus,
    Installment,
    PromiseStatus,
    PromiseToPay,
)
from portal.debtors.models import Debt, Debtor, DebtStatus, PaymentMethod, Portfolio

from . import mercadopago_api, stripe_api
from .models import (
    Autopay,
    AutopayStatus,
    EventStatus,
    Method,
    Payment,
    PaymentAttempt,
    PortfolioPaymentMethod,
    Provider,
    Purpose,
    StripeEvent,
)


@dataclass(frozen=True)
class Payable:
    """One thing the debtor may pay. For FREE, `amount_minor` is the minimum and
    `max_minor` the debt's balance; otherwise `amount_minor` is exactly what is due."""

    purpose: str
    currency: str
    amount_minor: int
    agreement: Agreement | None = None
    installment: Installment | None = None
    promise: PromiseToPay | None = None
    debt: Debt | None = None
    max_minor: int | None = None

    @property
    def key(self) -> str:
        target = {
            Purpose.INSTALLMENT: self.installment,
            Purpose.AGREEMENT: self.agreement,
            Purpose.PROMISE: self.promise,
            Purpose.FREE: self.debt,
        }[Purpose(self.purpose)]
        return f"{self.purpose}-{target.pk}"

    @property
    def is_free(self) -> bool:
        return self.purpose == Purpose.FREE

    @property
    def portfolio(self) -> Portfolio:
        return (self.agreement or self.debt).portfolio

    @property
    def reference(self) -> str:
        """What the debtor quotes when paying by transfer, at a cash point or by phone, so
        that staff can tell what the money is for."""
        return str(self.agreement) if self.agreement else self.debt.account_ref


@dataclass(frozen=True)
class OtherWays:
    """One portfolio's ways to pay besides the card form, with what is due under it."""

    portfolio: Portfolio
    methods: list[PaymentMethod]
    payables: list[Payable]


def open_installments(agreement: Agreement) -> list[Installment]:
    """Unpaid installments, oldest first (uses a prefetched `installments` when present)."""
    return sorted(
        (
            i
            for i in agreement.installments.all()
            if i.status in OPEN_INSTALLMENT and i.paid_minor < i.amount_minor
        ),
        key=lambda i: i.number,
    )


def min_free_minor(currency: str) -> int:
    return settings.PAYMENT_MIN_FREE_MINOR.get(currency, 1)


def payables_for(debtor: Debtor) -> list[Payable]:
    """Everything the debtor can pay now: per active agreement its next installment and
    what is left on it; each pending promise; an amount of their choice on open debts."""
    payables: list[Payable] = []
    agreements = (
        Agreement.objects.filter(debtor=debtor, status=AgreementStatus.ACTIVE)
        .select_related("portfolio__creditor")
        .prefetch_related(Prefetch("installments", queryset=Installment.objects.order_by("number")))
        .order_by("created_at", "id")
    )
    for agreement in agreements:
        unpaid = open_installments(agreement)
        if not unpaid:
            continue
        first = unpaid[0]
        payables.append(
            Payable(
                Purpose.INSTALLMENT,
                agreement.currency,
                first.amount_minor - first.paid_minor,
                agreement=agreement,
                installment=first,
            )
        )
        if len(unpaid) > 1:
            left = sum(i.amount_minor - i.paid_minor for i in unpaid)
            payables.append(
                Payable(Purpose.AGREEMENT, agreement.currency, left, agreement=agreement)
            )
    debts = list(
        Debt.objects.filter(debtor=debtor, status=DebtStatus.ACTIVE, balance_minor__gt=0)
        .select_related("portfolio__creditor")
        .prefetch_related(
            Prefetch(
                "promises",
                queryset=PromiseToPay.objects.filter(status=PromiseStatus.PENDING),
                to_attr="pending_promises",
            )
        )
        .order_by("id")
    )
    for debt in debts:
        for promise in debt.pending_promises:
            amount = min(promise.amount_minor, debt.balance_minor)
            payables.append(
                Payable(Purpose.PROMISE, debt.currency, amount, promise=promise, debt=debt)
            )
        payables.append(
            Payable(
                Purpose.FREE,
                debt.currency,
                min(min_free_minor(debt.currency), debt.balance_minor),
                debt=debt,
                max_minor=debt.balance_minor,
            )
        )
    return payables


def other_ways_to_pay(payables: list[Payable]) -> list[OtherWays]:
    """The active payment methods of each portfolio the debtor owes on, in staff's order;
    portfolios without any are left out."""
    by_portfolio: dict[int, list[Payable]] = {}
    for payable in payables:
        by_portfolio.setdefault(payable.portfolio.pk, []).append(payable)
    methods: dict[int, list[PaymentMethod]] = {}
    for method in PaymentMethod.objects.filter(portfolio_id__in=by_portfolio, active=True):
        methods.setdefault(method.portfolio_id, []).append(method)
    return [
        OtherWays(dues[0].portfolio, methods[pk], dues)
        for pk, dues in by_portfolio.items()
        if pk in methods
    ]


def debtor_attempts(debtor: Debtor) -> QuerySet[PaymentAttempt]:
    return PaymentAttempt.objects.filter(debtor=debtor)


def debtor_attempt_or_404(debtor: Debtor, pk: int) -> PaymentAttempt:
    return get_object_or_404(
        debtor_attempts(debtor).select_related("agreement", "installment", "debt"), pk=pk
    )


def attempt_with_payment(attempt: PaymentAttempt) -> Payment | None:
    return Payment.objects.filter(attempt=attempt).first()


def debtor_payments(debtor: Debtor) -> QuerySet[Payment]:
    return Payment.objects.filter(debtor=debtor)


def debtor_payment_or_404(debtor: Debtor, pk: int) -> Payment:
    return get_object_or_404(debtor_payments(debtor), pk=pk)


def live_autopay_for(agreement: Agreement) -> Autopay | None:
    """The agreement's autopay that is on or waiting for a card, if any."""
    return (
        Autopay.objects.filter(
            agreement=agreement, status__in=(AutopayStatus.PENDING, AutopayStatus.ACTIVE)
        )
        .order_by("-id")
        .first()
    )


def debtor_autopay_or_404(debtor: Debtor, pk: int) -> Autopay:
    return get_object_or_404(
        Autopay.objects.filter(debtor=debtor).select_related("agreement", "debtor"), pk=pk
    )


def deferred_events_for(intent_id: str) -> list[int]:
    """Events of this intent waiting for its payment to be posted, in arrival order."""
    return list(
        StripeEvent.objects.filter(payment_intent_id=intent_id, status=EventStatus.DEFERRED)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class MethodOption:
    """One online way to pay a portfolio offers: who takes the money and how."""

    provider: str
    method: str

    @property
    def key(self) -> str:
        return f"{self.provider}-{self.method}"


# Without rows of its own a portfolio offers these, in this order (in Colombia most people
# pay by PSE or in cash; a card goes through Stripe when it is set up, else Mercado Pago).
_DEFAULT_ORDER = (
    MethodOption(Provider.MERCADOPAGO, Method.PSE),
    MethodOption(Provider.MERCADOPAGO, Method.CASH),
    MethodOption(Provider.STRIPE, Method.CARD),
    MethodOption(Provider.MERCADOPAGO, Method.CARD),
)
# Mercado Pago here is its Colombian account: pesos only.
MERCADOPAGO_CURRENCIES = ("COP",)


def _provider_takes(provider: str, currency: str, *, configured_only: bool) -> bool:
    if provider == Provider.MERCADOPAGO:
        return currency in MERCADOPAGO_CURRENCIES and (
            not configured_only or mercadopago_api.is_configured()
        )
    return not configured_only or stripe_api.is_configured()


def payment_methods_for(
    portfolio: Portfolio, currency: str, *, configured_only: bool = True
) -> list[MethodOption]:
    """The online ways to pay the portfolio's debtors see, in order: staff's rows when the
    portfolio has any, else the default order; only providers that take the currency and
    (unless `configured_only` is False, as for checking a choice) are configured. Without
    rows, one card option: Stripe's when it is configured, else Mercado Pago's."""
    rows = [
        MethodOption(row.provider, row.method)
        for row in PortfolioPaymentMethod.objects.filter(portfolio=portfolio, active=True)
    ]
    return _offered(rows, currency, configured_only=configured_only)


def _offered(
    rows: list[MethodOption], currency: str, *, configured_only: bool
) -> list[MethodOption]:
    options = [
        option
        for option in rows or _DEFAULT_ORDER
        if _provider_takes(option.provider, currency, configured_only=configured_only)
    ]
    if not rows and configured_only:  # one card on the page; either provider's is valid
        cards = [option for option in options if option.method == Method.CARD]
        options = [option for option in options if option not in cards[1:]]
    return options


def payment_methods_by_portfolio(payables: list[Payable]) -> dict[int, list[MethodOption]]:
    """`payment_methods_for` of each portfolio the payables belong to, in one query."""
    portfolios = {payable.portfolio.pk: payable for payable in payables}
    rows: dict[int, list[MethodOption]] = {}
    for row in PortfolioPaymentMethod.objects.filter(portfolio_id__in=portfolios, active=True):
        rows.setdefault(row.portfolio_id, []).append(MethodOption(row.provider, row.method))
    return {
        pk: _offered(rows.get(pk, []), payable.currency, configured_only=True)
        for pk, payable in portfolios.items()
    }
