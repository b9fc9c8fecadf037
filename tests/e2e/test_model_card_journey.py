"""The propensity model's card in a real browser, in Spanish: a supervisor opens the models
from the admin home and reads the current model's metrics, its calibration and lift charts,
feature importance and the scored debts by stage, with no CSP report and no serious axe
finding."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission

from portal.analytics.propensity import propensity_train
from portal.analytics.services import propensity_model_store
from portal.outreach.scoring import debt_scores_write
from portal.staff.roles import SUPERVISOR, roles_sync
from tests.analytics.test_propensity import NAMES, _rows
from tests.factories import DebtFactory, StaffFactory
from tests.helpers.browser import CSP_LISTENER

pytestmark = pytest.mark.e2e

PASSWORD = "s3cret-pass"


@pytest.fixture
def current_model(live_stages):
    features, labels, cutoffs, _truth = _rows(2_000)
    trained = propensity_train(
        features=features, labels=labels, cutoffs=cutoffs, feature_names=NAMES
    )
    model = propensity_model_store(
        trained=trained, window_start=dt.date(2025, 12, 1), window_end=dt.date(2026, 11, 1)
    )
    debts = [DebtFactory(days_past_due=days) for days in (10, 45, 200)]
    debt_scores_write(
        scores=[(d.pk, d.debtor_id, p) for d, p in zip(debts, (0.7, 0.3, 0.05), strict=True)],
        model_version=model.version,
    )
    return model


def test_a_supervisor_reads_the_model_card_with_its_charts(
    live_server, browser, current_model, axe_check, shoot
):
    roles_sync(group_model=Group, permission_model=Permission)
    user = StaffFactory(username="supervisora-lucia")
    user.groups.add(Group.objects.get(name=SUPERVISOR))
    violations: list[dict] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO")
    context.set_default_timeout(15_000)
    context.expose_function("__reportCsp", lambda violation: violations.append(violation))
    context.add_init_script(CSP_LISTENER)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.locator("input[type=submit]").click()

        with page.expect_navigation():
            page.get_by_role("link", name="Modelos de propensión").first.click()
        assert page.get_by_test_id("train-now").text_content().strip() == "Entrenar ahora"
        with page.expect_navigation():
            page.locator("#result_list a", has_text=current_model.version).click()

        card = page.get_by_test_id("model-card")
        assert "Ficha del modelo" in page.locator("h1").first.text_content()
        auc = page.get_by_test_id("model-auc").text_content().strip()
        assert auc == f"{current_model.metrics['auc']:.3f}".replace(".", ",")
        assert page.get_by_test_id("calibration-chart").locator("circle").count() == len(
            current_model.calibration
        )
        assert page.get_by_test_id("lift-chart").locator("polyline").count() == 2
        assert page.get_by_test_id("importance-chart").locator("rect").count() == len(NAMES)
        distribution = page.get_by_test_id("score-distribution").text_content()
        assert "Propensión alta" in distribution and "Propensión baja" in distribution
        assert card.is_visible()
        shoot(page, "70-staff-model-card")
        axe_check(page, "model card", exclude=[".breadcrumbs"])
    finally:
        context.close()
    assert not violations, violations
