from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from portal.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit 1 naming the first broken event, 0 if it holds."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--from-id",
            type=int,
            default=None,
            help="Start at this event id, trusting the stored hash of the event before it.",
        )
        parser.add_argument("--chunk-size", type=int, default=2000)

    def handle(self, *args, from_id: int | None, chunk_size: int, **options) -> None:
        report = verify_chain(from_id=from_id, chunk_size=chunk_size)
        if not report.ok:
            self.stderr.write(
                f"audit chain broken at event id={report.broken_id} ({report.reason})"
            )
            sys.exit(1)
        self.stdout.write(f"audit chain ok: {report.checked} events")
