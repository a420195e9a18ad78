"""外发消息异常: the SMS and e-mails that failed or are being retried, for the city office."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import access, outbound, selectors


@login_required
@require_GET
def outbound_failures(request):
    access.require_at_root(request.user, "outbound.view", target="outbound")
    params = request.GET
    status = params.get("status", "")
    errors = []
    if status not in selectors.OUTBOUND_FILTERS:
        errors.append("状态筛选无效，已显示全部异常消息")
        status = ""
    page = Paginator(selectors.outbound_problems(request.user, status=status), 50).get_page(params.get("page"))
    for message in page:
        message.masked_to = outbound.mask_recipient(message.channel, message.to)
    return render(request, "core/outbound.html", {
        "page": page, "errors": errors, "status": status, "filters": selectors.OUTBOUND_FILTERS,
        "counts": selectors.outbound_problem_counts(request.user), "params": {"status": status} if status else {},
    })
