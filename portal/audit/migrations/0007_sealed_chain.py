"""Sealing: record() appends content only and a sealer links rows into the chain later.

Existing rows were chained in id order, so they become positions 1..n in id order with their
hashes untouched (the hash formula is the same). The trigger of 0002 keeps its name (tests
disable it by name); its function now lets one UPDATE through: the sealing move.
"""

from django.db import migrations, models

# Everything but the three chain columns must come out of a sealing UPDATE as it went in;
# comparing the whole row as jsonb also covers any column added later.
SEALING_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.chain_position IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
        AND NEW.chain_position IS NOT NULL AND NEW.prev_hash IS NOT NULL
        AND NEW.hash IS NOT NULL
        AND to_jsonb(NEW) - ARRAY['chain_position', 'prev_hash', 'hash']
            = to_jsonb(OLD) - ARRAY['chain_position', 'prev_hash', 'hash']
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditevent is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

_TRIGGER = "audit_event_no_update_delete"
BACKFILL = """
UPDATE audit_auditevent SET chain_position = numbered.position
FROM (SELECT id, row_number() OVER (ORDER BY id) AS position FROM audit_auditevent) numbered
WHERE audit_auditevent.id = numbered.id
"""


def number_existing_rows(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {_TRIGGER}")
    schema_editor.execute(BACKFILL)
    if postgresql:
        schema_editor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {_TRIGGER}")


def allow_sealing(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEALING_FUNCTION, params=None)


def refuse_every_update(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_staff_field_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain_position",
            field=models.BigIntegerField(
                blank=True, null=True, unique=True, verbose_name="chain position"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="content_digest",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="content digest"
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(
                blank=True, max_length=64, null=True, unique=True, verbose_name="hash"
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                blank=True, max_length=64, null=True, verbose_name="previous hash"
            ),
        ),
        migrations.RunPython(number_existing_rows, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("chain_position__isnull", True)),
                fields=["id"],
                name="audit_unsealed_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("chain_position__isnull", True),
                        ("hash__isnull", True),
                        ("prev_hash__isnull", True),
                    ),
                    models.Q(
                        ("chain_position__isnull", False),
                        ("hash__isnull", False),
                        ("prev_hash__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="audit_sealed_all_or_nothing",
            ),
        ),
        migrations.RunPython(allow_sealing, refuse_every_update),
    ]
