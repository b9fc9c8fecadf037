import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` are skipped with a reason on SQLite, never silently passed."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... to run")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def on_postgres():
    assert connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Cached data (the mora stages, the cache backend) must not leak between tests."""
    from django.core.cache import cache

    from portal.debtors.selectors import forget_mora_stages

    forget_mora_stages()
    cache.clear()
    yield
    forget_mora_stages()
    cache.clear()
