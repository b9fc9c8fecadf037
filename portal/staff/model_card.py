"""Geometry of the model card's charts, drawn by the template as inline SVG (no script, no
inline style: CSP), each beside a table of the same figures."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.analytics.models import PropensityModel
from portal.analytics.selectors import score_distribution_by_stage
from portal.debtors.selectors import mora_stages
from portal.outreach.models import ScoreBand

SIZE, PAD = 240, 24  # square plots: 0..1 on both axes
BAR_WIDTH = 360


def _point(x: float, y: float) -> tuple[float, float]:
    span = SIZE - 2 * PAD
    return round(PAD + x * span, 1), round(SIZE - PAD - y * span, 1)


def _polyline(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x},{y}" for x, y in (_point(px, py) for px, py in points))


def model_card(model: PropensityModel) -> dict:
    calibration = [(row["predicted"], row["observed"]) for row in model.calibration]
    lift = [(0.0, 0.0)] + [(row["contacted"], row["payers_reached"]) for row in model.lift]
    top = max((abs(row["importance"]) for row in model.importance), default=0) or 1
    stage_names = {stage.code: stage.name for stage in mora_stages()} | {"-": _("No stage")}
    distribution = score_distribution_by_stage()
    return {
        "size": SIZE,
        "diagonal": _polyline([(0, 0), (1, 1)]),
        "axes": {"x0": PAD, "y0": SIZE - PAD, "x1": SIZE - PAD, "y1": PAD},
        "calibration": {
            "line": _polyline(calibration),
            "dots": [_point(x, y) for x, y in calibration],
            "rows": model.calibration,
        },
        "lift": {"line": _polyline(lift), "rows": model.lift},
        "importance": [
            {
                "feature": row["feature"],
                "value": row["importance"],
                "y": i * 22,
                "w": round(BAR_WIDTH * max(row["importance"], 0) / top, 1),
            }
            for i, row in enumerate(model.importance)
        ],
        "importance_height": 22 * len(model.importance),
        "bands": ScoreBand.choices,
        "stages": [
            {
                "name": stage_names.get(code, code),
                "counts": [bands.get(band, 0) for band, _label in ScoreBand.choices],
            }
            for code, bands in (
                (code, distribution[code]) for code in stage_names if code in distribution
            )
        ],
    }
