from __future__ import annotations

import pytest

from portal.debtors.models import PaymentMethod
from portal.staff.demo import DEMO_PORTFOLIO_CODE, seed_demo

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_the_demo_portfolio_one_way_to_pay_of_each_kind_once():
    seed_demo(debtors=2)
    seed_demo(debtors=2)

    methods = PaymentMethod.objects.filter(portfolio__code=DEMO_PORTFOLIO_CODE)
    assert sorted(methods.values_list("kind", flat=True)) == ["bank_transfer", "cash", "phone"]
    for method in methods:
        method.full_clean()  # each has what a debtor needs to use it
