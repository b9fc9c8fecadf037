from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from payments.devmercadopago import FakeMercadoPago
from payments.devstripe import LocalStripe, LocalStripeError, die_with_parent, real_keys_configured

LOG = Path(tempfile.gettempdir()) / "portal-localstripe.log"


def webhook_url(addrport: str, name: str = "payments_webhooks:stripe") -> str:
    """Where runserver will answer webhook `name`, from runserver's own `addrport`."""
    host, _, port = addrport.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::", "0"):  # listening everywhere: loopback reaches it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}{reverse(name)}"


class Command(BaseCommand):
    help = (
        "runserver for development. Without Stripe keys in the environment it starts "
        "localstripe on a free loopback port, registers our webhook with it and runs the "
        "site in Stripe test mode against it (card 4242 4242 4242 4242); without Mercado Pago "
        "keys it also starts the fake Mercado Pago (PSE with a test bank, Efecty vouchers). "
        "Both stop with the server. With keys set, they are used as they are."
    )
    requires_system_checks = []  # runserver, started below, runs them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true")

    def handle(self, *args, addrport: str, noreload: bool, **options) -> None:
        if ":" not in addrport:
            addrport = f"127.0.0.1:{addrport}"
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "runserver"]
        command += [addrport] + (["--noreload"] if noreload else [])
        env = dict(os.environ)
        stripe = None
        if real_keys_configured():
            self.stdout.write("Stripe keys are set: payments use them (no localstripe).")
        else:
            try:
                stripe = LocalStripe.start(log_path=LOG)
                stripe.register_webhook(webhook_url(addrport))
            except LocalStripeError as error:
                if stripe:
                    stripe.stop()
                raise CommandError(str(error)) from error
            env.update(stripe.stripe_settings())
            self.stdout.write(
                self.style.WARNING(
                    f"Stripe TEST MODE: localstripe at {stripe.base} (log: {LOG}). "
                    "Pay with card 4242 4242 4242 4242, any future date, any CVC."
                )
            )
        mercadopago = None
        if settings.MERCADOPAGO_ACCESS_TOKEN:
            self.stdout.write("Mercado Pago keys are set: payments use them (no fake).")
        else:
            # In this process, on a loopback port: it lives as long as this command.
            mercadopago = FakeMercadoPago.start()
            mercadopago.register_webhook(webhook_url(addrport, "payments_webhooks:mercadopago"))
            env.update(mercadopago.settings())
            self.stdout.write(
                self.style.WARNING(
                    f"Mercado Pago TEST MODE: fake server at {mercadopago.base}. PSE goes to a "
                    "test bank (approve or reject there); a cash voucher is paid from its page."
                )
            )
        # The runserver child (and its autoreloader's children) inherit the settings through
        # the environment; only this process starts localstripe, so reloads start no other.
        server = subprocess.Popen(command, env=env, preexec_fn=die_with_parent)
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        try:
            try:
                server.wait()
            except KeyboardInterrupt:  # Ctrl+C reached runserver too: let it finish
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.terminate()
                    server.wait()
        finally:
            if stripe:
                stripe.stop()
            if mercadopago:
                mercadopago.stop()
