"""The current propensity model's card in admin: its metrics, charts and score distribution."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse

from portal.analytics.models import PropensityModel
from portal.analytics.propensity import propensity_train
from portal.analytics.services import propensity_model_store
from portal.outreach.scoring import debt_scores_write
from portal.staff.roles import AGENT, COMPLIANCE, SUPERVISOR
from tests.analytics.test_propensity import NAMES, _rows
from tests.factories import DebtFactory, default_stages
from tests.staff.test_roles import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_model():
    features, labels, cutoffs, _truth = _rows(2_000)
    trained = propensity_train(
        features=features, labels=labels, cutoffs=cutoffs, feature_names=NAMES
    )
    return propensity_model_store(
        trained=trained, window_start=dt.date(2026, 1, 1), window_end=dt.date(2026, 12, 1)
    )


def test_the_card_shows_the_holdout_metrics_charts_and_bands_by_stage(admin_client, stored_model):
    default_stages()
    early, late = DebtFactory(days_past_due=10), DebtFactory(days_past_due=200)
    debt_scores_write(
        scores=[(early.pk, early.debtor_id, 0.7), (late.pk, late.debtor_id, 0.1)],
        model_version=stored_model.version,
    )

    response = admin_client.get(
        reverse("admin:analytics_propensitymodel_change", args=[stored_model.pk])
    )

    assert response.status_code == 200
    html = response.content.decode()
    auc = floatformat(stored_model.metrics["auc"], 3)  # as the page's language writes it
    assert f'<dd data-testid="model-auc">{auc}</dd>' in html
    for chart in ("calibration-chart", "lift-chart", "importance-chart"):
        assert f'data-testid="{chart}"' in html
    assert html.count("<circle") == len(stored_model.calibration)
    card = response.context["card"]
    assert [stage["counts"] for stage in card["stages"]] == [[1, 0, 0], [0, 0, 1]]
    assert [bar["feature"] for bar in card["importance"]][-1] == "noise"


def test_models_cannot_be_added_or_edited_in_admin(admin_client, stored_model):
    assert admin_client.get(reverse("admin:analytics_propensitymodel_add")).status_code == 403
    changelist = admin_client.get(reverse("admin:analytics_propensitymodel_changelist"))
    assert changelist.status_code == 200
    assert stored_model.version in changelist.content.decode()


@pytest.mark.parametrize(("role", "status"), [(SUPERVISOR, 200), (COMPLIANCE, 200), (AGENT, 403)])
def test_supervisors_and_compliance_read_the_card_agents_do_not(client, stored_model, role, status):
    person(client, role, f"maria-{role}")

    response = client.get(reverse("admin:analytics_propensitymodel_change", args=[stored_model.pk]))

    assert response.status_code == status


def test_train_now_reports_too_little_history_and_trains_nothing(client):
    person(client, SUPERVISOR, "sofia")

    response = client.post(reverse("admin:analytics_propensitymodel_train"), follow=True)

    assert response.status_code == 200
    assert 'data-testid="train-now"' in response.content.decode()
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    assert not PropensityModel.objects.exists()


def test_agents_cannot_train(client):
    person(client, AGENT, "andres")

    assert client.post(reverse("admin:analytics_propensitymodel_train")).status_code == 403
