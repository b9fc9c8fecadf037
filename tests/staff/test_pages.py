"""The staff pages in admin: the call panel on the debtor's page and the KPI dashboard,
with who may use them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from agreements.models import PromiseToPay
from portal.debtors.services import ledger_post
from portal.outreach.models import ContactOutcome
from portal.staff.models import KpiBalance
from tests.helpers.staff import BOGOTA

pytestmark = pytest.mark.django_db


def log_url(debtor) -> str:
    return reverse("admin:staff_contactoutcome_log", args=[debtor.pk])


def promise_form(debt) -> dict:
    return {
        "method": "phone",
        "direction": "outbound",
        "outcome": "promise",
        "debt": debt.pk,
        "notes": "Promete pagar el lunes",
        "promise_amount": "250.000",
        "promise_date": "2026-11-30",
    }


def test_the_debtor_page_loads_the_call_panel_and_reloads_the_timeline_after_a_call(
    client, agent, debtor, ana_consents_to_calls, debt
):
    client.force_login(agent)
    page = client.get(reverse("admin:debtors_debtor_change", args=[debtor.pk])).content.decode()
    assert f'hx-get="{log_url(debtor)}"' in page
    assert 'hx-trigger="load, call-logged from:body"' in page


def test_the_agent_sees_whether_calling_now_is_allowed_and_why(
    client, agent, debtor, ana_consents_to_calls, debt
):
    client.force_login(agent)
    with time_machine.travel(dt.datetime(2026, 11, 24, 10, 0, tzinfo=BOGOTA), tick=False):
        allowed = client.get(log_url(debtor)).content.decode()
    with time_machine.travel(dt.datetime(2026, 11, 24, 19, 30, tzinfo=BOGOTA), tick=False):
        late = client.get(log_url(debtor)).content.decode()
    assert "Se permite llamar ahora." in allowed
    assert "No llames ahora: fuera del horario legal de contacto." in late
    # The legal window opens at 07:00; Ana asked to be called from 08:00.
    assert "Próximo momento permitido: 25/11/2026 08:00 (America/Bogota)." in late


def test_an_agent_logs_a_promise_and_it_shows_on_the_timeline(
    client, tuesday, agent, debtor, ana_consents_to_calls, debt
):
    client.force_login(agent)
    response = client.post(log_url(debtor), promise_form(debt), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "call-logged" in response.headers["HX-Trigger"]
    assert "Resultado de la llamada guardado" in response.content.decode()
    assert "promesa n.º" in response.content.decode()
    promise = PromiseToPay.objects.get(debt=debt)
    assert promise.amount_minor == 250_000_00
    timeline = client.get(reverse("admin:audit_auditevent_timeline", args=[debtor.pk]))
    html = timeline.content.decode()
    assert "call.promise" in html and "Promete pagar el lunes" in html
    assert 'class="timeline-note"' in html


def test_without_htmx_a_logged_call_goes_back_to_the_debtor(
    client, tuesday, agent, debtor, ana_consents_to_calls, debt
):
    client.force_login(agent)
    response = client.post(log_url(debtor), promise_form(debt), follow=True)
    assert response.redirect_chain == [
        (reverse("admin:debtors_debtor_change", args=[debtor.pk]), 302)
    ]
    said = [str(m) for m in response.context["messages"]]
    assert said == ["Resultado de la llamada guardado: Llamada telefónica · Promesa de pago."]


def test_a_bad_form_is_answered_400_and_logs_nothing(
    client, tuesday, agent, debtor, ana_consents_to_calls, debt
):
    client.force_login(agent)
    form = {**promise_form(debt), "promise_amount": ""}
    response = client.post(log_url(debtor), form, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "A promise needs the debt, an amount and a date." in response.content.decode()
    assert not ContactOutcome.objects.exists()


def test_a_promise_below_the_minimum_is_a_400_naming_it_and_logs_nothing(
    client, tuesday, agent, debtor, ana_consents_to_calls, debt
):
    client.force_login(agent)
    form = {**promise_form(debt), "promise_amount": "1,50"}

    response = client.post(log_url(debtor), form, headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert "El valor prometido debe ser de al menos $20.000." in response.content.decode()
    assert not ContactOutcome.objects.exists() and not PromiseToPay.objects.exists()


def test_compliance_sees_the_panel_but_cannot_log_calls(
    client, compliance, debtor, ana_consents_to_calls, debt
):
    client.force_login(compliance)
    page = client.get(log_url(debtor))
    assert page.status_code == 200 and "Registrar el contacto" not in page.content.decode()
    assert client.post(log_url(debtor), promise_form(debt)).status_code == 403
    assert not ContactOutcome.objects.exists()


def test_nobody_adds_or_edits_outcomes_through_the_plain_admin(client, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("admin:outreach_contactoutcome_changelist")).status_code == 200
    assert client.get(reverse("admin:outreach_contactoutcome_add")).status_code == 403


def test_the_kpi_page_is_for_supervisors_administrators_and_compliance(
    client, agent, supervisor, compliance, debt
):
    url = reverse("admin:staff_kpis")
    client.force_login(agent)
    assert client.get(url).status_code == 403
    for person in (supervisor, compliance):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert b"<svg" in response.content and "Tasa de recuperación".encode() in response.content
        # SVG coordinates keep a decimal point in Spanish too (no "12,5").
        assert not re.search(rb'(x|y|width|height)="-?\d+,\d', response.content)


def test_the_kpi_page_takes_its_filters(client, supervisor, portfolio, stages, debt):
    client.force_login(supervisor)
    response = client.get(
        reverse("admin:staff_kpis"),
        {
            "start": "2026-11-01",
            "end": "2026-11-30",
            "portfolio": portfolio.pk,
            "stage": stages["intermedia"].pk,
            "channel": "sms",
        },
    )
    assert response.status_code == 200
    assert response.context["filters"].portfolio_id == portfolio.pk
    assert response.context["filters"].stage == ("intermedia", 31, 90)


def test_a_logged_call_reaches_the_kpi_numbers_at_once(
    client,
    tuesday,
    supervisor,
    debtor,
    ana_consents_to_calls,
    debt,
    django_capture_on_commit_callbacks,
):
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(log_url(debtor), promise_form(debt), headers={"HX-Request": "true"})

    kpi = client.get(reverse("admin:staff_kpis")).context["kpi"]
    counts = kpi["counts"]
    assert (counts["attempts"], counts["contacts"], counts["right_party"]) == (1, 1, 1)


def _money(client) -> tuple:
    response = client.get(reverse("admin:staff_kpis"))
    assert response.status_code == 200
    kpi = response.context["kpi"]
    (row,) = kpi["money"]
    return row["debts"], row["collected"], kpi["refreshed_at"], response.content.decode()


def test_without_a_beat_the_kpi_page_computes_figures_older_than_ten_minutes(
    client, settings, supervisor, debt
):
    settings.KPI_REFRESH_ON_VIEW = True
    client.force_login(supervisor)
    opened = dt.datetime(2026, 11, 24, 10, 0, tzinfo=BOGOTA)
    with time_machine.travel(opened, tick=False) as clock:
        debts, collected, at, page = _money(client)
        assert (debts, collected, at) == (1, 0, opened)
        # Spanish by default: "figures as of ..., computed when this page is opened".
        assert "Cifras al 24/11/2026 10:00: se calculan al abrir esta página" in page

        ledger_post(debt=debt, kind="payment", amount_minor=-200_000_00)
        clock.shift(dt.timedelta(minutes=9))
        assert _money(client)[1:3] == (0, opened)  # fresh enough: not rebuilt

        clock.shift(dt.timedelta(minutes=2))
        assert _money(client)[1:3] == (200_000_00, opened + dt.timedelta(minutes=11))


def test_with_a_beat_the_kpi_page_only_reads_the_rollups(client, settings, supervisor, debt):
    settings.KPI_REFRESH_ON_VIEW = False
    client.force_login(supervisor)
    response = client.get(reverse("admin:staff_kpis"))
    assert response.context["kpi"]["refreshed_at"] is None
    assert "Cifras aún no calculadas: el beat las calcula" in response.content.decode()
    assert not KpiBalance.objects.exists()


def test_the_kpi_charts_name_steps_channels_and_stages_in_spanish(client, supervisor, debt):
    client.force_login(supervisor)

    page = client.get(reverse("admin:staff_kpis")).content.decode()

    assert ">enviados</text>" in page and ">pagados</text>" in page
    assert "Pagos por canal, por semana (COP)" in page
    assert "Sin canal:" in page and "Visita en terreno:" in page
    assert ">sent</text>" not in page and "none:" not in page


def test_field_names_and_the_call_panel_read_spanish_then_english_after_the_switch(
    client, agent, debtor, ana_consents_to_calls, debt
):
    client.force_login(agent)
    change = reverse("admin:debtors_debtor_change", args=[debtor.pk])
    spanish = client.get(change).content.decode()
    assert "Nombre completo" in spanish and "Canal preferido" in spanish
    assert "¿Puedo llamar ahora?" in client.get(log_url(debtor)).content.decode()

    client.post(reverse("set_language"), {"language": "en", "next": change})

    english = client.get(change).content.decode()
    assert "Full name" in english and "Preferred channel" in english
    assert "Nombre completo" not in english
    assert "May I call now?" in client.get(log_url(debtor)).content.decode()
