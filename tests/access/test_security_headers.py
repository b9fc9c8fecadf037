import re

import pytest

pytestmark = pytest.mark.django_db


def test_debtor_pages_send_a_nonce_csp_without_unsafe_inline(debtor_client):
    response = debtor_client.get("/mi-cuenta/")
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "frame-ancestors 'none'" in policy


def test_each_response_gets_a_fresh_nonce(client, link_and_token):
    first = client.get("/healthz")
    second = client.get("/sesion-cerrada/")
    third = client.get("/sesion-cerrada/")
    assert "Content-Security-Policy" in second
    assert second["Content-Security-Policy"] != third["Content-Security-Policy"]
    assert first.status_code == 200
