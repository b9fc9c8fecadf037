"""Create the staff roles (agent, supervisor, compliance, administrator) as groups."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from portal.staff.roles import roles_sync

    # Permissions are normally created after migrate; the roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0004_staff_note_permission"),
        ("debtors", "0007_debtor_do_not_contact_and_timezone"),
        ("access", "0002_paymentlink_campaign_id"),
        ("outreach", "0002_campaigns_messages_inbound"),
        ("agreements", "0002_proposal_evidence"),
        ("payments", "0002_refunds_disputes_autopay"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
