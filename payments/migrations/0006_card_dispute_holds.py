"""A dispute hold (debtors.DisputeHold) for every card dispute still open, so the debt
stays disputed exactly as before and closing the dispute restores the status it
remembered."""

from django.db import migrations


def holds_for_open_card_disputes(apps, schema_editor):
    DebtDispute = apps.get_model("payments", "DebtDispute")
    DisputeHold = apps.get_model("debtors", "DisputeHold")
    for row in DebtDispute.objects.filter(closed_at=None).iterator():
        DisputeHold.objects.get_or_create(
            debt_id=row.debt_id,
            kind="card",
            reference=row.stripe_dispute_id,
            defaults={"previous_status": row.previous_status, "opened_at": row.opened_at},
        )


def drop_card_holds(apps, schema_editor):
    apps.get_model("debtors", "DisputeHold").objects.filter(kind="card").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_staff_field_names"),
        ("debtors", "0013_disputehold"),
    ]

    operations = [
        migrations.RunPython(holds_for_open_card_disputes, drop_card_holds),
    ]
