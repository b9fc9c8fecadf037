"""Storing a trained propensity model and loading the current one back."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets

import joblib
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from portal.audit.services import record
from portal.storage import private_name

from .models import PropensityModel
from .propensity import Trained


class ArtifactTampered(RuntimeError):
    """The stored artifact's bytes no longer match the SHA-256 written when it was stored."""


def propensity_model_store(
    *, trained: Trained, window_start: dt.date, window_end: dt.date, actor=None
) -> PropensityModel:
    """Keep the model's artifact and metrics and make it the current model (audited)."""
    buffer = io.BytesIO()
    joblib.dump(trained.estimator, buffer)
    content = buffer.getvalue()
    now = timezone.now()
    version = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    model = PropensityModel(
        version=version,
        algorithm=trained.algorithm,
        trained_at=now,
        window_start=window_start,
        window_end=window_end,
        feature_names=list(trained.feature_names),
        metrics=trained.metrics,
        calibration=trained.calibration,
        lift=trained.lift,
        importance=trained.importance,
        artifact_sha256=hashlib.sha256(content).hexdigest(),
        is_current=True,
    )
    # The storage itself, not FieldFile.save: that would put upload_to's "models/" before
    # private_name's own "models/" folder.
    model.artifact.name = model.artifact.storage.save(
        private_name("models", version, ".joblib"), ContentFile(content)
    )
    with transaction.atomic():
        PropensityModel.objects.filter(is_current=True).update(is_current=False)
        model.save()
        record(
            "analytics.model_trained",
            actor=actor,
            subject=model,
            details={
                "version": version,
                "algorithm": trained.algorithm,
                "auc": trained.metrics.get("auc"),
                "window": [window_start.isoformat(), window_end.isoformat()],
            },
        )
    return model


def propensity_model_load(model: PropensityModel) -> Trained:
    """The stored estimator, after checking its bytes are the ones the portal wrote."""
    with model.artifact.open("rb") as file:
        content = file.read()
    if hashlib.sha256(content).hexdigest() != model.artifact_sha256:
        raise ArtifactTampered(f"model {model.version}: artifact does not match its SHA-256")
    return Trained(
        estimator=joblib.load(io.BytesIO(content)),
        algorithm=model.algorithm,
        feature_names=tuple(model.feature_names),
        metrics=model.metrics,
        calibration=model.calibration,
        lift=model.lift,
        importance=model.importance,
    )
