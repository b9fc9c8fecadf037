"""The public "Verify this message" page and the agency's identity in every page's footer."""

from __future__ import annotations

from django.urls import reverse

URL = "/verifica-este-mensaje/"


def test_anyone_can_read_how_our_messages_look(client, settings):
    settings.PUBLIC_BASE_URL = "https://pagos.agencia.example"
    settings.TWILIO_SMS_FROM = "+5730012345"
    settings.TWILIO_WHATSAPP_FROM = "whatsapp:+5730099999"
    settings.DEFAULT_FROM_EMAIL = "avisos@agencia.example"

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "https://pagos.agencia.example/p/…" in html
    assert "+5730012345" in html and "+5730099999" in html and "whatsapp:" not in html
    assert "avisos@agencia.example" in html
    assert settings.SUPPORT_PHONE in html
    assert f"NIT {settings.AGENCY_NIT}" in html
    assert "¿Este mensaje es realmente nuestro?" in html


def test_the_home_page_and_the_footer_link_it(client, settings):
    html = client.get(reverse("access:home")).content.decode()

    assert html.count(f'href="{URL}"') == 2  # the home page's hint and the footer
    assert settings.AGENCY_NAME in html and settings.AGENCY_NIT in html


def test_only_reading_is_allowed(client):
    assert client.post(URL).status_code == 405


def test_the_accessibility_statement_is_public_and_linked_from_every_page(client, settings):
    html = client.get("/accesibilidad/").content.decode()

    assert "WCAG" in html and "2.2" in html and 'datetime="2026-12-03"' in html
    assert f"mailto:{settings.SUPPORT_EMAIL}" in html
    assert 'href="/accesibilidad/"' in client.get(URL).content.decode()
