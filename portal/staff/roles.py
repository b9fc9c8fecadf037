"""Staff roles as Django groups: who may do what in admin.

- agent: works debtors (reads everything about them), writes timeline notes, logs calls
  and visits.
- supervisor: an agent who also decides proposals, runs campaigns, revokes links,
  refunds payments, resolves disputes raised on calls or filed on the portal and sees the
  KPI dashboard and the propensity model's card.
- compliance: reads everything (the KPI dashboard too), exports the audit log and consent
  evidence, verifies the chain; changes nothing (logs no calls).
- administrator: a supervisor who also sets offer policies, mora stages, creditors,
  portfolios and imports, and manages staff users.

The groups are created by a migration and kept in step with this table after every
`migrate` (new models bring new permissions), so editing this table is how a role
changes. Admin pages and actions check the permissions, never the group names.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

AGENT, SUPERVISOR, COMPLIANCE, ADMINISTRATOR = "agent", "supervisor", "compliance", "administrator"

_DEBTOR_FILE = [
    "debtors.view_creditor",
    "debtors.view_portfolio",
    "debtors.view_debtor",
    "debtors.view_debt",
    "debtors.view_ledgerentry",
    "debtors.view_morastage",
    "access.view_paymentlink",
    "access.view_linkopen",
    "agreements.view_offerpolicy",
    "agreements.view_quote",
    "agreements.view_proposal",
    "agreements.view_agreement",
    "agreements.view_installment",
    "agreements.view_promisetopay",
    "agreements.view_schedulechangerequest",
    "agreements.view_agreementdocument",
    "payments.view_payment",
    "payments.view_paymentallocation",
    "payments.view_refund",
    "payments.view_debtdispute",
    "payments.view_autopay",
    "outreach.view_consent",
    "outreach.view_message",
    "outreach.view_inboundmessage",
]

_AGENT = [
    *_DEBTOR_FILE,
    "audit.add_staff_note",
    "outreach.add_contactoutcome",  # log calls and visits from the debtor's page
    "outreach.view_contactoutcome",
    "staff.view_disputeresolution",
    "debtors.view_disputecase",  # the online dispute queue and its documents
]

_SUPERVISOR = [
    *_AGENT,
    "agreements.change_proposal",  # decide: approve, counter-offer, reject
    "agreements.change_schedulechangerequest",  # decide: approve, reject
    "access.change_paymentlink",  # revoke
    "outreach.view_campaign",
    "outreach.add_campaign",
    "outreach.change_campaign",  # edit, launch, pause, resume, cancel
    "outreach.view_campaigntemplate",
    "outreach.view_contacttiming",  # best channel and hour (docs/analytics.md)
    "outreach.add_campaigntemplate",
    "outreach.change_campaigntemplate",
    "outreach.delete_campaigntemplate",
    "payments.refund_payment",
    "payments.view_paymentattempt",
    "payments.view_stripeevent",
    "debtors.view_portfolioimport",
    "staff.view_kpis",
    "analytics.view_propensitymodel",  # the model card
    "analytics.train_propensitymodel",  # "Train now"
    "staff.resolve_dispute",  # close a dispute raised on a call: upheld or rejected
    "debtors.resolve_disputecase",  # answer a dispute filed on the portal
]

_ADMINISTRATOR = [
    *_SUPERVISOR,
    *(f"agreements.{verb}_offerpolicy" for verb in ("add", "change", "delete")),
    *(f"debtors.{verb}_morastage" for verb in ("add", "change", "delete")),
    *(f"debtors.{verb}_creditor" for verb in ("add", "change")),
    *(f"debtors.{verb}_portfolio" for verb in ("add", "change")),
    "debtors.add_portfolioimport",
    *(f"auth.{verb}_user" for verb in ("view", "add", "change")),
    "auth.view_group",
]

ROLES: dict[str, list[str]] = {
    AGENT: _AGENT,
    SUPERVISOR: _SUPERVISOR,
    # Compliance reads every model (the "view_" permissions, added below) and exports.
    COMPLIANCE: ["audit.export_auditevent", "audit.verify_auditevent", "staff.view_kpis"],
    ADMINISTRATOR: _ADMINISTRATOR,
}
_READS_EVERYTHING = {COMPLIANCE}


def roles_sync(*, group_model, permission_model) -> None:
    """Create the role groups and give each exactly its permissions (those that exist)."""
    permissions = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in permission_model.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, wanted in ROLES.items():
        names = set(wanted)
        if role in _READS_EVERYTHING:
            names |= {name for name in permissions if name.split(".")[1].startswith("view_")}
        missing = sorted(name for name in names if name not in permissions)
        if missing:
            # Normal inside the roles migration: later migrations bring them, and the
            # post_migrate sync then assigns them.
            log.debug("role %s: permissions not (yet) defined: %s", role, ", ".join(missing))
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set([permissions[name] for name in names if name in permissions])


def roles_sync_after_migrate(sender, using="default", apps=None, **kwargs) -> None:
    if sender.label != "staff":
        return
    if apps is None:
        # `flush` (and so every transactional test) sends post_migrate without the
        # migration state: the installed models are the current ones.
        from django.apps import apps
    try:
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
    except LookupError:
        return
    roles_sync(group_model=group_model, permission_model=permission_model)
