"""Indexes the KPI dashboard needs on other apps' tables, each shown needed by EXPLAIN on
bench/kpi_dashboard.py's 1,000,000 debts (PostgreSQL; skipped elsewhere).

Kept here, with the dashboard that needs them, so the owning apps' migrations stay theirs:

- agreements_agreement(payment_link_id): the funnel's "agreement from that link" (rollup
  of messages) was a sequential scan of agreements for every message with a verified link.
"""

from django.db import migrations

INDEXES = [
    ("kpi_agreement_link_idx", "agreements_agreement (payment_link_id)"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, target in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _target in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_contact_outcomes"),
        ("agreements", "0002_proposal_evidence"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
