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
from wenming.standards import rules
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


TITLE_MAX = Problem._meta.get_field("title").max_length
DESCRIPTION_MAX = 4000


def problem_title(point_name: str, item: CheckItem) -> str:
    """“<point>：<item's 简称>” — or the 简称 alone when a long point name would take the title
    over its length (the point is the problem's place anyway); never cut."""
    name = item.title
    title = f"{point_name}：{name}"
    return title if len(title) <= TITLE_MAX else name


def problem_description(round_: InspectionRound, point: Point, row: ItemResult) -> str:
    """What was found, the result, the conditions not met, the inspector's note and the
    judgement rule, at most :data:`DESCRIPTION_MAX` long. Nothing is cut: when it would be longer,
    the judgement rule, then the conditions, then the item's text give way — each as a whole —
    to a line that says where to read it (the item in the index system, the point's result)."""
    item = row.item
    unmet = unmet_conditions(row)
    found = f"{round_.get_kind_display()}“{round_.title}”在{point.name}发现："
    parts = {
        "content": f"{found}{item.content}",
        "result": f"\n测评结果：{row.label}",
        "veto": f"\n{rules.veto_note([(item.title, row.label, item.params['veto']['cap'])])}" if item.is_veto else "",
        "unmet": f"\n未满足的条件：{'；'.join(unmet)}" if unmet else "",
        "note": f"\n说明：{row.note}" if row.note else "",
        "rule": f"\n判定规则：{item.rule_text}" if item.rule_text else "",
    }

    def see_item() -> str:
        return f"见测评体系“{round_.system}”检查项 {item.code}"

    shorter = {"rule": lambda: f"\n判定规则：{see_item()}",
               "unmet": lambda: f"\n未满足的条件：共{len(unmet)}项，见本点位的测评结果",
               "content": lambda: f"{found}{item.title}（检查内容{see_item()}）"}
    for part in ("rule", "unmet", "content"):
        if sum(len(text) for text in parts.values()) <= DESCRIPTION_MAX:
            break
        if parts[part]:
            parts[part] = shorter[part]()
    return "".join(parts.values())


def raise_problems(inspection: Inspection) -> int:
    """One problem per failed item result that has none yet — pre-filled from the item, the point
    and the photos, reported by the inspector, and 交办 by the round's organiser to the unit the
    routing table gives. Idempotent: results that already raised one are skipped."""
    round_point = inspection.round_point
    round_ = round_point.round
    point = Point.objects.select_related("area", "unit", "point_type").get(pk=round_point.point_id)
    rows = list(ItemResult.objects.select_for_update().filter(inspection=inspection, failed=True, problem__isnull=True)
                .select_related("item", "item__indicator").prefetch_related("photos").order_by("id"))
    source = Source.SELF_CHECK if round_.kind == RoundKind.SELF_CHECK else Source.INSPECTION
    routing_rules = None  # the routing table, read at the first failed item for all of them
    with sla.read_once():  # so are the working calendar and the SLA rules, for the deadlines
        for row in rows:
            item = row.item
            category = _category_for(item)
            intake = intake_services.Intake(
                title=problem_title(point.name, item), category=category, area=point.area,
                description=problem_description(round_, point, row), severity=Severity.NORMAL, source=source,
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


def veto_explanation(results: list[ItemResult]) -> str:
    """Why a point scored less than its items ("" when no 一票否决 item failed): the failed veto
    items by their 简称 and result, and what the items scored before the veto."""
    vetoes = [(row.item.title, row.label, row.item.params["veto"]["cap"])
              for row in results if row.failed and row.applicable and row.item.is_veto]
    if not vetoes:
        return ""
    items_score = rules.point_total(
        rules.Outcome(row.applicable, row.earned, row.possible, row.failed, row.label) for row in results).items_score
    return rules.veto_note(vetoes, items_score)


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
