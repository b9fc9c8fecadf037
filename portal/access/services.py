from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from portal.audit.services import record
from portal.db import is_postgresql
from portal.debtors.models import Debtor, IdentityCheck, Portfolio

from .masking import destination_hint
from .models import LinkOpen, PaymentLink, PortalPresence
from .tokens import hash_token, new_token


class LinkState(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ResolvedLink:
    state: LinkState
    link: PaymentLink | None


class LinkError(ValueError):
    pass


def _default_portfolio(debtor: Debtor) -> Portfolio:
    portfolio = (
        Portfolio.objects.filter(debts__debtor=debtor).order_by("-debts__balance_minor").first()
    )
    if portfolio is None:
        raise LinkError(f"{debtor} has no debts, so there is nothing to link to")
    return portfolio


@transaction.atomic
def payment_link_create(
    *,
    debtor: Debtor,
    portfolio: Portfolio | None = None,
    days: int | None = None,
    actor=None,
    channel: str = "",
    sent_to: str = "",
) -> tuple[PaymentLink, str]:
    """Mint a link; returns it and the raw token, which exists nowhere else afterwards.

    `channel` and `sent_to` say where the message carrying it goes; only the masked hint
    is kept, for the identity page. A staff-made link has neither.
    """
    portfolio = portfolio or _default_portfolio(debtor)
    days = portfolio.link_expiry_days if days is None else days
    if not 1 <= days <= 365:
        raise LinkError("a link must expire between 1 and 365 days from now")
    token = new_token()
    now = timezone.now()
    link = PaymentLink.objects.create(
        token_hash=hash_token(token),
        debtor=debtor,
        portfolio=portfolio,
        created_by=actor if getattr(actor, "is_staff", False) else None,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
        sent_channel=channel,
        sent_to_hint=destination_hint(channel, sent_to),
    )
    record(
        "payment_link.created",
        actor=actor,
        subject=link,
        details={
            "debtor_id": debtor.pk,
            "portfolio": portfolio.code,
            "expires_at": link.expires_at,
            "sent_channel": channel,
        },
    )
    return link, token


def payment_link_tokens(count: int) -> list[tuple[str, str]]:
    """`count` fresh (raw token, SHA-256) pairs for links about to be saved.

    Minting touches no database, so a caller can render its messages first and save the
    links (`payment_links_save_for_campaign`) just before it commits.
    """
    tokens = [new_token() for _ in range(count)]
    return [(token, hash_token(token)) for token in tokens]


@transaction.atomic
def payment_links_save_for_campaign(
    *, links: list[tuple[int, str, str, str]], portfolio: Portfolio, campaign_id: int
) -> list[int]:
    """Save a campaign's batch of links, (debtor id, token hash, channel, address) each,
    in one statement with one audit event; returns the new link ids in the same order.
    Of the address only its masked hint is saved (`masking.destination_hint`).

    Campaigns mint thousands at a time, so this skips the per-link event of
    `payment_link_create` and records every new link id in a single event instead. On
    PostgreSQL the rows go in as two arrays (`unnest`): no model instance per link.
    """
    if not links:
        return []
    now = timezone.now()
    expires_at = now + dt.timedelta(days=portfolio.link_expiry_days)
    hints = [destination_hint(channel, to) for _d, _h, channel, to in links]
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {PaymentLink._meta.db_table} (token_hash, debtor_id, "
                "portfolio_id, created_at, expires_at, campaign_id, open_count, revoke_reason, "
                "sent_channel, sent_to_hint) "
                "SELECT v.token_hash, v.debtor_id, %s, %s, %s, %s, 0, '', v.channel, v.hint "
                "FROM unnest(%s::varchar[], %s::bigint[], %s::varchar[], %s::varchar[]) "
                "AS v(token_hash, debtor_id, channel, hint) "
                "RETURNING token_hash, id",
                [
                    portfolio.pk,
                    now,
                    expires_at,
                    campaign_id,
                    [link[1] for link in links],
                    [link[0] for link in links],
                    [link[2] for link in links],
                    hints,
                ],
            )
            by_hash = dict(cursor.fetchall())  # RETURNING's order is not promised
        ids = [by_hash[link[1]] for link in links]
    else:
        saved = PaymentLink.objects.bulk_create(
            PaymentLink(
                token_hash=token_hash,
                debtor_id=debtor_id,
                portfolio=portfolio,
                created_at=now,
                expires_at=expires_at,
                campaign_id=campaign_id,
                sent_channel=channel,
                sent_to_hint=hint,
            )
            for (debtor_id, token_hash, channel, _to), hint in zip(links, hints, strict=True)
        )
        ids = [link.pk for link in saved]
    record(
        "payment_link.created_for_campaign",
        subject=("outreach.campaign", campaign_id),
        details={"links": [[link_id, link[0]] for link_id, link in zip(ids, links, strict=True)]},
    )
    return ids


@transaction.atomic
def payment_link_revoke(*, link: PaymentLink, actor=None, reason: str = "") -> PaymentLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by = actor if getattr(actor, "is_staff", False) else None
        link.revoke_reason = reason[:200]
        link.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        record("payment_link.revoked", actor=actor, subject=link, details={"reason": reason})
    return link


def link_resolve(token: str) -> ResolvedLink:
    """Find a link by its raw token. A tampered token simply matches nothing."""
    if not token or len(token) > 128:
        return ResolvedLink(LinkState.UNKNOWN, None)
    link = (
        PaymentLink.objects.select_related("portfolio__creditor", "debtor")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None:
        return ResolvedLink(LinkState.UNKNOWN, None)
    if link.is_revoked:
        return ResolvedLink(LinkState.REVOKED, link)
    if link.is_expired():
        return ResolvedLink(LinkState.EXPIRED, link)
    return ResolvedLink(LinkState.VALID, link)


def pending_link(link_id: int | None) -> PaymentLink | None:
    """The link opened in this browser session, if it is still usable."""
    if not isinstance(link_id, int):
        return None
    link = (
        PaymentLink.objects.select_related("portfolio__creditor", "debtor")
        .filter(pk=link_id, revoked_at__isnull=True)
        .first()
    )
    if link is None or link.is_expired():
        return None
    return link


@transaction.atomic
def link_record_open(*, link: PaymentLink, ip_address: str | None, user_agent: str) -> LinkOpen:
    now = timezone.now()
    opened = LinkOpen.objects.create(
        link=link, opened_at=now, ip_address=ip_address, user_agent=user_agent[:512]
    )
    PaymentLink.objects.filter(pk=link.pk, first_opened_at__isnull=True).update(first_opened_at=now)
    PaymentLink.objects.filter(pk=link.pk).update(
        open_count=F("open_count") + 1, last_opened_at=now
    )
    record(
        "payment_link.opened",
        actor=None,
        subject=link,
        details={"ip": ip_address, "user_agent": user_agent[:200]},
    )
    return opened


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def identity_answer_matches(*, debtor: Debtor, method: str, answer: str) -> bool:
    """Compare in constant time so the timing says nothing about how close a guess was."""
    answer = (answer or "").strip()
    if method == IdentityCheck.BIRTH_DATE:
        if debtor.birth_date is None:
            return False
        expected = debtor.birth_date.isoformat()
    else:
        expected = _digits(debtor.document_number)[-4:]
        answer = _digits(answer)
        if len(expected) < 4:
            return False
    return hmac.compare_digest(expected.encode(), answer.encode())


def debtor_user(debtor: Debtor):
    """The Django user a debtor logs in as: no password, never staff, created once."""
    if debtor.user_id:
        return debtor.user
    user = get_user_model().objects.create(username=f"debtor-{debtor.pk}", is_active=True)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Debtor.objects.filter(pk=debtor.pk).update(user=user)
    debtor.user = user
    return user


@transaction.atomic
def identity_check_passed(*, link: PaymentLink, ip_address: str | None, user_agent: str) -> None:
    now = timezone.now()
    PaymentLink.objects.filter(pk=link.pk).update(verified_at=now)
    record(
        "identity_check.passed",
        actor=link.debtor,
        subject=link,
        details={
            "ip": ip_address,
            "user_agent": user_agent[:200],
            "method": link.portfolio.identity_check,
        },
    )


def identity_check_failed(
    *, link: PaymentLink, ip_address: str | None, locked: bool, ip_failures: int | None = None
) -> None:
    """One failed answer; `locked` when it locked the link. `ip_failures` is given when it
    took the IP to the per-IP limit, which staff need to see (a carrier's NAT or a
    guesser)."""
    record(
        "identity_check.locked_out" if locked else "identity_check.failed",
        actor=None,
        subject=link,
        details={"ip": ip_address, "method": link.portfolio.identity_check},
    )
    if ip_failures is not None:
        record(
            "identity_check.ip_locked_out",
            actor=None,
            subject=link,
            details={
                "ip": ip_address,
                "failures": ip_failures,
                "window_minutes": settings.ACCESS_IP_FAILURE_WINDOW_MINUTES,
                "limit": settings.ACCESS_IP_FAILURE_LIMIT,
            },
        )


def debtor_logged_out(*, debtor: Debtor, reason: str) -> None:
    PortalPresence.objects.filter(debtor_id=debtor.pk).update(signed_out_at=timezone.now())
    record("debtor.logout", actor=debtor, subject=debtor, details={"reason": reason})


def debtor_signed_in(*, debtor_id: int) -> None:
    """A debtor session starts: they are on the portal from now."""
    now = timezone.now()
    PortalPresence.objects.update_or_create(
        debtor_id=debtor_id,
        defaults={"signed_in_at": now, "seen_at": now, "signed_out_at": None},
    )


def debtor_seen(*, debtor_id: int) -> None:
    """The debtor's session was used (called at most once a minute per session). A second
    browser still in use clears a sign-out made in the first."""
    PortalPresence.objects.filter(debtor_id=debtor_id).update(
        seen_at=timezone.now(), signed_out_at=None
    )
