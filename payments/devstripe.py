"""Stripe test mode for development without keys: localstripe (a dev dependency) on a
loopback port, the settings that point the portal at it, and the webhook registration that
makes it deliver signed events to our endpoint.

Used by `manage.py run_demo` (what `make run` starts) and by the default-setup browser
test, so both go the same way. Never used in production: real keys mean real Stripe.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings

# Test keys: Stripe's prefixes, so the pages show the test-mode notice.
SECRET_KEY = "sk_test_portal_demo"
PUBLISHABLE_KEY = "pk_test_portal_demo"
WEBHOOK_NAME = "portal"

# localstripe's own `start()` listens on every interface (::); this binds loopback only and
# starts from an empty store (it still writes its store to /tmp/localstripe.pickle).
_SERVE = (
    "import sys; from aiohttp import web; from localstripe.server import app; "
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)"
)


class LocalStripeError(RuntimeError):
    """localstripe is not installed or did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def die_with_parent() -> None:
    """Popen's preexec_fn: on Linux the child gets SIGTERM if the process that started it is
    killed outright, instead of holding its port for ever; elsewhere nothing."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class LocalStripe:
    process: subprocess.Popen
    base: str
    webhook_secret: str

    @classmethod
    def start(
        cls,
        *,
        log_path: Path | None = None,
        timeout: float = 20.0,
        webhook_secret: str | None = None,
    ) -> LocalStripe:
        """Start localstripe on a free loopback port and wait until it answers; events it
        delivers are signed with `webhook_secret` (a fresh one unless given)."""
        if importlib.util.find_spec("localstripe") is None:
            raise LocalStripeError("localstripe is not installed (a dev dependency: uv sync)")
        port = free_port()
        out = log_path.open("ab") if log_path else subprocess.DEVNULL
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own session: Ctrl+C in the terminal reaches runserver, and we stop this.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        if log_path:
            out.close()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(f"{base}/v1/balance", auth=(SECRET_KEY, ""), timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    raise LocalStripeError(f"localstripe did not start on {base}") from None
                time.sleep(0.1)
        secret = webhook_secret or f"whsec_{secrets.token_hex(16)}"
        return cls(process=process, base=base, webhook_secret=secret)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def register_webhook(self, url: str) -> None:
        """localstripe signs every event with our secret and POSTs it to `url` (about a
        second after it happens)."""
        response = requests.post(
            f"{self.base}/_config/webhooks/{WEBHOOK_NAME}",
            data={"url": url, "secret": self.webhook_secret},
            timeout=5,
        )
        response.raise_for_status()

    def stripe_settings(self) -> dict[str, str]:
        """The STRIPE_* settings (and environment variables) that use this localstripe:
        test keys, its API, its Stripe.js stand-in, which has only the Card Element."""
        return {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "STRIPE_API_BASE": self.base,
            "STRIPE_JS_URL": f"{self.base}/js.stripe.com/v3/",
            "STRIPE_ELEMENT": "card",
        }


def real_keys_configured() -> bool:
    """Keys in the environment (or .env) win: then no localstripe, whatever they are."""
    return bool(settings.STRIPE_SECRET_KEY or settings.STRIPE_PUBLISHABLE_KEY)
