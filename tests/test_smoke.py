import pytest

from portal.audit.services import record
from tests.factories import DebtFactory
from tests.helpers.audit import sealed


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_record_chains_onto_previous_event():
    first, second = sealed(
        record("test.first", subject=DebtFactory()), record("test.second", details={"n": 1})
    )
    assert second.prev_hash == first.hash
