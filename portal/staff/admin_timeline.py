"""The debtor's timeline as an admin view, loaded with htmx into the debtor's page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from portal.audit.services import staff_note_add
from portal.debtors.models import Debtor

from .timeline import KINDS, timeline_page


def timeline_view(model_admin, request, debtor_id: int):
    if not request.user.has_perm("debtors.view_debtor"):
        raise PermissionDenied
    debtor = get_object_or_404(Debtor.objects.only("id", "full_name"), pk=debtor_id)
    can_note = request.user.has_perm("audit.add_staff_note")
    error, status = "", 200
    if request.method == "POST":
        if not can_note:
            raise PermissionDenied
        try:
            staff_note_add(debtor=debtor, author=request.user, text=request.POST.get("text", ""))
        except ValueError as exc:
            error, status = str(exc), 400
    kind = request.GET.get("kind", "")
    before = request.GET.get("before", "")
    page = timeline_page(
        debtor.pk,
        kind=kind or None,
        before=int(before) if before.isdigit() else None,
    )
    template = "admin/staff/timeline.html"
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template += "#rows" if before else "#timeline"
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Timeline · {debtor.full_name}",
        "opts": Debtor._meta,
        "debtor": debtor,
        "page": page,
        "kind": kind,
        "kinds": [(key, label) for key, (label, _prefixes) in KINDS.items()],
        "can_note": can_note,
        "error": error,
    }
    return TemplateResponse(request, template, context, status=status)
