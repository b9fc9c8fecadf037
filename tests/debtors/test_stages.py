from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.debtors.models import MoraStage
from portal.debtors.selectors import debts_with_stage, stage_for_days
from portal.debtors.stages import BandError, band_errors, mora_stages_save
from tests.factories import DebtFactory, StaffFactory, default_stages


@dataclass
class Band:
    code: str
    min_days: int | None
    max_days: int | None


DEFAULT = [
    Band("preventiva", None, 0),
    Band("temprana", 1, 30),
    Band("intermedia", 31, 90),
    Band("tardia", 91, 180),
    Band("prejuridica", 181, None),
]

EDGES = [
    (-5, "preventiva"),
    (0, "preventiva"),
    (1, "temprana"),
    (30, "temprana"),
    (31, "intermedia"),
    (90, "intermedia"),
    (91, "tardia"),
    (180, "tardia"),
    (181, "prejuridica"),
    (10_000, "prejuridica"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("days", "code"), EDGES)
def test_stage_for_days_at_band_edges(days, code):
    stages = default_stages()
    assert stage_for_days(days).code == code
    assert stage_for_days(days, stages).code == code


@pytest.mark.django_db
def test_sql_annotation_agrees_at_every_band_edge():
    default_stages()
    debts = {days: DebtFactory(days_past_due=days) for days, _code in EDGES}
    annotated = {d.pk: d.stage_code for d in debts_with_stage()}
    assert {days: annotated[debt.pk] for days, debt in debts.items()} == dict(EDGES)


@pytest.mark.django_db
def test_no_stage_when_no_bands_are_configured():
    assert stage_for_days(10) is None
    assert debts_with_stage().get(pk=DebtFactory().pk).stage_code is None


def test_default_bands_are_valid_in_any_order():
    assert band_errors(DEFAULT) == []
    assert band_errors(list(reversed(DEFAULT))) == []


def test_a_single_band_covering_everything_is_valid():
    assert band_errors([Band("todo", None, None)]) == []


def test_empty_set_is_refused():
    assert band_errors([]) != []


def test_overlap_is_caught():
    bands = [*DEFAULT[:2], Band("intermedia", 30, 90), *DEFAULT[3:]]
    assert band_errors(bands) == ["“temprana” (1..30) and “intermedia” (30..90) overlap."]


def test_gap_is_caught_naming_the_missing_days():
    bands = [*DEFAULT[:2], Band("intermedia", 35, 90), *DEFAULT[3:]]
    (error,) = band_errors(bands)
    assert "Gap between" in error and "days 31..34" in error


def test_min_above_max_is_caught():
    bands = [*DEFAULT[:2], Band("intermedia", 90, 31), *DEFAULT[3:]]
    assert any("min days is above max days" in e for e in band_errors(bands))


def test_missing_open_ends_are_caught():
    closed = [Band("a", -100, 0), *DEFAULT[1:4], Band("b", 181, 10_000)]
    errors = band_errors(closed)
    assert any("open at the bottom" in e for e in errors)
    assert any("open at the top" in e for e in errors)


def test_two_open_bottoms_are_caught():
    errors = band_errors([Band("x", None, -10), *DEFAULT])
    assert any("Only one band may be open at the bottom" in e for e in errors)


def test_duplicate_codes_are_caught():
    bands = [*DEFAULT[:4], Band("tardia", 181, None)]
    assert band_errors(bands) == ["Code “tardia” is used by more than one band."]


@pytest.mark.django_db
def test_moving_a_shared_boundary_in_one_save_is_audited_before_and_after():
    stages = {s.code: s for s in default_stages()}
    staff = StaffFactory()
    stages["temprana"].max_days = 45
    stages["intermedia"].min_days = 46
    mora_stages_save(changed=[stages["temprana"], stages["intermedia"]], actor=staff)
    assert MoraStage.objects.get(code="intermedia").min_days == 46
    events = list(AuditEvent.objects.filter(action="mora_stage.changed"))
    assert [(e.actor_label, e.details["operation"]) for e in events] == [
        (staff.username, "change"),
        (staff.username, "change"),
    ]
    assert events[0].details["before"]["max_days"] == 30
    assert events[0].details["after"]["max_days"] == 45


@pytest.mark.django_db
def test_a_save_that_leaves_a_gap_writes_nothing():
    stages = {s.code: s for s in default_stages()}
    stages["temprana"].max_days = 20
    with pytest.raises(BandError, match="Gap between"):
        mora_stages_save(changed=[stages["temprana"]], actor=StaffFactory())
    assert MoraStage.objects.get(code="temprana").max_days == 30
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_deleting_a_band_and_widening_its_neighbour_together_is_allowed():
    stages = {s.code: s for s in default_stages()}
    stages["tardia"].max_days = None
    mora_stages_save(
        changed=[stages["tardia"]], deleted=[stages["prejuridica"]], actor=StaffFactory()
    )
    assert stage_for_days(10_000).code == "tardia"
    operations = AuditEvent.objects.values_list("details__operation", flat=True)
    assert sorted(operations) == ["change", "delete"]


def _band_data(stage: MoraStage, **changes) -> dict:
    data = {f: getattr(stage, f) for f in ("code", "name", "min_days", "max_days", "tone")}
    data.update(changes)
    return {k: "" if v is None else v for k, v in data.items()}


def _rows(stages: list[MoraStage], prefix: str = "form", extra: int = 0, **edits) -> dict:
    """POST data for a formset over `stages`; edits map a code to its changed fields."""
    data = {f"{prefix}-TOTAL_FORMS": len(stages) + extra, f"{prefix}-INITIAL_FORMS": len(stages)}
    for i, stage in enumerate(stages):
        data[f"{prefix}-{i}-id"] = stage.pk
        row = _band_data(stage, **edits.get(stage.code, {}))
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def _days() -> dict[str, tuple[int | None, int | None]]:
    return {s.code: (s.min_days, s.max_days) for s in MoraStage.objects.all()}


@pytest.fixture
def stages(db) -> list[MoraStage]:
    return default_stages()


def test_single_band_edit_that_leaves_a_gap_is_refused_explaining_why(admin_client, stages):
    temprana = stages[1]
    url = reverse("admin:debtors_morastage_change", args=[temprana.pk])
    response = admin_client.post(url, _band_data(temprana, max_days=20))
    assert response.status_code == 200
    page = response.content.decode()
    assert "days 21..30 would have no stage" in page
    assert "Edit the neighbouring bands together" in page
    assert MoraStage.objects.get(pk=temprana.pk).max_days == 30
    assert not AuditEvent.objects.exists()


def test_single_band_rename_is_saved_and_audited(admin_client, admin_user, stages):
    temprana = stages[1]
    url = reverse("admin:debtors_morastage_change", args=[temprana.pk])
    response = admin_client.post(url, _band_data(temprana, name="Temprana (1–30)"))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="mora_stage.changed")
    assert event.actor_label == admin_user.username
    assert event.details["before"]["name"] == "Temprana"
    assert event.details["after"]["name"] == "Temprana (1–30)"


def test_adding_an_overlapping_band_alone_is_refused(admin_client, stages):
    data = {"code": "critica", "name": "Crítica", "min_days": 365, "max_days": "", "tone": "formal"}
    response = admin_client.post(reverse("admin:debtors_morastage_add"), data)
    assert response.status_code == 200
    assert "overlap" in response.content.decode()
    assert not MoraStage.objects.filter(code="critica").exists()


def test_changelist_moves_a_shared_boundary_in_one_save(admin_client, stages):
    data = _rows(stages, temprana={"max_days": 45}, intermedia={"min_days": 46})
    response = admin_client.post(
        reverse("admin:debtors_morastage_changelist"), data | {"_save": "1"}
    )
    assert response.status_code == 302
    assert _days()["temprana"] == (1, 45) and _days()["intermedia"] == (46, 90)
    changed = AuditEvent.objects.filter(action="mora_stage.changed")
    assert sorted(e.details["after"]["code"] for e in changed) == ["intermedia", "temprana"]


def test_changelist_edit_that_leaves_a_gap_is_refused(admin_client, stages):
    before = _days()
    data = _rows(stages, temprana={"max_days": 45})
    response = admin_client.post(
        reverse("admin:debtors_morastage_changelist"), data | {"_save": "1"}
    )
    assert response.status_code == 200
    assert "overlap" in response.content.decode()
    assert _days() == before
    assert not AuditEvent.objects.exists()


def test_deleting_a_band_that_leaves_a_gap_is_refused(admin_client, stages):
    tardia = stages[3]
    url = reverse("admin:debtors_morastage_delete", args=[tardia.pk])
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert "No se eliminó" in response.content.decode()
    assert MoraStage.objects.filter(pk=tardia.pk).exists()


def test_bulk_delete_that_leaves_a_gap_is_refused(admin_client, stages):
    url = reverse("admin:debtors_morastage_changelist")
    data = {"action": "delete_selected", "_selected_action": [stages[2].pk], "post": "yes"}
    response = admin_client.post(url, data, follow=True)
    assert "No se eliminó" in response.content.decode()
    assert MoraStage.objects.count() == 5
    assert not AuditEvent.objects.exists()


def test_bands_page_splits_a_band_in_one_save(admin_client, stages):
    url = reverse("admin:debtors_morastage_bands")
    assert admin_client.get(url).status_code == 200
    data = _rows(stages, extra=1, prejuridica={"max_days": 364})
    new = {
        "code": "juridica",
        "name": "Jurídica",
        "min_days": 365,
        "max_days": "",
        "tone": "formal",
    }
    data.update({f"form-5-{k}": v for k, v in new.items()})
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert stage_for_days(364).code == "prejuridica"
    assert stage_for_days(365).code == "juridica"
    operations = AuditEvent.objects.values_list("details__operation", flat=True)
    assert sorted(operations) == ["add", "change"]


def test_bands_page_removes_a_band_when_a_neighbour_takes_its_days(admin_client, stages):
    data = _rows(stages, tardia={"max_days": None})
    data["form-4-DELETE"] = "on"
    response = admin_client.post(reverse("admin:debtors_morastage_bands"), data)
    assert response.status_code == 302
    assert stage_for_days(500).code == "tardia"
    assert not MoraStage.objects.filter(code="prejuridica").exists()


def test_bands_page_refuses_a_set_with_a_gap(admin_client, stages):
    data = _rows(stages)
    data["form-4-DELETE"] = "on"
    response = admin_client.post(reverse("admin:debtors_morastage_bands"), data)
    assert response.status_code == 200
    assert "No band is open at the top" in response.content.decode()
    assert MoraStage.objects.count() == 5
