"""Writing what analytics learned into outreach's score tables (models/scoring.py).

Analytics sits above outreach, so it calls these functions; campaigns only read the rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from .models import DebtScore, ScoreBand

# A debt at or above HIGH is in the high band, at or above MEDIUM in the medium band.
BAND_FLOORS = ((0.5, ScoreBand.HIGH), (0.2, ScoreBand.MEDIUM), (0.0, ScoreBand.LOW))
WRITE_BATCH = 5_000


def score_band(propensity: float) -> str:
    return next(band for floor, band in BAND_FLOORS if propensity >= floor)


def debt_scores_write(*, scores: Iterable[tuple[int, int, float]], model_version: str) -> int:
    """Insert or replace the score of each (debt id, debtor id, propensity); returns how
    many were written. One upsert per `WRITE_BATCH` rows, no read first."""
    now = timezone.now()
    rows = [
        DebtScore(
            debt_id=debt_id,
            debtor_id=debtor_id,
            propensity=round(float(propensity), 6),
            band=score_band(propensity),
            model_version=model_version,
            scored_at=now,
        )
        for debt_id, debtor_id, propensity in scores
    ]
    DebtScore.objects.bulk_create(
        rows,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["debt"],
        update_fields=["debtor", "propensity", "band", "model_version", "scored_at"],
    )
    return len(rows)
