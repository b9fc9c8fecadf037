"""Mora stage bands: the rule a full set of bands must satisfy, and the one way to change it.

A valid set covers every integer number of days past due exactly once, from minus
infinity to plus infinity: one band open at the bottom (empty `min_days`), one open at
the top (empty `max_days`), and each band starting the day after the previous one ends.
An empty set is not valid either, since every debt must have a stage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from django.db import transaction

from portal.audit.services import record

from .models import MoraStage


class BandLike(Protocol):
    code: str
    min_days: int | None
    max_days: int | None


class BandError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _span(band: BandLike) -> str:
    low = "−∞" if band.min_days is None else band.min_days
    high = "+∞" if band.max_days is None else band.max_days
    return f"“{band.code}” ({low}..{high})"


def band_errors(bands: Iterable[BandLike]) -> list[str]:
    """Every reason the set fails to cover all days exactly once; empty when it does."""
    bands = list(bands)
    if not bands:
        return ["No mora stage bands: at least one band is needed, covering all days."]
    errors = [
        f"{_span(b)}: min days is above max days."
        for b in bands
        if b.min_days is not None and b.max_days is not None and b.min_days > b.max_days
    ]
    errors += [
        f"Code “{code}” is used by more than one band."
        for code, n in Counter(b.code for b in bands).items()
        if n > 1
    ]
    for attr, end, hint in (
        ("min_days", "bottom", "empty min days, for every day below the others"),
        ("max_days", "top", "empty max days, for every day above the others"),
    ):
        open_ended = [b for b in bands if getattr(b, attr) is None]
        if not open_ended:
            errors.append(f"No band is open at the {end}: one band needs {hint}.")
        elif len(open_ended) > 1:
            names = ", ".join(_span(b) for b in open_ended)
            errors.append(f"Only one band may be open at the {end}; {names} all are.")
    ordered = sorted(bands, key=lambda b: (b.min_days is not None, b.min_days or 0))
    for lower, upper in zip(ordered, ordered[1:], strict=False):
        if lower.max_days is None or upper.min_days is None or upper.min_days <= lower.max_days:
            errors.append(f"{_span(lower)} and {_span(upper)} overlap.")
        elif upper.min_days > lower.max_days + 1:
            errors.append(
                f"Gap between {_span(lower)} and {_span(upper)}: days "
                f"{lower.max_days + 1}..{upper.min_days - 1} would have no stage."
            )
    return errors


def band_errors_after(
    *, changed: Sequence[MoraStage] = (), deleted: Sequence[MoraStage] = ()
) -> list[str]:
    """band_errors for the stored set as it would be after these saves and deletions."""
    return band_errors(_resulting_set(list(MoraStage.objects.all()), changed, deleted))


def _resulting_set(
    current: list[MoraStage], changed: Sequence[MoraStage], deleted: Sequence[MoraStage]
) -> list[MoraStage]:
    replaced = {s.pk: s for s in changed if s.pk is not None}
    gone = {s.pk for s in deleted}
    kept = [replaced.get(s.pk, s) for s in current if s.pk not in gone]
    return kept + [s for s in changed if s.pk is None]


def _snapshot(stage: MoraStage | None) -> dict[str, Any] | None:
    if stage is None:
        return None
    fields = ("code", "name", "min_days", "max_days", "tone")
    return {f: getattr(stage, f) for f in fields}


@transaction.atomic
def mora_stages_save(
    *, changed: Sequence[MoraStage] = (), deleted: Sequence[MoraStage] = (), actor: Any
) -> None:
    """Save and delete bands as one change, refusing it unless the result is a valid set.

    Rows are locked first so two staff members editing at once cannot each pass the
    check and together leave a gap. Each band's change is audited with before and after.
    """
    current = list(MoraStage.objects.select_for_update().order_by("pk"))
    errors = band_errors(_resulting_set(current, changed, deleted))
    if errors:
        raise BandError(errors)
    before = {s.pk: s for s in current}
    for stage in deleted:
        record(
            "mora_stage.changed",
            actor=actor,
            subject=stage,
            details={"operation": "delete", "before": _snapshot(before[stage.pk]), "after": None},
        )
        stage.delete()
    for stage in changed:
        old = _snapshot(before.get(stage.pk)) if stage.pk is not None else None
        if old == _snapshot(stage):
            continue
        stage.full_clean()
        stage.save()
        record(
            "mora_stage.changed",
            actor=actor,
            subject=stage,
            details={
                "operation": "change" if old else "add",
                "before": old,
                "after": _snapshot(stage),
            },
        )


# What a new installation (the demo, the tests) starts with before staff set their own.
DEFAULT_STAGES = [
    ("preventiva", "Preventiva", None, 0, "friendly"),
    ("temprana", "Temprana", 1, 30, "friendly"),
    ("intermedia", "Intermedia", 31, 90, "supportive"),
    ("tardia", "Tardía", 91, 180, "urgent"),
    ("prejuridica", "Prejurídica", 181, None, "formal"),
]


def default_stages_ensure() -> None:
    """Create the default stages unless stages exist (staff's own are never touched)."""
    if MoraStage.objects.exists():
        return
    MoraStage.objects.bulk_create(
        MoraStage(code=c, name=n, min_days=lo, max_days=hi, tone=t)
        for c, n, lo, hi, t in DEFAULT_STAGES
    )
