"""Gunicorn for the benches that measure over HTTP: start it on a loopback port, wait for
/healthz, stop it (portal_pages.py, webhooks.py)."""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _throwaway import HOST, ROOT

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def wait_until_up(port: int, gunicorn: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    """Return once /healthz answers 200; exit with the log's tail if gunicorn dies or
    stays silent for `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gunicorn.poll() is not None:
            sys.exit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    sys.exit(f"gunicorn did not answer /healthz in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen, *, grace: float = 15) -> None:
    """SIGTERM (graceful: gunicorn's or Celery's workers finish what they hold), then
    SIGKILL after `grace` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gunicorn_running(
    *, port: int, workers: int, env: dict[str, str], log: Path, extra: tuple[str, ...] = ()
) -> Iterator[subprocess.Popen]:
    """`portal.wsgi` under gunicorn on HOST:port with `env`, output to `log`; yields once it
    answers /healthz and stops it on the way out, whatever happened."""
    with log.open("w") as log_file:
        gunicorn = subprocess.Popen(
            [str(GUNICORN), "portal.wsgi", "-w", str(workers), "-b", f"{HOST}:{port}", *extra],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(port, gunicorn, log)
        yield gunicorn
    finally:
        stop(gunicorn)
