import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import override_settings
from django.utils import timezone

from portal.access.services import payment_link_create
from portal.audit.models import AuditEvent
from tests.helpers.access import VERIFY_URL, link_url, open_and_answer

pytestmark = pytest.mark.django_db


def test_opening_moves_to_identity_check_without_the_token(client, link_and_token):
    _, token = link_and_token
    response = client.get(link_url(token))
    assert response.status_code == 302 and response.url == VERIFY_URL
    page = client.get(VERIFY_URL)
    assert page.status_code == 200 and token not in page.content.decode()


def test_identity_check_without_an_opened_link_is_not_found(client, db):
    assert client.get(VERIFY_URL).status_code == 404
    assert client.post(VERIFY_URL, {"answer": "4050"}).status_code == 404


def test_right_answer_signs_in_rotates_session_and_audits(client, debtor, link_and_token):
    link, token = link_and_token
    client.get(link_url(token))
    before = client.session.session_key
    response = client.post(VERIFY_URL, {"answer": "4050"})
    assert response.status_code == 302 and response.url == "/mi-cuenta/"
    assert client.session.session_key != before
    debtor.refresh_from_db()
    assert debtor.user is not None and not debtor.user.has_usable_password()
    assert not debtor.user.is_staff
    assert AuditEvent.objects.filter(
        action="identity_check.passed", subject_id=str(link.pk)
    ).exists()


def test_birth_date_check_when_portfolio_asks_for_it(client, debtor, portfolio, link_and_token):
    portfolio.identity_check = "birth_date"
    portfolio.save()
    _, token = link_and_token
    assert open_and_answer(client, token, "4050").status_code == 400
    response = client.post(VERIFY_URL, {"answer": debtor.birth_date.isoformat()})
    assert response.status_code == 302


def test_wrong_answer_is_refused_and_audited(client, link_and_token):
    _, token = link_and_token
    response = open_and_answer(client, token, "1111")
    assert response.status_code == 400
    assert AuditEvent.objects.filter(action="identity_check.failed").count() == 1
    assert client.get("/mi-cuenta/").status_code == 302


def test_lockout_after_exactly_five_failures(client, link_and_token):
    _, token = link_and_token
    client.get(link_url(token))
    for _attempt in range(4):
        assert client.post(VERIFY_URL, {"answer": "0000"}).status_code == 400
    fifth = client.post(VERIFY_URL, {"answer": "0000"})
    assert fifth.status_code == 429
    assert "30" in fifth.content.decode()
    # the right answer is still refused while locked, and so is a fresh open
    assert client.post(VERIFY_URL, {"answer": "4050"}).status_code == 429
    assert open_and_answer(client, token, "4050").status_code == 429
    assert AuditEvent.objects.filter(action="identity_check.locked_out").count() == 1
    assert AuditEvent.objects.filter(action="identity_check.passed").count() == 0


def test_lock_lifts_after_thirty_minutes(client, link_and_token):
    _, token = link_and_token
    client.get(link_url(token))
    for _attempt in range(5):
        client.post(VERIFY_URL, {"answer": "0000"})
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        assert client.post(VERIFY_URL, {"answer": "4050"}).status_code == 302


def test_lock_is_per_link_from_any_ip(client, link_and_token):
    _, token = link_and_token
    client.get(link_url(token))
    for n in range(5):
        client.post(VERIFY_URL, {"answer": "0000"}, REMOTE_ADDR=f"10.0.0.{n + 1}")
    assert client.post(VERIFY_URL, {"answer": "4050"}, REMOTE_ADDR="10.9.9.9").status_code == 429


def _fail_five_times(client, debtor, ip):
    link, token = payment_link_create(debtor=debtor)
    responses = [open_and_answer(client, token, "0000", REMOTE_ADDR=ip)]
    responses += [client.post(VERIFY_URL, {"answer": "0000"}, REMOTE_ADDR=ip) for _ in range(4)]
    return link, token, responses


def test_one_ip_failing_on_several_links_locks_only_those_links(client, debtor, other_debtor):
    # A carrier NAT: many debtors behind 10.7.7.7. 3 links × 5 failures = 15, under 50.
    locked_links = [_fail_five_times(client, debtor, "10.7.7.7") for _ in range(3)]
    for _link, _token, responses in locked_links:
        assert [r.status_code for r in responses] == [400, 400, 400, 400, 429]
    _, fresh = payment_link_create(debtor=other_debtor)
    assert open_and_answer(client, fresh, "6655", REMOTE_ADDR="10.7.7.7").status_code == 302
    assert AuditEvent.objects.filter(action="identity_check.locked_out").count() == 3
    assert not AuditEvent.objects.filter(action="identity_check.ip_locked_out").exists()


@override_settings(ACCESS_IP_FAILURE_LIMIT=12, ACCESS_IP_FAILURE_WINDOW_MINUTES=30)
def test_the_ip_locks_past_its_own_limit_across_links_and_staff_see_it(
    client, admin_client, debtor, other_debtor
):
    for _ in range(2):
        _fail_five_times(client, debtor, "10.7.7.7")  # 10 failures
    link, token = payment_link_create(debtor=debtor)
    assert open_and_answer(client, token, "0000", REMOTE_ADDR="10.7.7.7").status_code == 400
    twelfth = client.post(VERIFY_URL, {"answer": "0000"}, REMOTE_ADDR="10.7.7.7")
    assert twelfth.status_code == 429 and 'data-reason="ip"' in twelfth.content.decode()
    event = AuditEvent.objects.get(action="identity_check.ip_locked_out")
    assert event.subject_id == str(link.pk)
    assert event.details == {"ip": "10.7.7.7", "failures": 12, "window_minutes": 30, "limit": 12}
    # every link is refused from that IP, even with the right answer; other IPs are not
    _, fresh = payment_link_create(debtor=other_debtor)
    assert open_and_answer(client, fresh, "6655", REMOTE_ADDR="10.7.7.7").status_code == 429
    assert client.post(VERIFY_URL, {"answer": "6655"}, REMOTE_ADDR="10.8.8.8").status_code == 302
    assert AuditEvent.objects.filter(action="identity_check.ip_locked_out").count() == 1
    failures = admin_client.get("/admin/axes/accessfailurelog/", {"q": "10.7.7.7"})
    assert failures.status_code == 200 and failures.context["cl"].result_count == 12


@override_settings(ACCESS_IP_FAILURE_LIMIT=6, ACCESS_IP_FAILURE_WINDOW_MINUTES=30)
def test_the_ip_lock_lifts_when_its_failures_leave_the_window(client, debtor, other_debtor):
    _fail_five_times(client, debtor, "10.7.7.7")
    link, token = payment_link_create(debtor=debtor)
    assert open_and_answer(client, token, "0000", REMOTE_ADDR="10.7.7.7").status_code == 429
    _, fresh = payment_link_create(debtor=other_debtor)
    assert open_and_answer(client, fresh, "6655", REMOTE_ADDR="10.7.7.7").status_code == 429
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        retried = client.post(VERIFY_URL, {"answer": "6655"}, REMOTE_ADDR="10.7.7.7")
        assert retried.status_code == 302


def test_empty_answer_is_a_form_error_not_an_attempt(client, link_and_token):
    _, token = link_and_token
    client.get(link_url(token))
    for _attempt in range(6):
        assert client.post(VERIFY_URL, {"answer": ""}).status_code == 400
    assert client.post(VERIFY_URL, {"answer": "4050"}).status_code == 302


def test_neither_answer_nor_token_is_stored_by_axes(client, link_and_token):
    _, token = link_and_token
    open_and_answer(client, token, "0000")
    attempt = AccessAttempt.objects.get()
    assert "0000" not in attempt.post_data
    assert token not in attempt.path_info
