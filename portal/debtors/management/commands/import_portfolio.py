from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.debtors.importing import FileRefused, errors_csv_write, portfolio_import_file
from portal.debtors.models import Portfolio

ERRORS_PRINTED = 20


class Command(BaseCommand):
    help = "Import a portfolio CSV: upsert its valid rows, report the rejected ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--portfolio", required=True, help="Portfolio code")
        parser.add_argument(
            "--errors-csv", type=Path, help="Write every rejected row's errors (line,column,reason)"
        )

    def handle(self, *args, path: Path, portfolio: str, errors_csv: Path | None, **options):
        # call_command(..., errors_csv="x") passes option values unconverted.
        path = Path(path)
        errors_csv = Path(errors_csv) if errors_csv else None
        target = Portfolio.objects.filter(code=portfolio).first()
        if target is None:
            raise CommandError(f"No portfolio with code {portfolio!r}.")
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            result = portfolio_import_file(portfolio=target, path_or_file=path)
        except FileRefused as exc:
            raise CommandError(f"{path.name} refused, nothing imported: {exc}") from exc

        for error in result.errors[:ERRORS_PRINTED]:
            self.stderr.write(f"line {error.line}, {error.column}: {error.reason}")
        if len(result.errors) > ERRORS_PRINTED:
            more = len(result.errors) - ERRORS_PRINTED
            self.stderr.write(
                f"... and {more} more errors" + ("" if errors_csv else " (see --errors-csv)")
            )
        if errors_csv is not None:
            with errors_csv.open("w", encoding="utf-8", newline="") as handle:
                errors_csv_write(result.errors, handle)
        self.stdout.write(
            f"imported={result.imported} updated={result.updated} rejected={result.rejected}"
        )
