"""The one way a notice reaches a debtor: `notice_send`.

Agreements (proposal answers, agreement created), payments (receipt, card and autopay
failures) and the daily reminders all come through here. A notice is rendered from its own
template folder (`templates/outreach/notices/<notice>/`, see docs/outreach.md#notices) in
the debtor's language inside the caller's transaction, so its text matches the data it
describes, and leaves only after that transaction commits, through the outbox and the
contact policy (`outbox.now.notice_send_now` / `outbox.queue.message_queue`): a rolled-back
decision never reaches anyone, and a notice outside the debtor's window waits for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction

from portal.access.services import payment_link_create
from portal.access.tokens import payment_link_url
from portal.audit.services import record
from portal.debtors.models import Creditor, Debt, Debtor, Portfolio
from portal.debtors.selectors import debtor_creditors

from .attachments import StoredFile
from .models import MessageKind
from .outbox.now import notice_send_now
from .outbox.queue import message_queue
from .rendering import Rendered, render_notice
from .selectors import address_for

EMAIL = ("email",)
WRITTEN = ("sms", "whatsapp", "email")  # a debtor who prefers calls gets the first


class NoticeFailed(RuntimeError):
    """The provider refused a notice; a task that raises it may retry (the outbox resends)."""


@dataclass(frozen=True)
class Notice:
    # Notices are answers and facts the debtor is owed (outside the caps); reminders are
    # collection messages, counted and capped like a campaign's.
    kind: str = MessageKind.NOTICE
    channels: tuple[str, ...] = EMAIL


_REMINDER = Notice(kind=MessageKind.REMINDER, channels=WRITTEN)
NOTICES: dict[str, Notice] = {
    "proposal_received": Notice(),
    "proposal_approved": Notice(),
    "proposal_countered": Notice(),
    "proposal_rejected": Notice(),
    "agreement_created": Notice(),
    "schedule_change_approved": Notice(),
    "schedule_change_rejected": Notice(),
    "payment_receipt": Notice(),
    "payment_failed": Notice(),
    "cash_voucher": Notice(),
    "autopay_failed": Notice(),
    "dispute_received": Notice(),
    "dispute_resolved": Notice(),
    "installment_due_soon": _REMINDER,
    "installment_due_today": _REMINDER,
    "promise_broken": _REMINDER,
    "agreement_broken": _REMINDER,
}


def notice_send(
    *,
    debtor: Debtor,
    notice: str,
    context: dict[str, Any],
    key: str = "",
    about: Iterable[str] = (),
    on_portal: bool = False,
    channel: str | None = None,
    when: Literal["commit", "now", "queue"] = "commit",
    attachments: list[StoredFile] | None = None,
    link: bool | Portfolio = False,
    link_to: str = "",
    debt: Debt | None = None,
    country: str = "",
) -> str | None:
    """Render `notice` for `debtor` now and send it through the contact policy.

    `when`: "commit" sends once the caller's transaction commits (at once if the policy
    allows it, otherwise at the debtor's next window); "now" is for callers already past
    their commit (a task): it sends at once and returns the message's status ("sent",
    "deferred", "blocked"), raising `NoticeFailed` if the provider refused it so the task's
    retry sends it again; "queue" leaves an outbox row the worker dispatches after commit
    (reminders, many at a time).

    The message key makes the notice idempotent: `key` as given, else built from the
    context entries named in `about` (`notice:<notice>:<debtor>:proposal=12`), else from
    the rendered text. `link` mints a fresh personal payment link (into that portfolio,
    or the debtor's own) that the templates read as `link_url`; `link_to` is the portal
    path it opens after the sign-in (a receipt), else the dashboard. `on_portal=True` only from
    the debtor's own request: otherwise the policy reads whether they are on the portal.
    `debt` and `country` tell the policy whose rules apply to a queued send (otherwise,
    and by default, Colombia's).
    Returns "no email" (audited `message.skipped`) when the debtor has no address for a
    notice; None when the send waits for the commit or the queue.
    """
    spec = NOTICES.get(notice)
    if spec is None:
        raise ValueError(f"unknown notice {notice!r}")
    channel = channel or _channel_for(debtor, spec)
    if spec.kind == MessageKind.NOTICE and not address_for(debtor, channel):
        # A reminder without an address still gets its row: the policy blocks it, counted.
        record(
            "message.skipped",
            subject=debtor,
            details={"channel": channel, "notice": notice, "reason": f"no_{_address(channel)}"},
        )
        return f"no {_address(channel)}"
    full = {"debtor": debtor, **context}
    if link:
        portfolio = link if isinstance(link, Portfolio) else None
        full["link_url"] = _link_url(debtor, portfolio, channel=channel, landing=link_to)
    rendered = render_notice(
        notice=notice,
        channel=channel,
        language=debtor.language,
        context=full,
        creditors=_creditors(debtor, link=link, debt=debt, context=context),
    )
    key = key or _key(notice, debtor, context, about, rendered)
    if when == "queue":
        stored = {"subject": rendered.subject, "text": rendered.text}
        if rendered.html:
            stored["html"] = rendered.html
        if country:
            stored["country"] = country  # read by the policy: whose rules apply
        message_queue(
            debtor=debtor,
            channel=channel,
            key=key,
            kind=spec.kind,
            notice=notice,
            context=stored,
            debt=debt,
            on_portal=on_portal,
        )
        return None

    def send() -> str:
        message = notice_send_now(
            debtor=debtor,
            key=key,
            notice=notice,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            channel=channel,
            on_portal=on_portal,
            attachments=attachments,
        )
        if message.status == "failed":
            raise NoticeFailed(f"{notice} to debtor {debtor.pk} failed: {message.error}")
        return message.status

    if when == "now":
        return send()
    # robust: the caller's work is committed; a provider or broker failure is logged.
    transaction.on_commit(send, robust=True)
    return None


def _channel_for(debtor: Debtor, spec: Notice) -> str:
    preferred = debtor.preferred_channel
    return preferred if preferred in spec.channels else spec.channels[0]


def _address(channel: str) -> str:
    return "email" if channel == "email" else "phone"


def _link_url(debtor: Debtor, portfolio: Portfolio | None, *, channel: str, landing: str) -> str:
    """A new personal link, minted in the caller's transaction: rolled back, it never was.
    It knows where it goes, so its identity page can say so (masked)."""
    _link, token = payment_link_create(
        debtor=debtor, portfolio=portfolio, channel=channel, sent_to=address_for(debtor, channel)
    )
    return payment_link_url(token, landing=landing)


def _creditors(
    debtor: Debtor, *, link: bool | Portfolio, debt: Debt | None, context: dict
) -> list[Creditor]:
    """Whom the notice speaks for, named with their NIT at its end: the portfolio it is
    about (its link's, its debt's, or an agreement's or proposal's in the context), else
    every creditor the debtor owes."""
    hints = [
        link,
        debt and debt.portfolio,
        *(getattr(v, "portfolio", None) for v in context.values()),
    ]
    portfolio = next((p for p in hints if isinstance(p, Portfolio)), None)
    if portfolio is not None:
        return [portfolio.creditor]
    return debtor_creditors(debtor.pk)


def _key(
    notice: str, debtor: Debtor, context: dict, about: Iterable[str], rendered: Rendered
) -> str:
    if about:
        names = sorted(about)
        ids = ",".join(f"{n}={context[n].pk}" for n in names if hasattr(context.get(n), "pk"))
    else:  # the same text to the same debtor is the same notice
        ids = hashlib.sha256(f"{rendered.subject}\n{rendered.text}".encode()).hexdigest()[:32]
    return f"notice:{notice}:{debtor.pk}:{ids}"
