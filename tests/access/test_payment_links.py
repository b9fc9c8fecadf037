import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from portal.access.models import LinkOpen, PaymentLink
from portal.access.services import payment_link_create, payment_link_revoke
from portal.access.tokens import hash_token
from portal.audit.models import AuditEvent
from tests.helpers.access import link_url

pytestmark = pytest.mark.django_db


def test_token_has_256_bits_and_only_its_hash_is_stored(link_and_token):
    link, token = link_and_token
    assert len(token) >= 43
    assert link.token_hash == hash_token(token)
    stored = PaymentLink.objects.values_list(flat=True)
    assert not any(token in str(value) for value in stored)
    assert not AuditEvent.objects.filter(details__icontains=token).exists()


def test_link_defaults_to_portfolio_expiry(debtor, portfolio):
    portfolio.link_expiry_days = 7
    portfolio.save()
    link, _ = payment_link_create(debtor=debtor)
    assert (link.expires_at - link.created_at) == dt.timedelta(days=7)


def test_valid_link_shows_creditor_and_identity_check_only(client, link_and_token):
    _, token = link_and_token
    response = client.get(link_url(token), follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Banco Andino" in body
    assert 'name="answer"' in body
    for secret in ("TC-100", "1.060.000", "1060000", "Ana María", "Peña", "1020304050"):
        assert secret not in body


def test_opening_records_time_ip_and_user_agent(client, link_and_token):
    link, token = link_and_token
    client.get(link_url(token), HTTP_USER_AGENT="Mozilla/5.0 (iPhone)", REMOTE_ADDR="10.1.2.3")
    opened = LinkOpen.objects.get(link=link)
    assert opened.ip_address == "10.1.2.3"
    assert opened.user_agent == "Mozilla/5.0 (iPhone)"
    link.refresh_from_db()
    assert link.open_count == 1 and link.first_opened_at is not None
    assert AuditEvent.objects.filter(action="payment_link.opened").count() == 1


def test_expired_link_is_gone_with_a_friendly_page(client, link_and_token):
    _, token = link_and_token
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        response = client.get(link_url(token))
    assert response.status_code == 410
    assert "Este enlace venció" in response.content.decode()


def test_revoked_link_is_gone(client, link_and_token, admin_user):
    link, token = link_and_token
    payment_link_revoke(link=link, actor=admin_user, reason="sent to wrong number")
    response = client.get(link_url(token))
    assert response.status_code == 410
    assert AuditEvent.objects.filter(action="payment_link.revoked").exists()


def test_link_revoked_after_opening_cannot_sign_in(client, link_and_token):
    link, token = link_and_token
    client.get(link_url(token))
    payment_link_revoke(link=link, reason="replaced")
    assert client.post("/p/verificar/", {"answer": "4050"}).status_code == 404


@pytest.mark.parametrize("token", ["unknown", "x" * 43, "a" * 300])
def test_unknown_link_is_not_found(client, token):
    response = client.get(link_url(token))
    assert response.status_code == 404
    assert "No encontramos este enlace" in response.content.decode()


def test_tampered_token_matches_nothing(client, link_and_token):
    _, token = link_and_token
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(link_url(tampered)).status_code == 404
    assert LinkOpen.objects.count() == 0


def test_create_payment_link_command_prints_a_working_url(client, debtor, capsys):
    call_command("create_payment_link", debtor.document_number, "--days", "3")
    url = capsys.readouterr().out.strip()
    assert url.startswith("http://127.0.0.1:8000/p/")
    path = url.removeprefix("http://127.0.0.1:8000")
    assert client.get(path, follow=True).status_code == 200
    link = PaymentLink.objects.get()
    assert link.expires_at - link.created_at == dt.timedelta(days=3)


def test_create_payment_link_command_refuses_unknown_document(db):
    with pytest.raises(Exception, match="no debtor"):
        call_command("create_payment_link", "000")


def test_link_pages_are_spanish_whatever_the_browser_asks(client, link_and_token):
    _, token = link_and_token
    response = client.get(link_url(token), follow=True, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Confirma que eres tú" in response.content.decode()
    assert response["Content-Language"] == "es-co"


def test_link_pages_follow_the_language_chosen_on_the_page(client, link_and_token):
    _, token = link_and_token
    client.get(link_url(token))
    chosen = client.post("/idioma/", {"language": "en", "next": "/p/verificar/"})
    assert chosen.status_code == 302 and chosen.url == "/p/verificar/"
    assert "Confirm it's you" in client.get("/p/verificar/").content.decode()
