"""The pages a payer visits on the fake Mercado Pago: the PSE test bank, the Efecty
voucher and the Checkout Pro card form. Spanish literals, like Mercado Pago's own pages (not
Django i18n), readable on a phone. A mixin of FakeMercadoPago."""

from __future__ import annotations

import copy
import html
import re
from urllib.parse import urlencode

from payments.devmercadopago.rest import PSE_BANKS, Answer

STATUS_ES = {
    "pending": "pendiente",
    "approved": "aprobado",
    "rejected": "rechazado",
    "cancelled": "cancelado",
    "refunded": "devuelto",
    "in_process": "en proceso",
}


class PagesMixin:
    def bank_page(self, request, pid: str) -> Answer:
        payment = self._payment_or_none(pid, "bank_transfer")
        if payment is None:
            return 404, _page("Pago no encontrado", "<p>No existe este pago.</p>")
        bank = dict(PSE_BANKS).get(payment["transaction_details"]["financial_institution"])
        buttons = "".join(
            f'<button name="action" value="{v}" data-testid="bank-{v}">{label}</button>'
            for v, label in (
                ("approve", "Aprobar el pago"),
                ("reject", "Rechazar el pago"),
                ("pending", "Dejarlo pendiente"),
            )
        )
        return 200, _page(
            f"{html.escape(bank or '')}: banco de PRUEBA (PSE de Mercado Pago de prueba)",
            f"{_summary(payment)}<form method=post>{buttons}</form>",
        )

    def bank_act(self, request, pid: str) -> Answer:
        payment = self._payment_or_none(pid, "bank_transfer")
        if payment is None:
            return 404, _page("Pago no encontrado", "<p>No existe este pago.</p>")
        action = request.form.get("action")
        if payment["status"] == "pending" and action in ("approve", "reject"):
            if action == "approve":
                self.set_status(pid, "approved", "accredited")
            else:
                self.set_status(pid, "rejected", "rejected_by_bank")
        return 303, payment["callback_url"]

    def ticket_page(self, request, pid: str) -> Answer:
        payment = self._payment_or_none(pid, "ticket")
        if payment is None:
            return 404, _page("Comprobante no encontrado", "<p>No existe este pago.</p>")
        pay = ""
        if payment["status"] == "pending":
            pay = (
                '<form method=post><button data-testid="ticket-pay">'
                "Simular el pago en un punto Efecty</button></form>"
            )
        return 200, _page(
            "Comprobante Efecty de PRUEBA (Mercado Pago de prueba)",
            f"{_summary(payment)}<p>Código de barras: <code>{payment['barcode']['content']}"
            f"</code></p><p>Vence: {_when(payment['date_of_expiration'])}</p>{pay}",
        )

    def ticket_act(self, request, pid: str) -> Answer:
        payment = self._payment_or_none(pid, "ticket")
        if payment is None:
            return 404, _page("Comprobante no encontrado", "<p>No existe este pago.</p>")
        if payment["status"] == "pending":
            self.set_status(pid, "approved", "accredited")
        return 303, f"{self.base}/tickets/{pid}"

    def checkout_page(self, request, pref_id: str) -> Answer:
        with self.lock:
            pref = copy.deepcopy(self.preferences.get(pref_id))
        if pref is None:
            return 404, _page("Pago no encontrado", "<p>No existe esta preferencia.</p>")
        return 200, _page(
            "Checkout de PRUEBA (Mercado Pago de prueba, sin dinero real)",
            f"<p>Total: <strong>{_pesos(_total(pref))}</strong></p><form method=post>"
            '<label>Número de la tarjeta <input name="card-number" data-testid="card-number" '
            'inputmode="numeric" value="4013540682746260"></label>'
            "<label>Nombre del titular (APRO aprueba, OTHE rechaza, CONT queda pendiente) "
            '<input name="card-holder" data-testid="card-holder" value="APRO"></label>'
            '<button data-testid="checkout-pay">Pagar</button></form>',
        )

    def checkout_act(self, request, pref_id: str) -> Answer:
        with self.lock:
            pref = copy.deepcopy(self.preferences.get(pref_id))
        number = re.sub(r"\D", "", request.form.get("card-number", ""))
        if pref is None or len(number) < 13:
            return 400, _page("Datos inválidos", "<p>Revisa el número de la tarjeta.</p>")
        holder = request.form.get("card-holder", "").strip().upper()
        status, detail = {
            "APRO": ("approved", "accredited"),
            "CONT": ("in_process", "pending_contingency"),
        }.get(holder, ("rejected", "cc_rejected_other_reason"))
        card = {
            "method": "visa" if number[0] == "4" else "master",
            "status": status,
            "detail": detail,
        }
        body = {
            "transaction_amount": _total(pref),
            "external_reference": pref.get("external_reference"),
            "description": pref["items"][0].get("title"),
            "metadata": pref.get("metadata"),
            "payer": pref.get("payer") or {},
        }
        with self.lock:
            payment = self._new_payment(body, card=card)
        self._notify(payment["id"], "payment.created")
        back = pref.get("back_urls") or {}
        url = back.get({"approved": "success", "rejected": "failure"}.get(status, "pending"))
        if not url:
            return 200, _page("Pago procesado", f"<p>Estado: {STATUS_ES.get(status, status)}</p>")
        query = {
            "payment_id": payment["id"],
            "collection_id": payment["id"],
            "status": status,
            "collection_status": status,
            "preference_id": pref_id,
            "external_reference": pref.get("external_reference") or "",
        }
        return 303, f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"

    def _payment_or_none(self, pid: str, kind: str) -> dict | None:
        with self.lock:
            payment = self.payments.get(pid)
            ok = payment and payment["payment_type_id"] == kind
            return copy.deepcopy(payment) if ok else None


def _total(pref: dict) -> float | int:
    return sum(i["unit_price"] * i["quantity"] for i in pref["items"])


def _pesos(amount: float | int) -> str:
    """$ 318.000 (es-CO grouping); centavos only when there are some."""
    text = f"{amount:,.2f}".removesuffix(".00")
    return "$ " + text.replace(",", "_").replace(".", ",").replace("_", ".") + " COP"


def _when(iso: str | None) -> str:
    return html.escape((iso or "")[:16].replace("T", " a las "))


def _summary(payment: dict) -> str:
    amount = _pesos(payment["transaction_amount"])
    status = STATUS_ES.get(payment["status"], payment["status"])
    return (
        f"<p>Pago n.º {payment['id']}: {html.escape(str(payment['description'] or ''))}</p>"
        f"<p>Total: <strong>{amount}</strong> — Estado: {status}</p>"
    )


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="es"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>body{{font:16px/1.5 sans-serif;margin:0 auto;"
        "max-width:30rem;padding:1rem}h1{font-size:1.4rem}code{word-break:break-all}"
        "label,button{display:block;width:100%;margin:.5rem 0}"
        "input{width:100%;box-sizing:border-box;font:inherit;padding:.5rem}"
        "button{font:inherit;padding:.75rem}.test{background:#fff3cd;padding:.5rem}</style>"
        f'</head><body><h1>{title}</h1><p class="test">Entorno de PRUEBA: no se mueve dinero '
        f"real.</p>{body}</body></html>"
    )
