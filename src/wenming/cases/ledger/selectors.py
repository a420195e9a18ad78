"""The lists of problems — the ledger and its filter, a unit's problems, those awaiting
verification, the office's inbox, the public list of closed problems — and their counts on the
home page. Always scoped to the acting user (cases.policy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from wenming.core import access
from wenming.org.models import Role, Unit

from .. import policy
from ..models import (
    OPEN_STATES,
    Category,
    Problem,
    ProblemPhoto,
    ProblemRequest,
    RequestStatus,
    State,
)
from ..selectors import problems_visible_to


@dataclass
class LedgerFilter:
    unit: Unit | None = None
    state: str = ""
    category: Category | None = None
    source: str = ""
    severity: str = ""
    overdue: bool = False
    open_only: bool = False
    start: datetime | None = None
    end: datetime | None = None
    text: str = ""


def ledger(user, f: LedgerFilter) -> QuerySet[Problem]:
    qs = problems_visible_to(user)
    if f.unit is not None:
        qs = qs.filter(Q(unit_path__startswith=f.unit.path) | Q(area_path__startswith=f.unit.path))
    if f.state:
        qs = qs.filter(state=f.state)
    if f.open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    if f.category is not None:
        qs = qs.filter(Q(category=f.category) | Q(category__parent=f.category))
    if f.source:
        qs = qs.filter(source=f.source)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.overdue:
        qs = qs.filter(is_overdue=True, state__in=OPEN_STATES)
    if f.start:
        qs = qs.filter(created_at__gte=f.start)
    if f.end:
        qs = qs.filter(created_at__lte=f.end)
    if f.text:
        qs = qs.filter(Q(code__icontains=f.text) | Q(title__icontains=f.text) | Q(address__icontains=f.text))
    return qs


def ledger_rows(qs: QuerySet[Problem]) -> QuerySet[Problem]:
    return qs.select_related("category", "unit", "area").order_by("-created_at", "-id")


def state_counts(qs: QuerySet[Problem]) -> list[tuple[str, str, int]]:
    counts = dict(qs.order_by().values_list("state").annotate(n=Count("id")))
    return [(value, label, counts.get(value, 0)) for value, label in State.choices]


URGENCY = Case(
    When(is_overdue=True, then=Value(0)),
    When(state=State.ASSIGNED, then=Value(1)),
    When(state=State.RECTIFYING, then=Value(2)),
    default=Value(3), output_field=IntegerField(),
)


def my_unit_problems(user) -> QuerySet[Problem]:
    """A handler's or grid worker's open problems of his own units, most urgent first: overdue,
    then 待签收, then by deadline."""
    scope = access.scope_for(user)
    units = {unit_id for _, unit_id, role in scope.grants if role in policy.UNIT_STAFF_ROLES}
    return (Problem.objects.filter(unit_id__in=units, state__in=[State.ASSIGNED, State.RECTIFYING, State.SUBMITTED])
            .select_related("category", "unit", "area").annotate(urgency=URGENCY)
            .order_by("urgency", "deadline", "id"))


MINE_VIEWS = {"": "全部", "assigned": "待签收", "overdue": "逾期"}


def mine_filtered(qs: QuerySet[Problem], show: str) -> QuerySet[Problem]:
    """A unit's problems as the tabs of its list (and the home page's cards) show them."""
    if show == "assigned":
        return qs.filter(state=State.ASSIGNED)
    if show == "overdue":
        return qs.filter(is_overdue=True).exclude(state=State.SUBMITTED)
    return qs


def awaiting_verification(user) -> QuerySet[Problem]:
    """Submitted problems this user is to verify: his own as verifier, and — for an office —
    those in scope without a named verifier."""
    scope = access.scope_for(user)
    condition = Q(verifier_id=user.pk)
    office_paths = [p for p, _, role in scope.grants if role == Role.OFFICE]
    for path in office_paths:
        condition |= Q(verifier__isnull=True, unit_path__startswith=path)
    return (Problem.objects.filter(condition, state=State.SUBMITTED).select_related("category", "unit", "area")
            .order_by("submitted_at"))


def office_inbox(user) -> QuerySet[Problem]:
    """What waits for an office: to accept, to assign, requests to decide."""
    pending = ProblemRequest.objects.filter(status=RequestStatus.PENDING).values("problem_id")
    return (problems_visible_to(user)
            .filter(Q(state__in=[State.REPORTED, State.PENDING_ASSIGNMENT]) | Q(pk__in=pending))
            .select_related("category", "unit", "area").order_by("created_at"))


def public_closed(limit: int | None = None) -> QuerySet[Problem]:
    qs = (Problem.objects.filter(state=State.CLOSED).select_related("category", "area", "unit")
          .prefetch_related(Prefetch("photos", queryset=ProblemPhoto.objects.select_related("photo"),
                                     to_attr="photo_links"))
          .order_by("-closed_at", "-id"))
    return qs[:limit] if limit else qs


def home_attention(user) -> list[dict]:
    """The rectification loop's part of the home page: what waits for this user now."""
    items = []
    if policy.may_view_office_todo(user):
        overdue = problems_visible_to(user).filter(is_overdue=True, state__in=["assigned", "rectifying"])
        items += [{"label": "待受理、待交办和待答复申请的问题", "count": office_inbox(user).count(), "url": "cases:todo",
                   "query": ""},
                  {"label": "逾期未整改的问题", "count": overdue.count(), "url": "cases:ledger", "query": "overdue=1"}]
    if policy.may_view_unit_list(user):
        mine = my_unit_problems(user)
        items += [{"label": "本单位待签收的问题", "count": mine_filtered(mine, "assigned").count(), "url": "cases:mine",
                   "query": "show=assigned"},
                  {"label": "本单位逾期的问题", "count": mine_filtered(mine, "overdue").count(),
                   "url": "cases:mine", "query": "show=overdue"}]
    if policy.may_view_verify_list(user):
        items.append({"label": "待我复核的问题", "count": awaiting_verification(user).count(), "url": "cases:verify",
                      "query": ""})
    return items


def reported_by(user) -> QuerySet[Problem]:
    return (Problem.objects.filter(reporter=user).select_related("category", "area", "unit")
            .order_by("-created_at", "-id"))


# the timeline's steps a reporter is told about, in his words; the notes of these are replies
PUBLIC_STEPS = {"report": "已登记", "accept": "已受理", "assign": "已交办责任单位", "reassign": "已改派责任单位",
                "escalate": "已提级办理", "sign": "责任单位已签收", "submit": "责任单位已整改，待复核",
                "verify_fail": "复核未通过，重新整改", "verify_pass": "复核通过，已销号", "reject": "不予受理",
                "merge": "与其他问题合并办理", "recur": "再次出现，重新立案"}
REPLY_STEPS = {"reject", "merge", "submit", "verify_pass"}


@dataclass
class Tracked:
    problem: Problem
    steps: list[tuple]  # (when, label, reply)
    photos: list  # after-rectification photos, once the problem is closed (and so public)


def tracked(code: str) -> Tracked | None:
    """The public view of a problem by its 查询码: no names, no phones, no internal notes but the
    replies to the reporter (why it was not accepted, how it was fixed)."""
    problem = (Problem.objects.select_related("category", "unit", "area", "merged_into")
               .filter(tracking_code=code).first())
    if problem is None:
        return None
    events = problem.events.filter(action__in=list(PUBLIC_STEPS)).order_by("at", "id").only("action", "at", "note")
    steps = [(e.at, PUBLIC_STEPS[e.action], e.note if e.action in REPLY_STEPS else "") for e in events]
    photos = []
    if problem.state == State.CLOSED:
        photos = [link.photo_id for link in ProblemPhoto.objects.filter(problem=problem, phase="after",
                                                                         photo__is_public=True)]
    return Tracked(problem, steps, photos)
