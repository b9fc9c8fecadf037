import pytest

from portal.debtors.models import MoraStage
from portal.debtors.selectors import mora_stages, stage_for_days
from tests.factories import default_stages

pytestmark = pytest.mark.django_db


def test_saving_a_band_is_seen_at_once_by_this_process(django_assert_num_queries):
    default_stages()
    assert stage_for_days(45).code == "intermedia"
    with django_assert_num_queries(0):
        mora_stages()
    band = MoraStage.objects.get(code="intermedia")
    band.name = "Intermedia renombrada"
    band.save()
    assert stage_for_days(45).name == "Intermedia renombrada"


def test_deleting_a_band_is_seen_at_once():
    default_stages()
    assert stage_for_days(500).code == "prejuridica"
    MoraStage.objects.filter(code="prejuridica").delete()
    assert stage_for_days(500) is None
