"""A worker killed during the hand-off loses no message and sends none twice: the sweeper
reads the batch's hand-off journal, requeues exactly the rows that never reached the
provider (sent once afterwards), and leaves only the one in flight `uncertain`."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.urls import reverse
from twilio.request_validator import RequestValidator

from portal.audit.models import AuditEvent
from portal.outreach import tasks
from portal.outreach.campaigns import campaign_cancel, campaign_chunk_create, campaign_launch
from portal.outreach.channels import Backend, Outgoing
from portal.outreach.models import Campaign, Message
from portal.outreach.outbox.dispatch import messages_dispatch
from portal.outreach.outbox.recovery import messages_interrupted_recover
from portal.staff.selectors import campaign_funnel
from tests.helpers.outreach import make_debtor

BOGOTA = ZoneInfo("America/Bogota")
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=BOGOTA)
ROOT = Path(__file__).resolve().parents[2]


class Provider:
    """What the provider was handed, in order. `die_at`: the worker is killed during that
    hand-off (the call went out; its answer never came back). `during`: run while the
    provider holds that hand-off (a call that takes minutes)."""

    handed: list[int] = []
    die_at: int | None = None
    during: dict = {}


class RecordingBackend(Backend):
    def send(self, outgoing: Outgoing) -> str:
        Provider.handed.append(outgoing.message_id)
        n = len(Provider.handed)
        if n == Provider.die_at:
            raise SystemExit("worker killed during the hand-off")
        if n in Provider.during:
            Provider.during[n]()
        return f"SM{outgoing.message_id:032d}"


class KilledBackend(Backend):
    """For the subprocess worker: SIGKILL itself during the third hand-off."""

    count = 0

    def send(self, outgoing: Outgoing) -> str:
        KilledBackend.count += 1
        if KilledBackend.count == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return f"SM{outgoing.message_id:032d}"


@pytest.fixture
def provider(settings):
    settings.OUTREACH_BACKENDS = {
        **settings.OUTREACH_BACKENDS,
        "sms": f"{__name__}.RecordingBackend",
    }
    Provider.handed, Provider.die_at, Provider.during = [], None, {}
    yield Provider
    Provider.handed, Provider.die_at, Provider.during = [], None, {}


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def queued(campaign, portfolio, agent):
    """Five SMS messages of a launched campaign, queued (the fan-out's chunk ran)."""
    debtors = [make_debtor(portfolio, number=f"6600000{i}", name=f"Persona {i}") for i in range(5)]
    campaign.channels = ["sms"]
    campaign.save()
    campaign_launch(campaign=campaign, actor=agent)
    recipients = [[d.pk, 1_000_00] for d in debtors]
    ids = campaign_chunk_create(campaign_id=campaign.pk, start=0, recipients=recipients)
    assert len(ids) == 5
    return ids


def rows(ids) -> list[tuple]:
    return list(
        Message.objects.filter(pk__in=ids)
        .order_by("id")
        .values_list("status", "provider_id", "attempts")
    )


def audited(action: str) -> list[int]:
    events = AuditEvent.objects.filter(action=action)
    return [pk for event in events for pk in event.details["messages"]]


def test_only_the_message_in_flight_is_uncertain_and_the_unsent_go_out_once(
    tuesday, provider, queued
):
    first, second, third, fourth, fifth = queued
    provider.die_at = 3
    with pytest.raises(SystemExit):
        messages_dispatch(queued)
    assert provider.handed == [first, second, third]
    assert {status for status, _p, _a in rows(queued)} == {"sending"}

    provider.die_at = None
    tasks.dispatch_due()  # a minute later: the batch may still be alive, nothing is touched
    assert {status for status, _p, _a in rows(queued)} == {"sending"}

    tuesday.shift(dt.timedelta(minutes=16))
    tasks.dispatch_due()
    assert rows(queued) == [
        ("sent", f"SM{first:032d}", 1),  # answered before the kill: the journal kept it
        ("sent", f"SM{second:032d}", 1),
        ("uncertain", None, 1),  # in flight at the kill: never sent again
        ("sent", f"SM{fourth:032d}", 1),  # never reached the provider: sent now, once
        ("sent", f"SM{fifth:032d}", 1),
    ]
    assert provider.handed == queued  # each handed to the provider once
    assert audited("message.uncertain") == [third]
    assert audited("message.requeued") == [fourth, fifth]
    uncertain = Message.objects.get(pk=third)
    assert "maybe sent" in uncertain.error
    assert uncertain.sent_at is not None  # counts toward the debtor's caps
    links = Message.objects.filter(pk__in=queued).values_list("payment_link_id", flat=True)
    assert len(set(links)) == 5  # the requeued were decided again, each with its own link
    funnel = campaign_funnel(Campaign.objects.get(pk=uncertain.campaign_id))
    assert (funnel["sent"], funnel["uncertain"], funnel["queued"]) == (4, 1, 0)

    tuesday.shift(dt.timedelta(minutes=16))
    tasks.dispatch_due()
    assert provider.handed == queued


def test_the_providers_status_callback_settles_the_uncertain_message(
    tuesday, provider, queued, client
):
    provider.die_at = 1
    with pytest.raises(SystemExit):
        messages_dispatch(queued)
    tuesday.shift(dt.timedelta(minutes=16))
    messages_interrupted_recover()
    first = queued[0]
    assert rows([first]) == [("uncertain", None, 1)]

    path = reverse("outreach:twilio_status") + f"?m={first}"
    params = {"MessageSid": "SM" + "7" * 32, "MessageStatus": "delivered"}
    url = settings.PUBLIC_BASE_URL.rstrip("/") + path
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)
    response = client.post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    assert response.status_code == 204
    assert rows([first]) == [("delivered", "SM" + "7" * 32, 1)]


def test_a_worker_only_slow_stops_at_the_sweepers_fence(tuesday, provider, queued):
    """The second call takes 16 minutes; meanwhile the sweeper settles the batch. Back
    from the call, the worker learns it was fenced and hands off nothing more."""
    first, second, third, fourth, fifth = queued

    def slow_call():
        tuesday.shift(dt.timedelta(minutes=16))
        assert messages_interrupted_recover() == {"answered": 1, "uncertain": 1, "requeued": 3}

    provider.during = {2: slow_call}
    messages_dispatch(queued)
    assert provider.handed == [first, second]
    assert [status for status, _p, _a in rows(queued)] == [
        "sent",
        "uncertain",
        "queued",
        "queued",
        "queued",
    ]
    tasks.dispatch_due()
    assert provider.handed == queued


def test_rows_that_never_left_a_campaign_cancelled_meanwhile_are_cancelled(
    tuesday, provider, queued, agent
):
    provider.die_at = 2
    with pytest.raises(SystemExit):
        messages_dispatch(queued)
    campaign_cancel(campaign=Message.objects.get(pk=queued[0]).campaign, actor=agent)
    tuesday.shift(dt.timedelta(minutes=16))
    tasks.dispatch_due()
    assert [status for status, _p, _a in rows(queued)] == [
        "sent",
        "uncertain",
        "cancelled",
        "cancelled",
        "cancelled",
    ]
    assert len(provider.handed) == 2


def test_without_a_journal_every_row_left_sending_is_uncertain(tuesday, provider, queued):
    """Redis lost the journal: no row is requeued on a guess."""
    Message.objects.filter(pk__in=queued).update(status="sending", claimed_at=TUESDAY_10)
    tuesday.shift(dt.timedelta(minutes=16))
    tasks.dispatch_due()
    assert {status for status, _p, _a in rows(queued)} == {"uncertain"}
    assert provider.handed == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_with_sigkill_loses_nothing(provider, campaign, portfolio):
    if not settings.REDIS_URL:
        pytest.skip("the journal outlives a killed process in Redis: set REDIS_URL")
    with time_machine.travel(TUESDAY_10, tick=False):
        debtors = [make_debtor(portfolio, number=f"6700000{i}", name=f"P {i}") for i in range(5)]
        # Running, its fan-out not run yet (launching would run it at once: eager Celery).
        campaign.channels, campaign.start_at = ["sms"], TUESDAY_10
        campaign.status, campaign.launched_at = "running", TUESDAY_10
        campaign.save()
        recipients = [[d.pk, 1_000_00] for d in debtors]
        ids = campaign_chunk_create(campaign_id=campaign.pk, start=0, recipients=recipients)
    assert len(ids) == 5
    worker = textwrap.dedent(
        f"""
        import django, time_machine
        django.setup()
        from django.conf import settings
        from portal.outreach.outbox.dispatch import messages_dispatch
        settings.OUTREACH_BACKENDS = {{**settings.OUTREACH_BACKENDS,
                                      "sms": "{__name__}.KilledBackend"}}
        with time_machine.travel({TUESDAY_10.timestamp()}, tick=False):
            messages_dispatch({ids!r})
        """
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": _url_of(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
    }
    done = subprocess.run([sys.executable, "-c", worker], cwd=ROOT, env=env, timeout=120)
    assert done.returncode == -signal.SIGKILL
    assert {status for status, _p, _a in rows(ids)} == {"sending"}

    with time_machine.travel(TUESDAY_10 + dt.timedelta(minutes=16), tick=False):
        tasks.dispatch_due()
    first, second, third, fourth, fifth = ids
    assert rows(ids) == [
        ("sent", f"SM{first:032d}", 1),
        ("sent", f"SM{second:032d}", 1),
        ("uncertain", None, 1),
        ("sent", f"SM{fourth:032d}", 1),
        ("sent", f"SM{fifth:032d}", 1),
    ]
    assert provider.handed == [fourth, fifth]  # this process sent only the requeued


def _url_of(db: dict) -> str:
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
