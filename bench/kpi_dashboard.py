"""The KPI dashboard on 1,000,000 debts with history, and the audit CSV export's throughput.

    .venv/bin/python bench/kpi_dashboard.py [--debts 1000000] [--audit-rows 1000000] [--runs 7]

Creates a throwaway database (server from DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/), migrates it and fills it with set-based SQL
(generate_series, deterministic hashes of the row number instead of random()):
0.8 debtors per debt, 4 portfolios (one in USD), debts in every mora stage, a charge per
debt and 1-3 payments on 35% of them over 180 days (each also a Payment), 2.5 messages per
debt over 180 days (SMS, WhatsApp, email, calls; delivered/sent/failed/blocked), a link on
60% of sent messages (30% opened, 15% verified; opens recorded), agreements on 45% of
verified links, promises on 10% of debts, 0.2 logged calls per debt, and the audit rows
(hashes are not a valid chain: the export does not check them).

Then it times the KPI rollups (full rebuild, the last 7 days, one day) and, through
Django's test client as a supervisor (in-process, no network), the KPI page (default 90
days; portfolio + stage; one channel; one campaign; all history) — one warm-up, then the
median of `--runs` — and each dashboard query alone; then streams the audit CSV export as
compliance and prints rows/s and the resident memory sampled while it streams. Drops the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time

from _throwaway import throwaway_database


def h(seed: int, modulo: int, column: str = "g") -> str:
    """A deterministic pseudo-random integer in [0, modulo) from a row number."""
    return f"((abs(hashint8extended({column}::bigint, {seed})) % {modulo})::int)"


def portfolio_of(column: str) -> str:
    return f"(CASE WHEN {column} % 10 = 0 THEN 4 ELSE 1 + ({column} % 10 - 1) / 3 END)"


def fill(debts: int, audit_rows: int, supervisor_id: int) -> None:
    from django.db import connection

    debtors = int(debts * 0.8)
    messages = int(debts * 2.5)
    steps = [
        (
            "debtors",
            f"""INSERT INTO debtors_debtor (id, document_type, document_number, full_name,
                birth_date, phones, emails, language, created_at, updated_at, contact_from,
                contact_to, preferred_channel, user_id, deceased, legal_hold, timezone)
            SELECT g, 'CC', (10000000000 + g)::text, 'Deudor ' || g, NULL,
                jsonb_build_array('+57300' || lpad(g::text, 7, '0')),
                jsonb_build_array('d' || g || '@example.com'), 'es', now(), now(),
                '08:00', '18:00', (ARRAY['sms','whatsapp','email','call'])[1 + g % 4],
                NULL, false, false, ''
            FROM generate_series(1, {debtors}) g""",
        ),
        (
            "debts",
            f"""INSERT INTO debtors_debt (id, account_ref, currency, principal_due_minor,
                interest_due_minor, fees_due_minor, balance_minor, original_due_date,
                days_past_due, status, created_at, updated_at, debtor_id, portfolio_id)
            SELECT g, 'ACC-' || g, CASE WHEN g % 10 = 0 THEN 'USD' ELSE 'COP' END,
                p, p / 10, 15000 * 100, 0, current_date - dpd, dpd,
                CASE WHEN s < 80 THEN 'active' WHEN s < 88 THEN 'in_agreement'
                     WHEN s < 93 THEN 'paid' WHEN s < 95 THEN 'settled'
                     WHEN s < 96 THEN 'disputed' WHEN s < 98 THEN 'legal' ELSE 'closed' END,
                now(), now(), 1 + (g - 1) % {debtors}, {portfolio_of("g")}
            FROM (SELECT g, (10000000 + {h(1, 990000000)}) / (CASE WHEN g % 10 = 0
                        THEN 4000 ELSE 1 END) AS p,
                    {h(2, 420)} - 20 AS dpd, {h(3, 100)} AS s
                  FROM generate_series(1, {debts}) g) x""",
        ),
        (
            "ledger charges",
            """INSERT INTO debtors_ledgerentry (kind, amount_minor, principal_minor,
                interest_minor, fees_minor, currency, effective_date, description,
                created_at, debt_id)
            SELECT 'charge', principal_due_minor + interest_due_minor + fees_due_minor,
                principal_due_minor, interest_due_minor, fees_due_minor,
                currency, original_due_date, '', now(), id FROM debtors_debt""",
        ),
        (
            "ledger payments",
            # All on principal: the KPIs read amounts only, not the imputation.
            f"""INSERT INTO debtors_ledgerentry (kind, amount_minor, principal_minor,
                currency, effective_date, description, created_at, debt_id)
            SELECT 'payment', -((d.principal_due_minor * (5 + {h(6, 20, "d.id")}) / 100) / n),
                -((d.principal_due_minor * (5 + {h(6, 20, "d.id")}) / 100) / n), d.currency,
                current_date - {h(7, 180, "(d.id * 4 + k)")},
                'bench', (current_date - {h(7, 180, "(d.id * 4 + k)")}) + time '12:00', d.id
            FROM (SELECT *, 1 + {h(5, 3, "id")} AS n FROM debtors_debt
                  WHERE {h(4, 100, "id")} < 35) d, generate_series(1, d.n) k""",
        ),
        (
            "balances",
            """UPDATE debtors_debt d SET balance_minor = s.total, principal_minor = s.p,
                interest_minor = s.i, fees_minor = s.f
            FROM (SELECT debt_id, SUM(amount_minor) total, SUM(principal_minor) p,
                         SUM(interest_minor) i, SUM(fees_minor) f
                    FROM debtors_ledgerentry GROUP BY debt_id) s WHERE d.id = s.debt_id""",
        ),
        (
            "payments",
            """INSERT INTO payments_payment (stripe_payment_intent_id, stripe_charge_id,
                currency, amount_minor, refunded_minor, status, received_at, receipt_pdf,
                receipt_sha256, created_at, debtor_id)
            SELECT 'pi_bench_' || l.id, '', l.currency, -l.amount_minor, 0, 'posted',
                l.created_at, '', '', l.created_at, d.debtor_id
            FROM debtors_ledgerentry l JOIN debtors_debt d ON d.id = l.debt_id
            WHERE l.kind = 'payment'""",
        ),
        (
            "message plan",
            f"""CREATE TABLE bench_msg AS
            SELECT g AS id, 1 + {h(10, debtors)} AS debtor_id,
                CASE WHEN c < 45 THEN 'sms' WHEN c < 70 THEN 'whatsapp'
                     WHEN c < 90 THEN 'email' ELSE 'call' END AS channel,
                CASE WHEN c >= 90 THEN 'sent' WHEN s < 60 THEN 'delivered'
                     WHEN s < 85 THEN 'sent' WHEN s < 93 THEN 'failed' ELSE 'blocked' END
                    AS status,
                now() - make_interval(secs => {h(14, 180 * 86400)}) AS at,
                CASE WHEN c < 90 THEN 1 + {h(13, 12)} END AS campaign_id,
                c, s, {h(15, 100)} AS l, {h(16, 1000)} AS o
            FROM (SELECT g, {h(11, 100)} AS c, {h(12, 100)} AS s
                  FROM generate_series(1, {messages}) g) x""",
        ),
        (
            "payment links",
            f"""INSERT INTO access_paymentlink (id, token_hash, created_at, expires_at,
                revoked_at, revoke_reason, open_count, first_opened_at, last_opened_at,
                verified_at, created_by_id, debtor_id, portfolio_id, campaign_id)
            SELECT id, md5(id::text) || md5((id + 1)::text), at, at + interval '30 days',
                NULL, '', CASE WHEN o < 300 THEN 1 ELSE 0 END,
                CASE WHEN o < 300 THEN at + interval '20 minutes' END,
                CASE WHEN o < 300 THEN at + interval '20 minutes' END,
                CASE WHEN o < 150 THEN at + interval '22 minutes' END,
                NULL, debtor_id, {portfolio_of("debtor_id")}, campaign_id
            FROM bench_msg WHERE c < 90 AND status IN ('delivered', 'sent') AND l < 60""",
        ),
        (
            "link opens",
            """INSERT INTO access_linkopen (opened_at, ip_address, user_agent, link_id)
            SELECT first_opened_at, '190.1.1.1', 'bench', id FROM access_paymentlink
            WHERE first_opened_at IS NOT NULL""",
        ),
        (
            "campaigns",
            """INSERT INTO outreach_campaign (id, name, portfolio_id, balance_min_minor,
                balance_max_minor, min_days_since_contact, agreement_filter, channels,
                start_at, per_minute, status, targeted, created_by_id, created_at,
                launched_at, fanned_out_at)
            SELECT g, 'Campaña ' || g, 1 + g % 4, NULL, NULL, NULL, 'without',
                '["sms", "email"]', now() - make_interval(days => g * 14), 0, 'done', 0,
                NULL, now(), now() - make_interval(days => g * 14), NULL
            FROM generate_series(1, 12) g""",
        ),
        (
            "messages",
            """INSERT INTO outreach_message (id, key, channel, kind, notice, context, "to",
                subject, body, status, not_before, decision, block_reason, provider_id,
                error, attempts, created_at, claimed_at, sent_at, delivered_at,
                campaign_id, debt_id, debtor_id, payment_link_id)
            SELECT m.id, 'bench-' || m.id, m.channel,
                CASE WHEN m.channel = 'call' THEN 'call' ELSE 'campaign' END, '', '{}',
                '+573000000000', '', '', m.status, m.at, '{}',
                CASE WHEN m.status = 'blocked' THEN 'no_consent' ELSE '' END, NULL, '', 1,
                m.at, m.at, CASE WHEN m.status <> 'blocked' THEN m.at END,
                CASE WHEN m.status = 'delivered' THEN m.at + interval '1 minute' END,
                m.campaign_id, CASE WHEN m.channel = 'call' THEN m.debtor_id END,
                m.debtor_id, p.id
            FROM bench_msg m LEFT JOIN access_paymentlink p ON p.id = m.id
            ON CONFLICT DO NOTHING""",
        ),
        (
            "agreements",
            f"""INSERT INTO agreements_agreement (id, number, kind, status, currency,
                balance_minor, discount_minor, total_minor, down_payment_minor, frequency,
                terms_version, terms_text, terms_sha256, accepted_at, accepted_ip,
                accepted_user_agent, payment_link_id, pdf, pdf_sha256, created_at,
                completed_at, broken_at, debtor_id, portfolio_id)
            SELECT p.id, NULL, 'plan',
                CASE WHEN s < 50 THEN 'active' WHEN s < 80 THEN 'completed'
                     WHEN s < 95 THEN 'broken' ELSE 'cancelled' END,
                d.currency, d.balance_minor, 0, d.balance_minor, 0, 'monthly', 'v1', 't',
                md5(p.id::text) || md5(p.id::text), p.verified_at + interval '10 minutes',
                NULL, 'bench', p.id, '', '', p.verified_at + interval '10 minutes',
                NULL, NULL, p.debtor_id, d.portfolio_id
            FROM (SELECT *, {h(17, 100, "id")} AS a, {h(18, 100, "id")} AS s
                  FROM access_paymentlink WHERE verified_at IS NOT NULL) p
            JOIN debtors_debt d ON d.id = p.debtor_id
            WHERE p.a < 45""",
        ),
        (
            "agreement lines",
            """INSERT INTO agreements_agreementdebt (balance_minor, discount_minor, is_active,
                agreement_id, debt_id)
            SELECT balance_minor, 0, status = 'active', id, debtor_id
            FROM agreements_agreement ON CONFLICT DO NOTHING""",
        ),
        (
            "promises",
            f"""INSERT INTO agreements_promisetopay (currency, amount_minor, promised_date,
                status, source, created_at, resolved_at, created_by_id, debt_id, debtor_id)
            SELECT currency, GREATEST(balance_minor / 10, 100), day,
                CASE WHEN day >= current_date THEN 'pending'
                     WHEN {h(21, 100, "id")} < 55 THEN 'kept' ELSE 'broken' END,
                'portal', day - 7, NULL, NULL, id, debtor_id
            FROM (SELECT *, current_date + 15 - {h(19, 120, "id")} AS day
                  FROM debtors_debt WHERE {h(20, 100, "id")} < 10) d""",
        ),
        (
            "call outcomes",
            f"""INSERT INTO staff_contactoutcome (method, direction, outcome, notes,
                occurred_at, policy_decision, message_id, previous_debt_status, created_at,
                agent_id, debtor_id, debt_id)
            SELECT 'phone', 'outbound',
                (ARRAY['right_party','wrong_number','no_answer','no_answer','promise',
                       'refused','dispute','right_party'])[1 + {h(22, 8)}],
                '', now() - make_interval(secs => {h(23, 180 * 86400)}), '{{}}', NULL, '',
                now(), {supervisor_id}, 1 + {h(24, debtors)}, NULL
            FROM generate_series(1, {debts // 5}) g""",
        ),
        (
            "audit rows",
            f"""INSERT INTO audit_auditevent (occurred_at, actor_type, actor_id, actor_label,
                action, subject_type, subject_id, details, debtor_id, content_digest)
            SELECT now() - make_interval(secs => {audit_rows} - g), 'system', '', 'system',
                (ARRAY['message.decided','payment_link.opened','identity_check.passed',
                       'payment.posted','consent.granted'])[1 + g % 5],
                'outreach.message', g::text,
                jsonb_build_object('decision', 'send', 'channel', 'sms', 'n', g),
                1 + g % {debtors}, ''
            FROM generate_series(1, {audit_rows}) g""",
        ),
    ]
    with connection.cursor() as cursor:
        for name, sql in steps:
            started = time.perf_counter()
            cursor.execute(sql)
            print(f"  {name}: {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f}s")
        cursor.execute("DROP TABLE bench_msg")
        for table in (
            "debtors_debtor",
            "debtors_debt",
            "outreach_message",
            "outreach_campaign",
            "access_paymentlink",
            "agreements_agreement",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
        cursor.execute("VACUUM ANALYZE")


def median_seconds(call, runs: int) -> float:
    call()  # warm-up: connection, caches, plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(runs: int, audit_rows: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from portal.debtors.models import MoraStage
    from portal.staff import kpis, rollup
    from portal.staff.kpi_forms import KpiFilterForm
    from tests.factories import StaffFactory

    supervisor = StaffFactory(username="bench-supervisor")
    supervisor.groups.add(Group.objects.get(name="supervisor"))
    compliance = StaffFactory(username="bench-compliance")
    compliance.groups.add(Group.objects.get(name="compliance"))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(supervisor)
    url = reverse("admin:staff_kpis")
    started = time.perf_counter()
    rollup.kpi_rollup_refresh_all()
    rollup.kpi_rollups_vacuum()  # as the nightly task does
    took = time.perf_counter() - started
    print(f"KPI rollups, full rebuild + VACUUM (nightly task): {took:.1f}s")
    started = time.perf_counter()
    rollup.kpi_rollup_refresh()
    print(f"KPI rollups, last 7 days (every 10 minutes): {time.perf_counter() - started:.1f}s")
    day = dt.date.today().isoformat()  # noqa: DTZ011  (any day: times one day's rebuild)
    started = time.perf_counter()
    rollup.kpi_rollup_refresh(first_day=dt.date.fromisoformat(day), book=False)
    print(f"KPI rollups, one day, every source, no book: {time.perf_counter() - started:.2f}s")
    started = time.perf_counter()
    rollup.kpi_rollup_refresh(
        first_day=dt.date.fromisoformat(day), book=False, sources=("outcomes",)
    )
    print(
        f"KPI rollups, one day of calls (after a logged call): {time.perf_counter() - started:.2f}s"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM staff_kpiday")
        print(f"  rollup rows: {cursor.fetchone()[0]:,}")
    stage = MoraStage.objects.get(code="intermedia")
    views = {
        "default (last 90 days, everything)": {},
        "portfolio + stage": {"portfolio": 2, "stage": stage.pk},
        "channel sms": {"channel": "sms"},
        "campaign": {"campaign": 3},
        "all history": {"start": "2000-01-01"},
    }
    print("KPI page (median of", runs, "runs after one warm-up):")
    for name, params in views.items():

        def get(params=params):
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code
            assert b"<svg" in response.content

        print(f"  {name}: {median_seconds(get, runs) * 1000:.0f} ms")
    filters = KpiFilterForm({}).filters()
    print("each dashboard query alone, default filters (median):")
    for name in ("book", "totals", "reach", "payments_series"):
        function = getattr(kpis, name)
        print(f"  {name}: {median_seconds(lambda f=function: f(filters), runs) * 1000:.1f} ms")

    client.force_login(compliance)
    export = reverse("admin:audit_auditevent_export")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM audit_auditevent")
        total = cursor.fetchone()[0]
    rss_before = _rss_mib()
    rss_most = rss_before
    started = time.perf_counter()
    response = client.get(export)
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        if lines % 50_000 == 0:
            rss_most = max(rss_most, _rss_mib())
    seconds = time.perf_counter() - started
    rows = lines - 1
    assert response.streaming and rows >= total - 1, (rows, total)
    print(
        f"audit export: {rows:,} rows in {seconds:.1f}s = {rows / seconds:,.0f} rows/s, "
        f"resident memory {rss_before:.0f} MiB before, at most {rss_most:.0f} MiB while streaming"
    )


def _rss_mib() -> float:
    """The process's resident memory now (Linux), sampled while the export streams."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--debts", type=int, default=1_000_000)
    parser.add_argument("--audit-rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    os.environ.pop("REDIS_URL", None)  # cache in process memory; Celery inline
    with throwaway_database("bench_kpi", loopback_only=False, keep=args.keep):
        from django.core.management import call_command

        from tests.factories import StaffFactory, default_stages

        call_command("migrate", verbosity=0)
        default_stages()
        from portal.debtors.models import Creditor, Portfolio

        creditor = Creditor.objects.create(name="Banco Bench")
        for i, currency in enumerate(("COP", "COP", "COP", "USD"), start=1):
            Portfolio.objects.create(
                id=i,
                creditor=creditor,
                code=f"bench-{i}",
                name=f"Bench {i}",
                currency=currency,
                country="US" if currency == "USD" else "CO",
            )
        agent = StaffFactory(username="bench-agent")
        print(f"filling {args.debts:,} debts and {args.audit_rows:,} audit rows:")
        started = time.perf_counter()
        fill(args.debts, args.audit_rows, agent.pk)
        print(f"  filled in {time.perf_counter() - started:.0f}s")
        measure(args.runs, args.audit_rows)


if __name__ == "__main__":
    main()
