import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus
from portal.debtors.services import ledger_post
from tests.factories import DebtFactory
from tests.helpers.access import sign_in

pytestmark = pytest.mark.django_db


def test_dashboard_shows_balance_breakdown_and_stage_tone(debtor_client):
    response = debtor_client.get("/mi-cuenta/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ana María Peña" in body
    assert "TC-100" in body
    assert "1.060.000" in body  # balance, formatted for es-CO
    assert "45" in body  # days past due
    assert "tone-supportive" in body  # intermedia stage
    assert "Saldo total" in body and "Días de mora" in body


def test_a_debt_in_an_agreement_sets_no_collection_tone(debtor_client, debtor):
    debtor.debts.update(status=DebtStatus.IN_AGREEMENT)

    body = debtor_client.get("/mi-cuenta/").content.decode()

    assert "1.060.000" in body
    assert "tone-supportive" not in body


def test_dashboard_in_english_formats_for_english(debtor_client):
    debtor_client.post("/idioma/", {"language": "en", "next": "/mi-cuenta/"})
    body = debtor_client.get("/mi-cuenta/").content.decode()
    assert "Total balance" in body
    assert "COP1,060,000" in body  # COP shows no centavos


def test_pages_need_a_verified_session(client, debtor):
    for url in (
        "/mi-cuenta/",
        "/mi-cuenta/historial/",
        "/mi-cuenta/comunicaciones/",
        "/mi-cuenta/preferencias/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "TC-100" not in response.content.decode()


def _add_history(debtor, entries: int):
    debt = debtor.debts.get()
    for n in range(entries):
        ledger_post(
            debt=debt,
            kind="payment",
            amount_minor=-(100 + n),
            effective_date=dt.date(2026, 1, 1) + dt.timedelta(days=n % 300),
        )


@pytest.mark.parametrize("entries", [3, 300])
def test_dashboard_and_history_query_count_is_fixed(debtor_client, debtor, entries):
    _add_history(debtor, entries)
    DebtFactory(debtor=debtor, portfolio=debtor.debts.first().portfolio)
    for url in ("/mi-cuenta/", "/mi-cuenta/historial/", "/mi-cuenta/historial/?page=2"):
        with CaptureQueriesContext(connection) as queries:
            assert debtor_client.get(url).status_code == 200
        assert len(queries) <= 6, (url, [q["sql"] for q in queries])


def test_history_loads_more_with_htmx(debtor_client, debtor):
    _add_history(debtor, 45)
    first = debtor_client.get("/mi-cuenta/historial/").content.decode()
    assert first.count('class="entry ') == 20
    assert 'hx-get="?page=2"' in first
    more = debtor_client.get("/mi-cuenta/historial/?page=2", HTTP_HX_REQUEST="true")
    fragment = more.content.decode()
    assert "<html" not in fragment
    assert fragment.count('class="entry ') == 20
    assert 'hx-get="?page=3"' in fragment
    last = debtor_client.get("/mi-cuenta/historial/?page=3", HTTP_HX_REQUEST="true")
    assert last.content.decode().count('class="entry ') == 6  # 45 payments + 1 charge
    assert "hx-get" not in last.content.decode()


def test_history_with_bad_page_falls_back_to_first(debtor_client):
    assert debtor_client.get("/mi-cuenta/historial/?page=abc").status_code == 200
    assert debtor_client.get("/mi-cuenta/historial/?page=-4").status_code == 200


def test_communications_page_is_empty_until_outreach(debtor_client):
    response = debtor_client.get("/mi-cuenta/comunicaciones/")
    assert response.status_code == 200
    assert 'class="empty"' in response.content.decode()


def test_sign_out_ends_the_session_and_is_audited(debtor_client):
    from portal.audit.models import AuditEvent

    response = debtor_client.post("/salir/")
    assert response.status_code == 302
    assert debtor_client.get("/mi-cuenta/").status_code == 302
    assert AuditEvent.objects.filter(action="debtor.logout", details__reason="logout").exists()


def test_boosted_tab_click_gets_the_whole_history_page(debtor_client):
    response = debtor_client.get(
        "/mi-cuenta/historial/", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true"
    )
    body = response.content.decode()
    assert "<nav" in body and 'class="history"' in body


def test_bare_address_explains_how_to_get_in_or_goes_to_the_account(debtor_client):
    from django.test import Client

    landing = Client().get("/")
    assert landing.status_code == 200
    assert "enlace personal" in landing.content.decode()
    assert debtor_client.get("/").url == "/mi-cuenta/"


def test_tabs_mark_the_current_page_in_the_debtor_language(debtor_client):
    page = debtor_client.get(reverse("selfservice:history")).content.decode()
    assert f'<a href="{reverse("selfservice:history")}" aria-current="page">Historial</a>' in page
    assert f'<a href="{reverse("selfservice:dashboard")}">Saldo</a>' in page
    debtor_client.post(reverse("access:choose_language"), {"language": "en", "next": "/"})
    page = debtor_client.get(reverse("selfservice:dashboard")).content.decode()
    assert f'<a href="{reverse("selfservice:dashboard")}" aria-current="page">Balance</a>' in page
    assert f'<a href="{reverse("selfservice:history")}">History</a>' in page


def test_fixed_urls_follow_the_script_prefix(debtor_client):
    from django.urls import clear_script_prefix, set_script_prefix

    from portal.selfservice.templatetags.portal_tags import fixed_url

    plain = reverse("access:sign_out")
    assert fixed_url("access:sign_out") == plain
    try:
        set_script_prefix("/portal/")
        assert fixed_url("access:sign_out") == "/portal" + plain
    finally:
        clear_script_prefix()
    assert fixed_url("access:sign_out") == plain


def test_the_browser_language_alone_does_not_switch_a_debtor_page(debtor_client):
    body = debtor_client.get("/mi-cuenta/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content
    assert 'lang="es"' in body.decode() and "Saldo total" in body.decode()


def test_a_debtor_whose_record_says_english_sees_english(client, debtor):
    debtor.language = "en"
    debtor.save(update_fields=["language"])
    sign_in(client, debtor)
    client.cookies.pop("django_language", None)  # another browser: only the record speaks
    body = client.get("/mi-cuenta/", HTTP_ACCEPT_LANGUAGE="es-CO").content.decode()
    assert 'lang="en"' in body and "Total balance" in body


def test_choosing_english_on_the_page_is_saved_to_the_record_and_audited(debtor_client, debtor):
    response = debtor_client.post("/idioma/", {"language": "en", "next": "/mi-cuenta/"})
    assert response.status_code == 302 and response.url == "/mi-cuenta/"
    debtor.refresh_from_db()
    assert debtor.language == "en"
    event = AuditEvent.objects.get(action="debtor.language_changed")
    assert event.details == {"from": "es", "to": "en"}
    debtor_client.cookies.pop("django_language", None)
    assert "Total balance" in debtor_client.get("/mi-cuenta/").content.decode()


def test_an_unknown_language_is_refused_with_a_message(debtor_client, debtor):
    response = debtor_client.post("/idioma/", {"language": "fr", "next": "/mi-cuenta/"})
    assert response.status_code == 400 and response.content
    debtor.refresh_from_db()
    assert debtor.language == "es"


def test_staff_pages_follow_the_language_cookie_not_the_browser(admin_client):
    assert admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").headers["Content-Language"] == (
        "es-co"
    )
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert admin_client.get("/admin/").headers["Content-Language"] == "en"


def test_the_favicon_is_linked_and_served(debtor_client):
    page = debtor_client.get("/mi-cuenta/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    response = debtor_client.get("/favicon.ico")
    assert response.status_code == 301 and response.url == "/static/favicon.svg"
