"""The debtor's door: open a payment link, answer the identity check, sign in."""

from __future__ import annotations

from django.urls import reverse

from portal.access.services import payment_link_create

VERIFY_URL = "/p/verificar/"


def link_url(token: str) -> str:
    return reverse("access:open_link", args=[token])


def open_and_answer(client, token: str, answer: str, **extra):
    """Open the link in this browser, then answer the identity check."""
    client.get(link_url(token), **extra)
    return client.post(VERIFY_URL, {"answer": answer}, **extra)


def sign_in(client, debtor, *, answer: str | None = None):
    """Go through the real door: mint a link, open it, answer the identity check."""
    link, token = payment_link_create(debtor=debtor)
    answer = answer if answer is not None else debtor.document_number[-4:]
    response = open_and_answer(client, token, answer)
    assert response.status_code == 302, response.content[:500]
    return link
