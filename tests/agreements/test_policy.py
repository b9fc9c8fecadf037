"""Which policy applies (the most specific wins) and which settings are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agreements.models import OfferPolicy
from agreements.selectors import debtor_portfolio_debts, policy_for
from portal.debtors.models import DebtStatus
from portal.debtors.services import ledger_post
from tests.factories import CreditorFactory, DebtFactory, OfferPolicyFactory, PortfolioFactory

pytestmark = pytest.mark.usefixtures("english")


def make_policy(stage, **fields) -> OfferPolicy:
    values = {
        "name": "policy",
        "stage": stage,
        "currency": "COP",
        "allowed_frequencies": ["monthly"],
        **fields,
    }
    return OfferPolicyFactory(**values)


@pytest.fixture
def scoped(stages, portfolio, policy):
    """Stage-wide (fixture), creditor-wide and portfolio policies for `intermedia`."""
    creditor = make_policy(stages["intermedia"], name="creditor", creditor=portfolio.creditor)
    only_portfolio = make_policy(stages["intermedia"], name="portfolio", portfolio=portfolio)
    return policy, creditor, only_portfolio


def test_portfolio_policy_wins_over_creditor_and_stage(debt, scoped):
    assert policy_for(debts=[debt]).name == "portfolio"


def test_creditor_policy_wins_over_stage_wide(debt, scoped):
    stage_wide, creditor, only_portfolio = scoped
    OfferPolicy.objects.filter(pk=only_portfolio.pk).update(is_active=False)

    assert policy_for(debts=[debt]) == creditor


def test_stage_wide_when_nothing_narrower_applies(debt, scoped, stages):
    stage_wide, creditor, only_portfolio = scoped
    OfferPolicy.objects.filter(pk__in=[creditor.pk, only_portfolio.pk]).update(is_active=False)

    assert policy_for(debts=[debt]) == stage_wide


def test_policies_of_another_creditor_or_portfolio_do_not_apply(debt, policy, stages):
    elsewhere = PortfolioFactory(code="otra", creditor=CreditorFactory(name="Otro Banco"))
    make_policy(stages["intermedia"], name="other creditor", creditor=elsewhere.creditor)
    make_policy(stages["intermedia"], name="other portfolio", portfolio=elsewhere)

    assert policy_for(debts=[debt]) == policy


def test_inactive_policies_are_ignored(debt, policy):
    OfferPolicy.objects.filter(pk=policy.pk).update(is_active=False)

    assert policy_for(debts=[debt]) is None


def test_a_policy_in_another_currency_is_ignored(debt, policy, stages):
    OfferPolicy.objects.filter(pk=policy.pk).update(currency="USD")

    assert policy_for(debts=[debt]) is None


def test_the_most_delinquent_debt_chooses_the_stage(debtor, debt, portfolio, policy, stages):
    late = make_policy(stages["tardia"], name="tardía")
    worse = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-9", days_past_due=120)

    assert policy_for(debts=[debt]) == policy
    assert policy_for(debts=[debt, worse]) == late


def test_debts_from_two_portfolios_are_refused(debtor, debt, policy):
    elsewhere = DebtFactory(debtor=debtor, account_ref="X-1", days_past_due=45)

    with pytest.raises(ValueError, match="one portfolio"):
        policy_for(debts=[debt, elsewhere])


def test_open_debts_skip_paid_zero_and_agreed_and_pick_the_largest_portfolio(
    debtor, debt, portfolio
):
    zero = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-0")
    closed = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-C")
    ledger_post(debt=closed, kind="charge", amount_minor=1_00)
    type(closed).objects.filter(pk=closed.pk).update(status=DebtStatus.PAID)
    bigger = DebtFactory(debtor=debtor, account_ref="B-1")
    ledger_post(debt=bigger, kind="charge", amount_minor=2_000_000_00)

    assert debtor_portfolio_debts(debtor) == [bigger]
    assert debtor_portfolio_debts(debtor, portfolio) == [debt]
    assert zero not in debtor_portfolio_debts(debtor, portfolio)


def valid_policy(stages, **changes) -> OfferPolicy:
    values = {
        "name": "candidate",
        "stage": stages["tardia"],
        "currency": "COP",
        "discount_interest_fees_pct": Decimal("40"),
        "discount_principal_pct": Decimal("10"),
        "max_installments": 12,
        "min_down_payment_pct": Decimal("10"),
        "min_installment_minor": 50_000_00,
        "allowed_frequencies": ["monthly", "weekly"],
        "max_days_to_first_payment": 30,
        "auto_max_installments": 6,
        "auto_min_down_payment_pct": Decimal("20"),
        "auto_min_installment_minor": 100_000_00,
        "auto_max_days_to_first_payment": 15,
    }
    values.update(changes)
    return OfferPolicy(**values)


def test_a_coherent_policy_is_valid(stages, portfolio):
    valid_policy(stages).full_clean()
    valid_policy(stages, portfolio=portfolio, creditor=portfolio.creditor).full_clean()
    valid_policy(stages, max_installments=1, auto_max_installments=1,
                 allowed_frequencies=["monthly"], min_down_payment_pct=Decimal("100"),
                 auto_min_down_payment_pct=Decimal("100")).full_clean()  # fmt: skip


def other_creditor_portfolio():
    return {"creditor": CreditorFactory(name="Otro Banco")}


CONTRADICTIONS = [
    ("portfolio_of_other_creditor", "portfolio", other_creditor_portfolio),
    ("currency_differs_from_portfolio", "currency", lambda: {"currency": "USD"}),
    ("no_frequency_with_plans", "allowed_frequencies", lambda: {"allowed_frequencies": []}),
    ("unknown_frequency", "allowed_frequencies", lambda: {"allowed_frequencies": ["daily"]}),
    (
        "full_down_payment_with_plans",
        "min_down_payment_pct",
        lambda: {
            "min_down_payment_pct": Decimal("100"),
            "auto_min_down_payment_pct": Decimal("100"),
        },
    ),
    ("auto_more_installments", "auto_max_installments", lambda: {"auto_max_installments": 13}),
    (
        "auto_lower_down_payment",
        "auto_min_down_payment_pct",
        lambda: {"auto_min_down_payment_pct": Decimal("5")},
    ),
    (
        "auto_lower_installment",
        "auto_min_installment_minor",
        lambda: {"auto_min_installment_minor": 10_000_00},
    ),
    (
        "auto_later_first_payment",
        "auto_max_days_to_first_payment",
        lambda: {"auto_max_days_to_first_payment": 31},
    ),
    (
        "principal_discount_above_interest",
        "discount_principal_pct",
        lambda: {"discount_principal_pct": Decimal("41")},
    ),
]


@pytest.mark.parametrize(
    ("field", "changes"), [c[1:] for c in CONTRADICTIONS], ids=[c[0] for c in CONTRADICTIONS]
)
def test_contradictory_settings_are_refused(stages, portfolio, field, changes):
    values = changes()
    if "creditor" in values or "currency" in values:
        values["portfolio"] = portfolio
    policy = valid_policy(stages, **values)

    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert field in refused.value.message_dict, refused.value.message_dict


@pytest.mark.parametrize(
    "scope",
    ["stage", "creditor", "portfolio"],
)
def test_a_second_active_policy_for_the_same_scope_is_a_validation_error(stages, portfolio, scope):
    narrowing = {
        "stage": {},
        "creditor": {"creditor": portfolio.creditor},
        "portfolio": {"portfolio": portfolio},
    }[scope]
    valid_policy(stages, **narrowing).save()
    second = valid_policy(stages, name="second", **narrowing)

    with pytest.raises(ValidationError) as refused:
        second.full_clean()
    assert "Another active policy" in str(refused.value.message_dict["__all__"])

    second.is_active = False
    second.full_clean()  # an inactive copy is fine
