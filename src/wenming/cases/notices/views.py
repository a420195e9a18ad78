"""督办单/督办函 pages: the list of notices in the user's view, one notice laid out like the
document (printable on A4), and the same notice as a .docx (GB/T 9704-2012 layout)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wenming.core import access, audit

from .. import policy
from ..models import NoticeKind
from . import documents
from . import selectors as notice_selectors

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PAGE_SIZE = 30


@login_required
@require_GET
def notice_list(request):
    if not policy.may_view_notices(request.user):
        access.refuse_forbidden(request.user, "cases.notices")
    params, errors = request.GET, []
    kind = params.get("kind", "")
    if kind and kind not in NoticeKind.values:
        errors.append("类型筛选无效")
        kind = ""
    year = None
    if params.get("year"):
        try:
            year = int(params["year"])
        except ValueError:
            errors.append("年份筛选无效")
    rows = notice_selectors.notice_list(request.user, kind=kind, year=year)
    page = Paginator(rows, PAGE_SIZE).get_page(params.get("page"))
    return render(request, "cases/notices.html", {
        "page": page, "params": params, "errors": errors, "kinds": NoticeKind.choices,
        "years": notice_selectors.notice_years(request.user),
        # a notice names its unit even after the problem was given to another one: the problem is a
        # link only while the viewer still sees it
        "may": {"problems": policy.visible_problem_ids(request.user, {n.problem_id for n in page if n.problem_id}),
                "tasks": _visible_tasks(request.user, {n.task_id for n in page if n.task_id})},
    })


@login_required
@require_GET
def notice_detail(request, pk: int):
    notice = notice_selectors.notice_get(request.user, pk)
    layout = documents.notice_layout(notice)
    sig_right, date_right = documents.signature_indents(layout.signature, layout.date)
    return render(request, "cases/notice.html", {
        "notice": notice, "doc": layout, "may": {
            "problem": notice.problem_id is not None and policy.may_view_problem(request.user, notice.problem),
            "task": notice.task_id is not None and notice.task_id in _visible_tasks(request.user, {notice.task_id})},
        # the signature block's right indents, in em of the 3号 body text (as in the .docx)
        "sig_right": f"{sig_right:g}", "date_right": f"{date_right:g}",
    })


def _visible_tasks(user, ids: set[int]) -> set[int]:
    """The work-plan tasks among ``ids`` the user may open (a task notice links its task only then)."""
    if not ids:
        return set()
    from wenming.plans import policy as plan_policy
    from wenming.plans.models import Task

    return set(Task.objects.filter(plan_policy.task_filter(user), pk__in=ids).values_list("pk", flat=True))


def attachment_header(filename: str, fallback: str) -> str:
    """Content-Disposition for a download whose name is Chinese: an ASCII ``filename`` for old
    clients and the real name as ``filename*`` (RFC 6266 / RFC 5987, UTF-8, percent-encoded)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@login_required
@require_GET
def notice_docx(request, pk: int):
    notice = notice_selectors.notice_get(request.user, pk)
    response = HttpResponse(documents.notice_docx(notice), content_type=DOCX_CONTENT_TYPE)
    audit.download(actor=request.user, what="督办文书", rows=1, target=notice, unit=notice.unit, format="docx",
                   number=notice.number, subject=notice.subject)
    response["Content-Disposition"] = attachment_header(f"{notice.number}.docx", f"notice-{notice.pk}.docx")
    response["Cache-Control"] = "private, no-store"
    return response
