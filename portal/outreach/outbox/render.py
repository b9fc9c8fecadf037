"""Rendering the messages to send: a campaign's template with its placeholders and the
message's own link, or a notice's templates, in the debtor's language; email gets its
unsubscribe link and headers. What is stored on the row has links redacted."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from portal.access.tokens import payment_link_url

from .. import rendering
from ..channels import Outgoing, SendError
from ..models import CampaignTemplate, Message, MessageStatus


def render(sendable: list[Message], tokens: dict[int, str]) -> list[Outgoing]:
    """What to hand off for each message (subject and body set on it, not saved); one that
    cannot be rendered (its campaign lacks the channel's template) is failed instead."""
    templates = _templates_for({m.campaign_id for m in sendable if m.campaign_id})
    to_send = []
    for message in sendable:
        try:
            to_send.append(outgoing(message, tokens.get(message.pk), templates))
        except SendError as exc:
            message.status, message.error = MessageStatus.FAILED, str(exc)[:255]
    return to_send


def _templates_for(campaign_ids: set[int]) -> dict[int, dict]:
    templates: dict[int, dict] = {}
    for template in CampaignTemplate.objects.filter(campaign_id__in=campaign_ids):
        templates.setdefault(template.campaign_id, {})[(template.channel, template.language)] = (
            template
        )
    return templates


def outgoing(message: Message, token: str | None, templates: dict) -> Outgoing:
    headers, variables, content_sid = {}, {}, ""
    if message.campaign_id:
        link = payment_link_url(token)
        rendered, template, values = _campaign_text(
            message, templates.get(message.campaign_id, {}), link
        )
        content_sid = template.whatsapp_content_sid
        variables = {str(i + 1): values[name] for i, name in enumerate(rendering.PLACEHOLDERS)}
        stored = rendered.text.replace(link, rendering.LINK_MARK)
    else:
        rendered = rendering.render_notice(
            notice=message.notice,
            channel=message.channel,
            language=message.debtor.language,
            context=message.context,
        )
        stored = rendered.text
    html = rendered.html
    if message.channel == "email":
        url = rendering.unsubscribe_url(debtor_id=message.debtor_id, message_id=message.pk)
        headers = rendering.email_headers(url)
        html = html.replace("__UNSUBSCRIBE__", url)
        with translation.override(message.debtor.language or settings.LANGUAGE_CODE):
            footer = _("To stop receiving these emails: %(url)s") % {"url": url}
        rendered = rendering.Rendered(rendered.subject, f"{rendered.text}\n\n{footer}", html)
        stored = f"{stored}\n\n{footer}"
    message.subject, message.body = rendered.subject[:200], rendering.redact_links(stored)
    return Outgoing(
        message_id=message.pk,
        kind=message.kind,
        channel=message.channel,
        to=message.to,
        text=rendered.text,
        subject=rendered.subject,
        html=html,
        headers=headers,
        whatsapp_content_sid=content_sid,
        whatsapp_variables=variables,
        stored_attachments=tuple(message.context.get("attachments", ())),
    )


def _campaign_text(message: Message, templates: dict, link_url: str) -> tuple:
    campaign = message.campaign
    debtor = message.debtor
    template = templates.get((message.channel, debtor.language)) or next(
        (t for (c, _lang), t in templates.items() if c == message.channel), None
    )
    if template is None:
        raise SendError(f"campaign has no {message.channel} template")
    values = rendering.placeholder_values(
        debtor=debtor,
        creditor=campaign.portfolio.creditor.name,
        amount_minor=message.context.get("amount_minor", 0),
        currency=campaign.portfolio.currency,
        link=link_url,
    )
    body = rendering.fill(template.body, values)
    subject = rendering.fill(template.subject, values)
    creditors = [campaign.portfolio.creditor]
    html = ""
    with translation.override(debtor.language or settings.LANGUAGE_CODE):
        text = rendering.with_legal(body, message.channel, creditors)
        if message.channel == "email":
            context = {"text": body, "legal_lines": rendering.legal_lines(creditors)}
            html = render_to_string(
                rendering.EMAIL_LAYOUT, {**context, "PORTAL_NAME": settings.PORTAL_NAME}
            )
    return rendering.Rendered(subject, text, html), template, values
