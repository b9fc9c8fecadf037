from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from payments.services.reconciling import payments_reconcile
from payments.stripe_api import PaymentsNotConfigured


class Command(BaseCommand):
    help = (
        "List PaymentIntents, refunds and disputes from Stripe created since a date and fix "
        "what a lost webhook missed (post or fail payments, write refunds back, open or close "
        "disputes); also attempts stuck in processing and refund requests whose task gave "
        "up. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, help="YYYY-MM-DD (in TIME_ZONE)")
        parser.add_argument("--page-size", type=int, default=100)

    def handle(self, *args, since: str, page_size: int, **options):
        try:
            day = dt.date.fromisoformat(since)
        except ValueError as error:
            raise CommandError(f"--since must be YYYY-MM-DD, not {since!r}") from error
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        try:
            result = payments_reconcile(since=start, page_size=int(page_size))
        except PaymentsNotConfigured as error:
            raise CommandError(f"Stripe is not configured: {error}") from error
        for line in result.lines:
            self.stdout.write(line)
        self.stdout.write(result.summary())
