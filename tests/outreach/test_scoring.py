"""Analytics writes a debt's score through outreach: a second run replaces the first."""

from __future__ import annotations

import pytest

from portal.outreach.models import DebtScore
from portal.outreach.scoring import debt_scores_write, score_band
from tests.factories import DebtFactory

pytestmark = pytest.mark.django_db


def test_scores_are_written_with_their_band_and_replaced_by_the_next_model():
    first, second = DebtFactory(), DebtFactory()

    debt_scores_write(
        scores=[(first.pk, first.debtor_id, 0.61), (second.pk, second.debtor_id, 0.05)],
        model_version="v1",
    )
    debt_scores_write(scores=[(first.pk, first.debtor_id, 0.3)], model_version="v2")

    rows = {s.debt_id: (s.band, s.propensity, s.model_version) for s in DebtScore.objects.all()}
    assert rows == {first.pk: ("medium", 0.3, "v2"), second.pk: ("low", 0.05, "v1")}


@pytest.mark.parametrize(
    ("propensity", "band"),
    [(0.0, "low"), (0.199, "low"), (0.2, "medium"), (0.5, "high"), (1, "high")],
)
def test_bands_start_at_their_floor(propensity, band):
    assert score_band(propensity) == band
