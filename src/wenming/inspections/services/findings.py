"""Problems from inspections: one problem per failed item (pre-filled from the item, the point and
the photos, 交办 by the round's organiser where the routing table says), and the 复查 that closes,
returns or re-opens (反弹) the problems an earlier round raised.
"""

from __future__ import annotations

from wenming.cases import policy as cases_policy
from wenming.cases.escalation import sla
from wenming.cases.intake import services as intake_services
from wenming.cases.models import (
    Category,
    Problem,
    Severity,
    Source,
    State,
)
from wenming.cases.workflow import services as case_services
from wenming.cases.workflow.routing import active_rules, suggest
from wenming.places.models import Point
from wenming.standards.models import CheckItem

from .. import policy
from ..models import (
    Inspection,
    InspectionRound,
    ItemResult,
    RoundKind,
    RoundPoint,
)


def recheck_targets(round_point: RoundPoint) -> dict[int, Problem]:
    """item id → the latest problem raised for it at this point that awaits re-check."""
    rows = (ItemResult.objects.filter(inspection__round_point__point=round_point.point, problem__isnull=False,
                                      problem__state__in=[State.SUBMITTED, State.RECTIFYING, State.ASSIGNED,
                                                          State.CLOSED])
            .exclude(inspection__round_point__round=round_point.round)
            .select_related("problem").order_by("id"))
    targets = {}
    for row in rows:
        targets[row.item_id] = row.problem
    return targets




def _category_for(item: CheckItem) -> Category:
    category = None
    if item.category_code:
        category = Category.objects.filter(code=item.category_code, is_active=True).first()
    return category or Category.objects.get(code="9901")


def raise_problems(inspection: Inspection) -> int:
    """One problem per failed item result that has none yet — pre-filled from the item, the point
    and the photos, reported by the inspector, and 交办 by the round's organiser to the unit the
    routing table gives. Idempotent: results that already raised one are skipped."""
    round_point = inspection.round_point
    round_ = round_point.round
    point = Point.objects.select_related("area", "unit", "point_type").get(pk=round_point.point_id)
    rows = list(ItemResult.objects.select_for_update().filter(inspection=inspection, failed=True, problem__isnull=True)
                .select_related("item").prefetch_related("photos").order_by("id"))
    source = Source.SELF_CHECK if round_.kind == RoundKind.SELF_CHECK else Source.INSPECTION
    routing_rules = None  # the routing table, read at the first failed item for all of them
    with sla.read_once():  # so are the working calendar and the SLA rules, for the deadlines
        for row in rows:
            item = row.item
            category = _category_for(item)
            unmet = "；".join(unmet_conditions(row))
            description = f"{round_.get_kind_display()}“{round_.title}”在{point.name}发现：{item.content}\n" \
                          f"测评结果：{row.label}" + (f"\n未满足的条件：{unmet}" if unmet else "") + \
                          (f"\n说明：{row.note}" if row.note else "") + \
                          (f"\n判定规则：{item.rule_text}" if item.rule_text else "")
            intake = intake_services.Intake(
                title=f"{point.name}：{item.content}"[:100], category=category, area=point.area,
                description=description[:4000], severity=Severity.NORMAL, source=source,
                address=point.address or point.name, latitude=point.latitude, longitude=point.longitude)
            problem, _ = intake_services.problem_report(actor=inspection.inspector, intake=intake,
                                                      photos=list(row.photos.all()),
                                                      idempotency_key=f"item-result-{row.pk}")
            row.problem = problem
            row.save(update_fields=["problem"])
            if routing_rules is None:
                routing_rules = active_rules()
            _route(problem, round_, point, routing_rules)
    return len(rows)


def condition_marks(result: ItemResult) -> list[tuple[str, bool]] | None:
    """(condition, met) for each condition of a grade-by-conditions result; None for other items,
    不适用 ones, and results recorded before the ticked conditions were kept (only their count is)."""
    params = result.item.params or {}
    if result.item.rule_kind != "grade" or params.get("by") != "conditions" or not result.applicable:
        return None
    ticked = (result.answer or {}).get("conditions")
    if ticked is None:
        return None
    return [(text, position in ticked) for position, text in enumerate(params.get("conditions") or [], start=1)]


def unmet_conditions(result: ItemResult) -> list[str]:
    return [text for text, met in condition_marks(result) or [] if not met]


def _route(problem: Problem, round_: InspectionRound, point: Point, routing_rules: list | None = None) -> None:
    """交办 by the organiser to the routing table's unit — the point's own unit when the table has
    no rule for it. Left 待受理 for the office when the organiser may not assign it there."""
    suggestion = suggest(problem.category, point.area, routing_rules)
    unit = point.unit if suggestion.reason.startswith("默认") else suggestion.unit
    organiser = round_.created_by
    if not policy.may_auto_assign(organiser, unit):
        return
    try:
        case_services.problem_assign(actor=organiser, problem=problem, unit=unit,
                                     note=f"测评发现，自动交办（{suggestion.reason}）")
    except case_services.ServiceError:
        return


def _apply_recheck(actor, round_point: RoundPoint, inspection: Inspection) -> None:
    """复查: a passed item closes (复核通过) the problem it re-checks; a failed one returns it
    (复核不通过) or, when it was already 销号, re-opens it as 反弹."""
    targets = recheck_targets(round_point)
    for row in ItemResult.objects.filter(inspection=inspection).select_related("item"):
        problem = targets.get(row.item_id)
        if problem is None:
            continue
        row.rechecked_problem = problem
        row.save(update_fields=["rechecked_problem"])
        organiser = round_point.round.created_by
        reach = cases_policy.problem_reach(actor, problem)
        who = actor if "verifier" in reach else organiser
        note = f"复查“{round_point.round.title}”：{row.label}" + (f"，{row.note}" if row.note else "")
        try:
            if not row.failed and row.applicable and problem.state == State.SUBMITTED:
                case_services.problem_verify_pass(actor=who, problem=problem, note=note)
            elif row.failed and problem.state == State.SUBMITTED:
                case_services.problem_verify_fail(actor=who, problem=problem, reason=note)
            elif row.failed and problem.state == State.CLOSED:
                case_services.problem_recur(actor=who, problem=problem, note=note, photos=list(row.photos.all()))
        except case_services.ServiceError:
            continue
