import pytest

from portal.access.models import PaymentLink
from portal.audit.models import AuditEvent
from tests.helpers.access import link_url

pytestmark = pytest.mark.django_db


def test_staff_revoke_links_from_admin(admin_client, client, link_and_token):
    link, token = link_and_token
    response = admin_client.post(
        "/admin/access/paymentlink/",
        {"action": "revoke_links", "_selected_action": [link.pk]},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_by.is_superuser
    assert AuditEvent.objects.filter(action="payment_link.revoked").count() == 1
    assert client.get(link_url(token)).status_code == 410


def test_link_admin_lists_opens_but_never_the_token_hash(admin_client, client, link_and_token):
    link, token = link_and_token
    client.get(link_url(token), HTTP_USER_AGENT="Mozilla/5.0 (Android)")
    listing = admin_client.get("/admin/access/paymentlink/")
    assert listing.status_code == 200
    page = admin_client.get(f"/admin/access/paymentlink/{link.pk}/change/")
    body = page.content.decode()
    assert "Mozilla/5.0 (Android)" in body
    assert link.token_hash not in body and token not in body


def test_links_cannot_be_added_or_deleted_in_admin(admin_client, link_and_token):
    link, _ = link_and_token
    assert admin_client.get("/admin/access/paymentlink/add/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/access/paymentlink/{link.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert PaymentLink.objects.filter(pk=link.pk).exists()
