"""The Redis cache backend that keeps one client per pool, against a real Redis."""

import os

import pytest

from portal.cache import SharedClientRedisCache
from tests.helpers.concurrency import errors_of, run_times

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL=redis://...")


@pytest.fixture
def cache():
    backend = SharedClientRedisCache(REDIS_URL, {"KEY_PREFIX": "test_cache"})
    yield backend
    backend.clear()


def test_values_round_trip_and_expire_like_djangos_backend(cache):
    cache.set("session", {"debtor_id": 7, "seen": 1.5}, timeout=30)
    assert cache.get("session") == {"debtor_id": 7, "seen": 1.5}
    assert cache.add("session", "other") is False
    cache.delete("session")
    assert cache.get("session", "gone") == "gone"
    cache.set("short", 1, timeout=0)  # Django: 0 means expire at once
    assert cache.get("short") is None


def test_one_client_serves_every_call_and_every_thread(cache):
    first = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is first

    def work(n):
        cache.set(f"k{n}", n)
        return cache._cache.get_client(), cache.get(f"k{n}")

    outcomes = run_times(work, 8)
    errors = errors_of(outcomes)
    seen = [outcome.value for outcome in outcomes]
    assert not errors
    assert sorted(value for _, value in seen) == list(range(8))
    assert all(client is first for client, _ in seen)
