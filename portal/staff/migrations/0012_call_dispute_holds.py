"""A dispute hold (debtors.DisputeHold) for every dispute raised on a call that nobody has
resolved yet, so the debt stays disputed exactly as before and resolving it restores the
status the call remembered."""

from django.db import migrations


def holds_for_open_call_disputes(apps, schema_editor):
    ContactOutcome = apps.get_model("outreach", "ContactOutcome")
    DisputeHold = apps.get_model("debtors", "DisputeHold")
    open_disputes = ContactOutcome.objects.filter(
        outcome="dispute", debt__isnull=False, resolution__isnull=True
    )
    for row in open_disputes.iterator():
        DisputeHold.objects.get_or_create(
            debt_id=row.debt_id,
            kind="call",
            reference=str(row.pk),
            defaults={
                "previous_status": row.previous_debt_status,
                "opened_at": row.occurred_at,
                "opened_by_id": row.agent_id,
            },
        )


def drop_call_holds(apps, schema_editor):
    apps.get_model("debtors", "DisputeHold").objects.filter(kind="call").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0011_contactoutcome_to_outreach"),
        ("debtors", "0013_disputehold"),
    ]

    operations = [
        migrations.RunPython(holds_for_open_call_disputes, drop_call_holds),
    ]
