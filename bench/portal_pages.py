"""Requests per second of the debtor dashboard against /healthz, on gunicorn and PostgreSQL.

    .venv/bin/python bench/portal_pages.py            # goal: dashboard >= 30% of /healthz

Creates a throwaway database (server from DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/), migrates it, seeds the demo data and mints a payment
link for a demo debtor. Collects static files into a temp dir and starts gunicorn with the
production settings (only STATIC_ROOT moved, by a settings module in that temp dir) on a
free loopback port. Signs in through the real door (GET /p/<token>, then POST /p/verificar/
with the CSRF token), checks the dashboard answers 200 with that session, then runs wrk
against /healthz and /mi-cuenta/ in alternating rounds (--rounds, default 3; a burst of
other work on the machine then falls on both sides), with the session cookie sent by wrk
itself (the production cookies are Secure and this is plain http). A small Lua script counts every
status that is not 200, because wrk counts redirects as successes and a redirect to the
signed-out page would measure the wrong view. Prints each round on stderr and the medians
as `healthz_rps=… dashboard_rps=… ratio=…`, stops gunicorn and drops the database.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from _server import gunicorn_running
from _throwaway import free_port, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
GOAL = 0.30

# Counts non-200 answers across wrk's threads (wrk itself only reports non-2xx/3xx).
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_ok = 0 end
function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("not_ok") end
  io.write(string.format("not_200=%d\\n", total))
end
"""

BENCH_SETTINGS = """\
from portal.settings.production import *  # noqa: F403


STATIC_ROOT = {static_root!r}
"""


class Browser:
    """Just enough of a browser for the sign-in: keeps cookies, never follows redirects."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
        headers = {"User-Agent": "bench/portal_pages", "Origin": f"http://{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response.status, response.headers, content


def sign_in(port: int, token: str, answer: str) -> Browser:
    browser = Browser(port)
    status, headers, _ = browser.request("GET", f"/p/{token}")
    assert status == 302 and headers["Location"] == "/p/verificar/", (status, headers)
    status, _, page = browser.request("GET", "/p/verificar/")
    assert status == 200, status
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    status, headers, _ = browser.request(
        "POST", "/p/verificar/", {"csrfmiddlewaretoken": csrf, "answer": answer}
    )
    assert status == 302 and headers["Location"] == "/mi-cuenta/", (status, headers)
    return browser


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() != 0:
        sys.exit("wrk is missing: sudo apt-get install -y wrk")
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False).returncode:
        subprocess.run(["apt-get", "update", "-q"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("could not install wrk")


def run_wrk(
    wrk: str, url: str, script: Path, *, seconds: int, connections: int, cookie: str = ""
) -> tuple[float, int, str]:
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    not_200 = int(re.search(r"not_200=(\d+)", out).group(1))
    errors = re.search(r"Socket errors:.*", out)
    return rps, not_200, errors.group(0) if errors else ""


def seed() -> tuple[str, str]:
    """Migrate, load the demo and mint a link for its first debtor: (token, answer)."""
    from django.core.management import call_command

    from portal.access.services import payment_link_create
    from portal.debtors.models import Debtor
    from portal.staff.demo import seed_demo

    call_command("migrate", verbosity=0)
    seed_demo()
    debtor = Debtor.objects.filter(language="es").order_by("pk").first()
    _, token = payment_link_create(debtor=debtor)
    return token, debtor.document_number[-4:]


def bench(args, database_url: str, tmp: Path) -> None:
    token, answer = seed()
    from django.db import connections

    connections.close_all()  # gunicorn's workers should be the only clients while measuring

    (tmp / "bench_settings.py").write_text(BENCH_SETTINGS.format(static_root=str(tmp / "static")))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "False",
        "LOG_LEVEL": "WARNING",
        # Production runs with Redis (cache, cached sessions); so does the bench.
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
    }
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    port = free_port()
    with gunicorn_running(port=port, workers=args.workers, env=env, log=tmp / "gunicorn.log"):
        browser = sign_in(port, token, answer)
        status, headers, page = browser.request("GET", "/mi-cuenta/")
        if status != 200 or 'data-testid="total-balance"' not in page:
            sys.exit(f"dashboard check failed: {status} {headers.get('Location')}")
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())

        script = tmp / "count.lua"
        script.write_text(WRK_SCRIPT)
        wrk = ensure_wrk()
        base = f"http://{HOST}:{port}"
        run = {"seconds": args.seconds, "connections": args.connections}
        warm = {"seconds": 2, "connections": args.connections}
        run_wrk(wrk, f"{base}/healthz", script, **warm)
        run_wrk(wrk, f"{base}/mi-cuenta/", script, cookie=cookie, **warm)
        # Alternating rounds, so a burst of other work on the machine falls on both sides.
        rounds = []
        for _ in range(args.rounds):
            healthz = run_wrk(wrk, f"{base}/healthz", script, **run)
            dashboard = run_wrk(wrk, f"{base}/mi-cuenta/", script, cookie=cookie, **run)
            rounds.append((healthz, dashboard))
        # Still signed in afterwards: nothing timed out or logged the session out mid-run.
        assert browser.request("GET", "/mi-cuenta/")[0] == 200

    for healthz, dashboard in rounds:
        for name, (_, bad, err) in (("healthz", healthz), ("dashboard", dashboard)):
            if err:
                print(f"{name}: {err}", file=sys.stderr)
            if bad:
                sys.exit(f"{name}: {bad} answers were not 200; the figures measure the wrong thing")
    ratios = [d[0] / h[0] for h, d in rounds]
    print(
        f"workers={args.workers} connections={args.connections} seconds={args.seconds} "
        f"rounds={args.rounds} redis={env['REDIS_URL']}",
        file=sys.stderr,
    )
    for number, ((h, _, _), (d, _, _)) in enumerate(rounds, 1):
        print(f"round {number}: healthz_rps={h:.1f} dashboard_rps={d:.1f} ratio={h and d / h:.2f}",
              file=sys.stderr)  # fmt: skip
    healthz_rps = statistics.median(h[0] for h, _ in rounds)
    dashboard_rps = statistics.median(d[0] for _, d in rounds)
    ratio = statistics.median(ratios)
    print(f"healthz_rps={healthz_rps:.1f} dashboard_rps={dashboard_rps:.1f} ratio={ratio:.2f}")
    verdict = "met" if ratio >= GOAL else "NOT met"
    print(f"goal dashboard >= {GOAL:.0%} of /healthz: {verdict}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per endpoint")
    parser.add_argument(
        "--rounds", type=int, default=3, help="healthz/dashboard pairs; the medians are printed"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    # Seeding runs here with the test settings (fast hasher, inline tasks); gunicorn gets
    # the production settings.
    with (
        throwaway_database("bench_pages") as database_url,
        tempfile.TemporaryDirectory(prefix="bench_pages_") as tmp,
    ):
        bench(args, database_url, Path(tmp))


if __name__ == "__main__":
    main()
