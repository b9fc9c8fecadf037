"""What the agreement page tests share: Ana signed in, with a 3-installment plan accepted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agreements.models import Agreement
from tests.helpers.access import sign_in

TICKS = {"accept_terms": "on", "accept_esign": "on"}


@pytest.fixture
def ana(client, debtor, debt, policy):
    sign_in(client, debtor)
    return client


@pytest.fixture
def agreement(ana) -> Agreement:
    quote = ana.get("/mi-cuenta/ofertas/").context["quote"]
    ana.post(reverse("agreements:offer_confirm", args=[quote.pk, "plan-monthly-3"]), TICKS)
    return Agreement.objects.get()
