"""Reads of supervision notices (督办单/督办函), scoped by ``policy.notice_filter``: supervision
documents are internal — offices, leaders and admins over the unit, and the handlers of the unit
named; never the citizen who reported the problem."""

from __future__ import annotations

from django.db.models import QuerySet

from wenming.core import access

from .. import policy
from ..models import SupervisionNotice


def notices_visible_to(user) -> QuerySet[SupervisionNotice]:
    return SupervisionNotice.objects.filter(policy.notice_filter(user))


def problem_notices(user, problem) -> list[SupervisionNotice]:
    """The notices of one problem that the user may read (the problem page's 督办 list)."""
    if not policy.may_view_notices(user):
        return []
    return list(notices_visible_to(user).filter(problem=problem).order_by("issued_at", "id"))


def notice_list(user, *, kind: str = "", year: int | None = None) -> QuerySet[SupervisionNotice]:
    """The list page's rows, newest first; one query per page whatever the number of rows."""
    qs = notices_visible_to(user)
    if kind:
        qs = qs.filter(kind=kind)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.select_related("problem", "task", "task__plan", "unit", "issuer").order_by("-issued_at", "-id")


def notice_years(user) -> list[int]:
    """The years that have notices the user sees, newest first (the year filter's choices)."""
    return list(notices_visible_to(user).order_by("-year").values_list("year", flat=True).distinct())


def notice_get(user, pk: int) -> SupervisionNotice:
    """One notice with what its document shows loaded; 404 (audited) when it does not exist or
    its problem is outside the user's view."""
    notice = (notices_visible_to(user)
              .select_related("problem", "problem__category", "problem__category__parent", "problem__area",
                              "task", "task__plan", "unit", "issuer")
              .filter(pk=pk).first())
    if notice is None:
        access.refuse_not_found(user, "notice", f"cases.notice:{pk}")
    return notice
