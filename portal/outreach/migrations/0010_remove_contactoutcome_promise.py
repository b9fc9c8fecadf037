"""The call-to-promise link now lives on the promise (agreements 0006 copied it)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0009_contactoutcome_from_staff"),
        ("agreements", "0006_promisetopay_contact_outcome"),
    ]

    operations = [
        migrations.RemoveField(model_name="contactoutcome", name="promise"),
    ]
