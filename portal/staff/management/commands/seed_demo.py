from __future__ import annotations

import contextlib
import io
import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.access.services import payment_link_create
from portal.access.tokens import payment_link_url
from portal.debtors.models import Debtor, IdentityCheck
from portal.staff.demo import demo_summary, seed_demo


class Command(BaseCommand):
    help = (
        "Create (idempotently) the demo: creditor, COP portfolio, ~60 debtors, a staff admin, "
        "offer policies, consent, a sent and a scheduled campaign, an agreement, a payment, "
        "a promise and the KPIs; then print the admin login and a fresh payment link."
    )

    def add_arguments(self, parser):
        parser.add_argument("--debtors", type=int, default=60)
        parser.add_argument("--admin-password", default="cobranza-demo")
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off")

    def handle(self, *args, debtors, admin_password, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates a known admin password; use --force to run it with DEBUG off."
            )
        # The demo's messages, emails and PDFs go to the console backends and loggers;
        # printed here they would bury the three lines that matter. Admin › Messages and
        # the debtor's timeline show them.
        logging.disable(logging.WARNING)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                result = seed_demo(debtors=debtors, admin_password=admin_password)
        finally:
            logging.disable(logging.NOTSET)
        self.stdout.write(
            f"demo portfolio {result.portfolio.code}: {result.debtors_created} debtors and "
            f"{result.debts_created} debts created (re-running creates nothing new)"
        )
        self.stdout.write(demo_summary(result.portfolio))
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        self.stdout.write(
            self.style.SUCCESS(
                f"admin login: {base}/admin/  user={result.admin_username}  "
                f"password={result.admin_password}"
            )
        )
        self._print_demo_link(result.portfolio)

    def _print_demo_link(self, portfolio) -> None:
        # The debtor with the longest history makes the best tour; a fresh link every run,
        # since only the hash of an earlier one is stored.
        debtor = (
            Debtor.objects.filter(debts__portfolio=portfolio, language="es")
            .order_by("-debts__days_past_due", "pk")
            .first()
        )
        if debtor is None:
            return
        _, token = payment_link_create(debtor=debtor, portfolio=portfolio)
        if portfolio.identity_check == IdentityCheck.BIRTH_DATE:
            answer = f"date of birth {debtor.birth_date:%Y-%m-%d}"
        else:
            answer = f"last 4 digits of the document {debtor.document_number[-4:]}"
        url = payment_link_url(token)
        self.stdout.write(self.style.SUCCESS(f"demo debtor link: {url}"))
        self.stdout.write(f"  debtor: {debtor.full_name}; identity check answer: {answer}")
