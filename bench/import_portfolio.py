"""Time a portfolio import on PostgreSQL against a raw COPY of the same file.

    .venv/bin/python bench/import_portfolio.py 1000000

Generates an N-row CSV in a temp dir, creates a throwaway database (server from
DATABASE_URL, default postgres://postgres@127.0.0.1:5432/), migrates it, imports the file
through the same service the command uses, COPYs the file into an empty table of text
columns, prints `rows=N import_s=… copy_s=… ratio=…` and drops the database.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from _throwaway import throwaway_database

FIRST_NAMES = [
    "María",
    "José",
    "Luisa",
    "Ana",
    "Carolina",
    "Camila",
    "Valentina",
    "Daniela",
    "Paula",
    "Juliana",
    "Sofía",
    "Laura",
    "Andrés",
    "Juan",
    "Carlos",
    "Luis",
    "Jorge",
    "Santiago",
    "Sebastián",
    "Felipe",
    "Alejandro",
    "Diego",
    "Mateo",
    "Nicolás",
]
LAST_NAMES = [
    "Rodríguez",
    "Gómez",
    "González",
    "Martínez",
    "García",
    "López",
    "Hernández",
    "Sánchez",
    "Ramírez",
    "Pérez",
    "Díaz",
    "Muñoz",
    "Rojas",
    "Moreno",
    "Jiménez",
    "Vargas",
    "Castro",
    "Ortiz",
    "Rubio",
    "Peña",
    "Gutiérrez",
    "Ospina",
    "Zapata",
]
MOBILE_PREFIXES = ("300", "301", "302", "304", "310", "311", "312", "313", "315", "316", "320")
DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.es", "une.net.co")
HEADER = [
    "account_ref",
    "document_type",
    "document_number",
    "full_name",
    "birth_date",
    "phone",
    "email",
    "principal",
    "interest",
    "fees",
    "due_date",
    "currency",
]


def generate(path: Path, rows: int, *, today: dt.date, seed: int = 7) -> None:
    """A realistic file: CC numbers, +57 mobiles in mixed formats, due dates in every stage."""
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            first, last1, last2 = (
                rnd.choice(FIRST_NAMES),
                rnd.choice(LAST_NAMES),
                rnd.choice(LAST_NAMES),
            )
            number = f"{rnd.choice(MOBILE_PREFIXES)}{rnd.randrange(10**7):07d}"
            phone = rnd.choice(
                (number, f"+57 {number}", f"{number[:3]} {number[3:6]} {number[6:]}")
            )
            email = f"{first}.{last1}{i}@{rnd.choice(DOMAINS)}".lower()
            email = email.translate(str.maketrans("áéíóúñ", "aeioun"))
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=rnd.randrange(20_000))
            due = today - dt.timedelta(days=rnd.randrange(-30, 400))
            principal = rnd.randrange(100_000, 50_000_000)
            writer.writerow(
                (
                    f"CR-{i:08d}",
                    "CC",
                    str(10_000_000 + i),
                    f"{first} {last1} {last2}",
                    birth.isoformat(),
                    phone,
                    email,
                    f"{principal}.{rnd.randrange(100):02d}",
                    f"{principal // 10}.00",
                    rnd.choice(("0", "15000", "35000.50")),
                    due.isoformat(),
                    "COP",
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rows", type=int)
    args = parser.parse_args()

    with throwaway_database("bench_import", loopback_only=False):
        run(args.rows)


def run(rows: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from portal.debtors.importing import portfolio_import_file
    from portal.debtors.models import Creditor, Portfolio

    call_command("migrate", verbosity=0)
    portfolio = Portfolio.objects.create(
        creditor=Creditor.objects.create(name="Banco Bench"), code="bench", name="Bench"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "portfolio.csv"
        started = time.perf_counter()
        generate(path, rows, today=dt.date.today())  # noqa: DTZ011  (only spreads due dates)
        print(f"generated {rows} rows in {time.perf_counter() - started:.1f}s", file=sys.stderr)

        started = time.perf_counter()
        result = portfolio_import_file(portfolio=portfolio, path_or_file=path)
        import_s = time.perf_counter() - started
        print(
            f"imported={result.imported} updated={result.updated} rejected={result.rejected}",
            file=sys.stderr,
        )

        columns = ", ".join(f"{column} text" for column in HEADER)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE bench_raw ({columns})")
            started = time.perf_counter()
            with (
                path.open("rb") as handle,
                cursor.copy("COPY bench_raw FROM STDIN (FORMAT csv, HEADER true)") as copy,
            ):
                while data := handle.read(1 << 20):
                    copy.write(data)
            copy_s = time.perf_counter() - started
    print(f"rows={rows} import_s={import_s:.2f} copy_s={copy_s:.2f} ratio={import_s / copy_s:.1f}")


if __name__ == "__main__":
    main()
