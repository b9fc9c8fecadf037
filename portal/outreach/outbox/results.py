"""Writing providers' answers onto the rows they answer for."""

from __future__ import annotations

from portal.audit.services import record

from ..bulk import rows_update
from ..channels import Outgoing
from ..models import Message, MessageKind, MessageStatus
from .audit import notice_audit


def results_write(results: list[dict], outgoing: list[Outgoing] | dict[int, str]) -> None:
    """Providers' answers, a batch at a time (one commit, not one per message), only onto
    rows still `sending`. A worker killed before this leaves them `sending`; the hand-off
    journal keeps the answers until then (`messages_interrupted_recover`). `outgoing`
    gives each row's kind (or is {id: kind})."""
    if not results:
        return
    rows_update(Message, results, only_status=MessageStatus.SENDING)
    kinds = outgoing if isinstance(outgoing, dict) else {o.message_id: o.kind for o in outgoing}
    notices = [r["id"] for r in results if kinds.get(r["id"]) == MessageKind.NOTICE]
    if notices:
        # A notice's pre-rendered text may hold a personal link: once sent, it is not kept.
        Message.objects.filter(pk__in=notices).update(context={})
        for message in Message.objects.filter(pk__in=notices):
            action = "message.sent" if message.status == "sent" else "message.failed"
            notice_audit(action, message, message.decision)
    failed = [r["id"] for r in results if r["status"] == "failed" and r["id"] not in notices]
    if failed:
        record("message.failed", details={"messages": failed})
