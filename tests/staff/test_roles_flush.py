"""The roles come back after a flush, which every transactional test (and e2e) runs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from portal.staff.roles import ROLES


@pytest.mark.django_db(transaction=True)
def test_roles_are_recreated_after_a_flush():
    call_command("flush", interactive=False, verbosity=0)

    groups = {group.name: group for group in Group.objects.prefetch_related("permissions")}
    assert set(ROLES) <= set(groups)
    assert groups["agent"].permissions.filter(codename="view_debtor").exists()
