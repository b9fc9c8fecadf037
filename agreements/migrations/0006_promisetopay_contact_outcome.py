"""A promise made on a call names the call (`PromiseToPay.contact_outcome`) instead of the
call naming the promise: outreach, which now owns ContactOutcome, sits below agreements.
The existing links are copied over; outreach 0010 then drops the old column, and 0007 names
the way back (`contact_outcome.promise`) once the old field no longer holds that name."""

import django.db.models.deletion
from django.db import migrations, models


def links_to_promises(apps, schema_editor):
    ContactOutcome = apps.get_model("outreach", "ContactOutcome")
    PromiseToPay = apps.get_model("agreements", "PromiseToPay")
    rows = ContactOutcome.objects.filter(promise__isnull=False).values_list("pk", "promise_id")
    for outcome_id, promise_id in rows.iterator():
        PromiseToPay.objects.filter(pk=promise_id).update(contact_outcome_id=outcome_id)


def links_to_outcomes(apps, schema_editor):
    ContactOutcome = apps.get_model("outreach", "ContactOutcome")
    PromiseToPay = apps.get_model("agreements", "PromiseToPay")
    rows = PromiseToPay.objects.filter(contact_outcome__isnull=False)
    for promise_id, outcome_id in rows.values_list("pk", "contact_outcome_id").iterator():
        ContactOutcome.objects.filter(pk=outcome_id).update(promise_id=promise_id)


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0005_staff_field_names"),
        ("outreach", "0009_contactoutcome_from_staff"),
    ]

    operations = [
        migrations.AddField(
            model_name="promisetopay",
            name="contact_outcome",
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="outreach.contactoutcome", verbose_name="contact outcome"),
        ),
        migrations.RunPython(links_to_promises, links_to_outcomes),
    ]
