"""Staff define a portfolio's other ways to pay in the admin, on the portfolio; every
change is audited, and a method missing what the debtor needs to use it is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.debtors.models import PaymentMethod, PaymentMethodKind
from tests.factories import CreditorFactory, PortfolioFactory

pytestmark = pytest.mark.django_db

PREFIX = "payment_methods"


@pytest.fixture
def portfolio():
    return PortfolioFactory(code="tarjetas", creditor=CreditorFactory(name="Banco Andino"))


def _form(portfolio, methods: list[dict], *, existing: int = 0) -> dict:
    data = {
        "creditor": portfolio.creditor_id,
        "code": portfolio.code,
        "name": portfolio.name,
        "currency": portfolio.currency,
        "timezone": portfolio.timezone,
        "country": portfolio.country,
        "terms_text": portfolio.terms_text,
        "link_expiry_days": portfolio.link_expiry_days,
        "identity_check": portfolio.identity_check,
        f"{PREFIX}-TOTAL_FORMS": len(methods),
        f"{PREFIX}-INITIAL_FORMS": existing,
        f"{PREFIX}-MIN_NUM_FORMS": 0,
        f"{PREFIX}-MAX_NUM_FORMS": 1000,
    }
    for i, method in enumerate(methods):
        fields = {"position": i, "active": "on", "portfolio": portfolio.pk, **method}
        data.update({f"{PREFIX}-{i}-{k}": v for k, v in fields.items()})
    return data


def _post(admin_client, portfolio, methods, **kwargs):
    url = reverse("admin:debtors_portfolio_change", args=[portfolio.pk])
    return admin_client.post(url, _form(portfolio, methods, **kwargs))


def test_staff_add_a_bank_transfer_and_a_cash_point_and_it_is_audited(admin_client, portfolio):
    response = _post(
        admin_client,
        portfolio,
        [
            {"kind": "bank_transfer", "name": "Bancolombia", "account": "Ahorros 123-45"},
            {"kind": "cash", "name": "Efecty", "agreement_code": "112233"},
        ],
    )

    assert response.status_code == 302, response.content[:2000]
    methods = list(portfolio.payment_methods.values_list("kind", "name"))
    assert methods == [("bank_transfer", "Bancolombia"), ("cash", "Efecty")]
    event = AuditEvent.objects.get(action="portfolio.payment_methods_changed")
    assert [m["name"] for m in event.details["created"]] == ["Bancolombia", "Efecty"]
    assert event.details["created"][0]["account"] == "Ahorros 123-45"


def test_changing_an_account_number_is_audited_with_the_new_number(admin_client, portfolio):
    method = PaymentMethod.objects.create(
        portfolio=portfolio, kind=PaymentMethodKind.BANK_TRANSFER, name="Bancolombia", account="1"
    )

    response = _post(
        admin_client,
        portfolio,
        [{"id": method.pk, "kind": "bank_transfer", "name": "Bancolombia", "account": "2"}],
        existing=1,
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="portfolio.payment_methods_changed")
    (changed,) = event.details["changed"]
    assert changed["account"] == "2" and "account" in changed["fields"]


def test_saving_the_portfolio_without_touching_its_methods_audits_nothing(admin_client, portfolio):
    method = PaymentMethod.objects.create(
        portfolio=portfolio, kind=PaymentMethodKind.PHONE, name="Línea", phone="+57 601 555"
    )

    response = _post(
        admin_client,
        portfolio,
        [{"id": method.pk, "kind": "phone", "name": "Línea", "phone": "+57 601 555"}],
        existing=1,
    )

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="portfolio.payment_methods_changed").exists()


@pytest.mark.parametrize(
    ("kind", "missing"),
    [("bank_transfer", "account"), ("cash", "agreement_code"), ("phone", "phone")],
)
def test_a_method_without_what_the_debtor_needs_is_refused(admin_client, portfolio, kind, missing):
    response = _post(admin_client, portfolio, [{"kind": kind, "name": "Sin datos"}])

    assert response.status_code == 200
    assert "Obligatorio para este tipo de medio de pago." in response.content.decode()
    assert not PaymentMethod.objects.exists()
