from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from portal.audit.selectors import verify_chain
from portal.audit.services import audit_chain_seal


class Command(BaseCommand):
    help = (
        "Walk the sealed audit hash chain and report the unsealed tail; exit 1 naming the "
        "first broken event, 0 if it holds."
    )

    def add_arguments(self, parser) -> None:
        start = parser.add_mutually_exclusive_group()
        start.add_argument(
            "--from-id",
            type=int,
            default=None,
            help="Start at this sealed event, trusting the stored hash of the position before.",
        )
        start.add_argument(
            "--from-position",
            type=int,
            default=None,
            help="Start at this chain position, trusting the stored hash of the one before.",
        )
        parser.add_argument("--chunk-size", type=int, default=2000)
        parser.add_argument(
            "--seal", action="store_true", help="Seal the committed unsealed rows first."
        )

    def handle(
        self,
        *args,
        from_id: int | None,
        from_position: int | None,
        chunk_size: int,
        seal: bool,
        **options,
    ) -> None:
        if seal:
            audit_chain_seal()
        report = verify_chain(from_id=from_id, from_position=from_position, chunk_size=chunk_size)
        if not report.ok:
            self.stderr.write(
                f"audit chain broken at event id={report.broken_id} ({report.reason})"
            )
            sys.exit(1)
        tail = f"{report.unsealed} unsealed"
        if report.unsealed:
            tail += f", oldest {report.oldest_unsealed_seconds} s old"
        self.stdout.write(f"audit chain ok: {report.checked} sealed events; {tail}")
