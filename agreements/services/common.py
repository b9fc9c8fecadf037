"""Shared pieces of the agreement services: errors, evidence, terms."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from portal.debtors.models import Portfolio


class AgreementError(Exception):
    """A request the rules refuse; the message is safe to show the person who made it."""

    def __init__(self, message: str, *, messages: list[str] | None = None):
        super().__init__(message)
        self.messages = messages or [message]


@dataclass(frozen=True)
class Evidence:
    """How an electronic acceptance happened (Ley 527 de 1999): when, from where, which link."""

    at: dt.datetime
    ip: str | None
    user_agent: str
    payment_link_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "ip": self.ip,
            "user_agent": self.user_agent,
            "payment_link_id": self.payment_link_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            at=dt.datetime.fromisoformat(data["at"]),
            ip=data.get("ip"),
            user_agent=data.get("user_agent", ""),
            payment_link_id=data.get("payment_link_id"),
        )


STANDARD_TERMS = """\
ACUERDO DE PAGO

1. El deudor reconoce la obligación descrita en este acuerdo y se compromete a pagar el \
valor total acordado en las fechas y por los montos del plan de pagos.
2. Los descuentos concedidos se aplican solo si el acuerdo se cumple. Si una cuota queda \
sin pagar después del período de gracia, el acuerdo se considera incumplido, el descuento \
se pierde y el saldo pendiente vuelve a ser exigible, descontando lo ya pagado.
3. Mientras el acuerdo esté vigente no se iniciarán nuevas acciones de cobro por las \
obligaciones incluidas.
4. El deudor acepta este acuerdo por medios electrónicos y consiente en firmarlo \
electrónicamente (Ley 527 de 1999 y Decreto 2364 de 2012). Se conservan la fecha y hora, \
la dirección IP, el navegador y el enlace de acceso como prueba de la aceptación.
5. El deudor puede consultar el acuerdo, su plan de pagos y el documento en PDF en el portal.
"""


def terms_for(portfolio: Portfolio) -> tuple[str, str]:
    """The exact agreement text for `portfolio` and a version that changes with any edit."""
    text = STANDARD_TERMS
    extra = (portfolio.terms_text or "").strip()
    if extra:
        text = f"{text}\n{extra}\n"
    return "terms-" + _sha256(text)[:12], text


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _require_consent(accepted_terms: bool, accepted_esign: bool) -> None:
    if accepted_terms is not True or accepted_esign is not True:
        raise AgreementError(
            _("To accept, tick both the terms and the consent to sign electronically.")
        )


# -- quotes -------------------------------------------------------------------------------


def _evidence_json(evidence: Evidence, portfolio: Portfolio) -> dict[str, Any]:
    version, text = terms_for(portfolio)
    return {
        **evidence.to_json(),
        "accepted_terms": True,
        "accepted_esign": True,
        "terms_version": version,
        "terms_text": text,
    }


def _evidence_terms(data: dict[str, Any], portfolio: Portfolio) -> tuple[str, str]:
    """The terms the debtor was shown when proposing, which are the ones they accepted."""
    if data.get("terms_text"):
        return data["terms_version"], data["terms_text"]
    return terms_for(portfolio)
