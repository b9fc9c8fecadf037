"""The REST side of the fake Mercado Pago: payment methods, payments (PSE, Efecty), search,
refunds, Checkout Pro preferences and the demo's control endpoint, with Mercado Pago's
error shape. A mixin of FakeMercadoPago (its lock, state and notifications)."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

BOGOTA = timezone(timedelta(hours=-5))
FIRST_PAYMENT_ID = 1320000001
USER_ID = "1320990001"
PSE_BANKS = [
    ("1007", "Bancolombia"),
    ("1001", "Banco de Bogotá"),
    ("1051", "Davivienda"),
    ("1013", "BBVA Colombia"),
    ("1507", "Nequi"),
    ("1023", "Banco de Occidente"),
    ("1040", "Banco Agrario"),
    ("1009", "Banco de pruebas"),
]
DETAILS = {
    "approved": "accredited",
    "rejected": "cc_rejected_other_reason",
    "cancelled": "by_collector",
    "refunded": "refunded",
    "in_process": "pending_contingency",
}
Answer = tuple[int, Any]  # (HTTP status, JSON-able body | HTML str | redirect URL for 303)


def _now() -> datetime:
    return datetime.now(BOGOTA)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _error(status: int, message: str, code: int | str = "") -> Answer:
    """Mercado Pago's error shape (the SDK's MercadoPagoError reads message/error/cause)."""
    kind = {400: "bad_request", 401: "unauthorized", 404: "not_found"}.get(status, "error")
    cause = [{"code": code or status, "description": message}]
    return status, {"message": message, "error": kind, "status": status, "cause": cause}


class _Bad(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.answer = _error(400, message, code)


def _need(condition: Any, code: int, message: str) -> None:
    if not condition:
        raise _Bad(code, message)


class RestMixin:
    def payment_methods(self, request) -> Answer:
        banks = [{"id": i, "description": name} for i, name in PSE_BANKS]
        return 200, [
            _method("pse", "PSE", "bank_transfer", financial_institutions=banks),
            _method("efecty", "Efecty", "ticket"),
            _method("visa", "Visa", "credit_card"),
            _method("master", "Mastercard", "credit_card"),
        ]

    def payment_create(self, request) -> Answer:
        key = request.headers.get("x-idempotency-key")
        if not key:
            return _error(400, "header X-Idempotency-Key can't be null", 4292)
        body = request.json
        with self.lock:
            if key in self.keys:
                return 201, _public(self.payments[self.keys[key]])
            if not isinstance(body, dict):
                return _error(400, "body must be a JSON object", 4000)
            try:
                payment = self._new_payment(body)
            except _Bad as bad:
                return bad.answer
            self.keys[key] = str(payment["id"])
        self._notify(payment["id"], "payment.created")
        return 201, _public(payment)

    def _new_payment(self, body: dict, *, card: dict | None = None) -> dict:
        amount = body.get("transaction_amount")
        _need(isinstance(amount, int | float) and amount > 0, 4037, "Invalid transaction_amount")
        _need(body.get("currency_id", "COP") == "COP", 4000, "currency_id must be COP")
        method = body.get("payment_method_id") if card is None else card["method"]
        _need(method in ("pse", "efecty") or card, 4033, "Invalid payment_method_id")
        payer = body.get("payer") or {}
        _need(card or "@" in str(payer.get("email", "")), 4050, "payer.email must be valid")
        details, now = body.get("transaction_details") or {}, _now()
        if method == "pse":
            bank = details.get("financial_institution")
            _need(
                bank in dict(PSE_BANKS), 4048, "Invalid transaction_details.financial_institution"
            )
            entity = payer.get("entity_type")
            _need(entity in ("individual", "association"), 4051, "Invalid payer.entity_type")
            ident = payer.get("identification") or {}
            _need(ident.get("type") and ident.get("number"), 2067, "Invalid payer.identification")
            _need(
                str(body.get("callback_url", "")).startswith("http"), 4052, "Invalid callback_url"
            )
            ip = (body.get("additional_info") or {}).get("ip_address")
            _need(ip, 4053, "additional_info.ip_address is required")
        expires = body.get("date_of_expiration")
        if method == "efecty" and not expires:
            expires = _iso(now + timedelta(days=3))
        if expires:
            try:
                datetime.fromisoformat(expires)
            except (TypeError, ValueError):
                raise _Bad(4054, "Invalid date_of_expiration") from None
        pid = next(self._ids)
        kind = {"pse": "bank_transfer", "efecty": "ticket"}.get(method, "credit_card")
        page = {"pse": f"/pse/bank/{pid}", "efecty": f"/tickets/{pid}"}.get(method)
        pending = {"pse": "pending_waiting_transfer", "efecty": "pending_waiting_payment"}
        payment = {
            "id": pid,
            "status": "pending",
            "status_detail": pending.get(method, "pending_contingency"),
            "_pending_detail": pending.get(method, "pending_contingency"),
            "transaction_amount": amount,
            "currency_id": "COP",
            "payment_method_id": method,
            "payment_type_id": kind,
            "external_reference": body.get("external_reference"),
            "description": body.get("description"),
            "date_created": _iso(now),
            "date_last_updated": _iso(now),
            "date_approved": None,
            "date_of_expiration": expires,
            "live_mode": False,
            "metadata": body.get("metadata") or {},
            "callback_url": body.get("callback_url"),
            "payer": payer,
            "transaction_details": {
                "financial_institution": details.get("financial_institution"),
                "external_resource_url": f"{self.base}{page}" if page else None,
                "payment_method_reference_id": str(pid) if method == "efecty" else None,
                "total_paid_amount": amount,
            },
            "transaction_amount_refunded": 0,
            "refunds": [],
        }
        if method == "efecty":
            payment["barcode"] = {"content": f"{41577099:08d}{pid:012d}{int(amount * 100):014d}"}
        self.payments[str(pid)] = payment
        if card:
            self.set_status(pid, card["status"], card["detail"], notify=False)
        return payment

    def payment_get(self, request, pid: str) -> Answer:
        with self.lock:
            payment = self.payments.get(pid)
            return (200, _public(payment)) if payment else _error(404, "Payment not found", 2000)

    def payment_search(self, request) -> Answer:
        q = request.query
        try:
            offset, limit = int(q.get("offset", 0)), min(int(q.get("limit", 30)), 1000)
            begin = datetime.fromisoformat(q["begin_date"]) if "begin_date" in q else None
            end = datetime.fromisoformat(q["end_date"]) if "end_date" in q else None
        except ValueError:
            return _error(400, "Invalid search parameters", 4000)
        field = q.get("range", "date_created")
        with self.lock:
            found = [_public(p) for p in self.payments.values()]
        for name in ("external_reference", "status", "payment_method_id"):
            if name in q:
                found = [p for p in found if str(p.get(name)) == q[name]]
        if begin or end:
            moment = lambda p: datetime.fromisoformat(p[field])  # noqa: E731
            found = [p for p in found if (not begin or moment(p) >= begin)]
            found = [p for p in found if (not end or moment(p) <= end)]
        sort = q.get("sort", "date_created")
        found.sort(key=lambda p: (str(p.get(sort)), p["id"]), reverse=q.get("criteria") == "desc")
        paging = {"total": len(found), "limit": limit, "offset": offset}
        return 200, {"paging": paging, "results": found[offset : offset + limit]}

    def refund_create(self, request, pid: str) -> Answer:
        key = request.headers.get("x-idempotency-key") or str(uuid.uuid4())
        body = request.json or {}
        with self.lock:
            payment = self.payments.get(pid)
            if payment is None:
                return _error(404, "Payment not found", 2000)
            if (pid, key) in self.keys:
                return 201, self.keys[(pid, key)]
            if payment["status"] != "approved":
                return _error(400, "Payment not found or invalid status", 2063)
            left = round(payment["transaction_amount"] - payment["transaction_amount_refunded"], 2)
            amount = body.get("amount", left)
            if not isinstance(amount, int | float) or not 0 < amount <= left:
                return _error(400, "Invalid refund amount", 4040)
            refund = {
                "id": next(self._ids),
                "payment_id": int(pid),
                "amount": amount,
                "status": "approved",
                "date_created": _iso(_now()),
                "source": {"id": USER_ID, "type": "collector"},
            }
            payment["refunds"].append(refund)
            payment["transaction_amount_refunded"] = round(
                payment["transaction_amount_refunded"] + amount, 2
            )
            self.keys[(pid, key)] = refund
            total = payment["transaction_amount_refunded"] >= payment["transaction_amount"]
            payment["date_last_updated"] = _iso(_now())
        if total:
            self.set_status(pid, "refunded", "refunded")
        else:
            self.set_status(pid, "approved", "partially_refunded")
        return 201, refund

    def refund_list(self, request, pid: str) -> Answer:
        with self.lock:
            payment = self.payments.get(pid)
            return (200, list(payment["refunds"])) if payment else _error(404, "Not found", 2000)

    def preference_create(self, request) -> Answer:
        body = request.json if isinstance(request.json, dict) else {}
        items = body.get("items")
        ok = (
            isinstance(items, list)
            and items
            and all(
                isinstance(i.get("unit_price"), int | float) and i.get("quantity") for i in items
            )
        )
        if not ok:
            return _error(400, "items needed, each with unit_price and quantity", 4021)
        pref_id = f"{USER_ID}-{uuid.uuid4()}"
        preference = {
            **body,
            "id": pref_id,
            "collector_id": int(USER_ID),
            "date_created": _iso(_now()),
            "init_point": f"{self.base}/checkout/{pref_id}",
            "sandbox_init_point": f"{self.base}/checkout/{pref_id}",
        }
        with self.lock:
            self.preferences[pref_id] = preference
        return 201, preference

    def preference_get(self, request, pref_id: str) -> Answer:
        with self.lock:
            pref = self.preferences.get(pref_id)
        return (200, pref) if pref else _error(404, "Preference not found", 2000)

    def control_status(self, request, pid: str) -> Answer:
        body = request.json or {}
        if pid not in self.payments or not body.get("status"):
            return _error(404, "Payment not found or no status", 2000)
        return 200, self.set_status(pid, body["status"], body.get("status_detail", ""))


def _public(payment: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in payment.items() if not k.startswith("_")}


def _method(mid: str, name: str, kind: str, **extra) -> dict:
    return {"id": mid, "name": name, "payment_type_id": kind, "status": "active", **extra}
