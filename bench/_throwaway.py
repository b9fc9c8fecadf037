"""What every bench shares: a throwaway PostgreSQL database, and a free loopback port."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_database(
    prefix: str,
    *,
    settings: str = "portal.settings.test",
    loopback_only: bool = True,
    keep: bool = False,
) -> Iterator[str]:
    """Create `<prefix>_<pid>` on DATABASE_URL's server, point DATABASE_URL and Django
    (with `settings`) at it, set Django up and yield its URL; drop it afterwards.

    Benches that start servers refuse a non-loopback database server: they would load
    someone else's machine. `keep` leaves the database for a look afterwards.
    """
    sys.path.insert(0, str(ROOT))
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/")
    parts = urlsplit(server)
    if loopback_only and parts.hostname not in _LOOPBACK:
        sys.exit(f"refusing a non-loopback database server: {parts.hostname}")
    name = f"{prefix}_{os.getpid()}"
    database_url = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings

    import django
    import psycopg

    admin_dsn = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        django.setup()
        yield database_url
    finally:
        from django.db import connections

        connections.close_all()
        if keep:
            print(f"kept database {name}")
        else:
            with psycopg.connect(admin_dsn, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
