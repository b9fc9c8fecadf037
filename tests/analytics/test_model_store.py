"""A trained model is stored privately, becomes the current one and loads back unchanged."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from portal.analytics.models import PropensityModel
from portal.analytics.propensity import propensity_train
from portal.analytics.services import (
    ArtifactTampered,
    propensity_model_load,
    propensity_model_store,
)
from portal.audit.models import AuditEvent
from tests.analytics.test_propensity import NAMES, _rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained():
    features, labels, cutoffs, _truth = _rows(2_000)
    return propensity_train(
        features=features, labels=labels, cutoffs=cutoffs, feature_names=NAMES
    ), features


def test_the_newest_model_is_current_and_loads_back_with_the_same_scores(trained):
    model, features = trained
    window = (dt.date(2026, 1, 1), dt.date(2026, 12, 1))

    first = propensity_model_store(trained=model, window_start=window[0], window_end=window[1])
    second = propensity_model_store(trained=model, window_start=window[0], window_end=window[1])

    assert list(PropensityModel.objects.filter(is_current=True)) == [second]
    first.refresh_from_db()
    assert not first.is_current
    assert second.artifact.name.startswith("models/")
    assert not second.artifact.name.startswith("models/models/")
    with pytest.raises(NotImplementedError):  # private storage: no URL serves it
        _ = second.artifact.url
    loaded = propensity_model_load(second)
    assert np.allclose(loaded.predict(features[:50]), model.predict(features[:50]))
    assert loaded.metrics["auc"] == pytest.approx(model.metrics["auc"])
    assert AuditEvent.objects.filter(action="analytics.model_trained").count() == 2


def test_an_artifact_changed_on_disk_is_refused(trained):
    model, _features = trained
    stored = propensity_model_store(
        trained=model, window_start=dt.date(2026, 1, 1), window_end=dt.date(2026, 12, 1)
    )
    with open(stored.artifact.path, "ab") as file:
        file.write(b"tampered")

    with pytest.raises(ArtifactTampered):
        propensity_model_load(stored)
