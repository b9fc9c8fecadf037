"""The demo portfolio's other ways to pay (bank transfer, cash points, phone), so the pay
page of `make run` shows them; idempotent like the rest of seed_demo."""

from __future__ import annotations

from portal.debtors.models import PaymentMethod, PaymentMethodKind, Portfolio

DEMO_PAYMENT_METHODS = [
    {
        "kind": PaymentMethodKind.BANK_TRANSFER,
        "name": "Bancolombia",
        "account": "Cuenta corriente 123-456789-01",
        "holder": "Banco Andino S.A. (demo) · NIT 900123456-8",
    },
    {
        "kind": PaymentMethodKind.CASH,
        "name": "Efecty o Baloto",
        "agreement_code": "112233",
        "instructions": "En cualquier punto del país; diga el número de convenio y su referencia.",
    },
    {
        "kind": PaymentMethodKind.PHONE,
        "name": "Línea de pagos",
        "phone": "+57 601 555 0199",
        "instructions": "Lunes a viernes de 8:00 a 18:00, sábados de 9:00 a 13:00.",
    },
]


def seed_demo_payment_methods(portfolio: Portfolio) -> None:
    for position, fields in enumerate(DEMO_PAYMENT_METHODS):
        PaymentMethod.objects.get_or_create(
            portfolio=portfolio,
            kind=fields["kind"],
            name=fields["name"],
            defaults={**fields, "position": position},
        )
