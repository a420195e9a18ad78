"""Recording an inspection: the inspector's draft, and the (idempotent) submission that scores every
item and finishes the point, then hands failed items to :mod:`.findings`.

Who may: the inspector assigned to the point (for a 自查, the unit's staff member assigned to it) or,
when the point is shared to a 督查组, any member of the group whose account may inspect the round;
the inspection records who did it (inspections.policy.inspects).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from wenming.core import access, audit
from wenming.standards import rules
from wenming.standards.models import CheckItem

from .. import selectors
from ..errors import InspectionError
from ..models import (
    Inspection,
    InspectionRound,
    ItemResult,
    RoundKind,
    RoundPoint,
    RoundStatus,
)
from .findings import _apply_recheck, raise_problems, recheck_targets

MAX_SAMPLE = 20000
INSPECTOR_ROLES = selectors.INSPECTOR_ROLES
SELF_CHECK_ROLES = selectors.SELF_CHECK_ROLES


@dataclass
class Answer:
    """What the inspector recorded for one item (from the form or the API)."""

    verdict: str = ""          # pass / partial / fail / na
    met: int | None = None     # grade by conditions: how many conditions are met
    rate: str = ""             # grade by rate: the measured rate in %
    count: str = ""            # deduction: occurrences found
    note: str = ""
    photos: list = field(default_factory=list)   # core.Photo rows
    # grade by conditions: which conditions are met (1-based positions); ``met`` is their number
    conditions: list[int] | None = None

    def __post_init__(self):
        if self.conditions is not None:
            self.conditions = sorted(set(self.conditions))
            if self.met is None:
                self.met = len(self.conditions)

    def as_rule_answer(self) -> dict:
        """What ``rules.evaluate`` takes (it scores ``met``), with the conditions ticked alongside."""
        if self.verdict == "na":
            return {"verdict": "na"}
        answer = {"verdict": self.verdict, "met": self.met, "rate": self.rate, "count": self.count}
        if self.conditions is not None:
            answer["conditions"] = self.conditions
        return answer

    def as_draft(self) -> dict:
        return {"verdict": self.verdict, "met": self.met, "conditions": self.conditions, "rate": self.rate,
                "count": self.count, "note": self.note, "photos": [photo.pk for photo in self.photos]}

    def conditions_error(self, item: CheckItem) -> str | None:
        """Why the conditions ticked don't fit the item (positions beyond its list, a count that
        is not theirs); None when they fit or none were given."""
        if self.conditions is None or self.verdict == "na":
            return None
        if item.rule_kind != "grade" or (item.params or {}).get("by") != "conditions":
            return "该检查项不按条件评等级"
        total = len(item.params.get("conditions") or [])
        if any(not isinstance(c, int) or isinstance(c, bool) or not 1 <= c <= total for c in self.conditions):
            return f"勾选的条件无效（该项共{total}个条件）"
        if self.met != len(self.conditions):
            return "满足的条件数与勾选的条件不一致"
        return None



def items_for(round_point: RoundPoint) -> list[CheckItem]:
    """The items an inspector answers at this point: those of the round's system for its type —
    in a 复查, only those whose earlier failure raised a problem now awaiting re-check."""
    items = list(CheckItem.objects.filter(system=round_point.round.system,
                                          point_types=round_point.point.point_type_id)
                 .select_related("indicator").order_by("sort", "id"))
    if round_point.round.kind == RoundKind.RECHECK:
        linked = recheck_targets(round_point)
        items = [item for item in items if item.pk in linked]
    return items



def _require_inspector(actor, round_point: RoundPoint) -> None:
    """The point's inspector, or a member of its 督查组 who may inspect: 403 to others who see the
    round, 404 to the rest."""
    if not selectors.inspects(actor, round_point):
        round_ = round_point.round
        if selectors.rounds(actor).filter(pk=round_.pk).exists():
            access.refuse_forbidden(actor, "inspections.inspect", f"RoundPoint#{round_point.pk}")
        access.refuse_not_found(actor, "inspections.round_point", f"RoundPoint#{round_point.pk}")


def _check_open(round_point: RoundPoint) -> None:
    if round_point.round.status != RoundStatus.OPEN:
        raise InspectionError("该轮次不在进行中，不能测评")


def inspection_save_draft(*, actor, round_point: RoundPoint, answers: dict[int, Answer], note: str = "",
                          latitude=None, longitude=None) -> Inspection:
    """Keep what was typed so far (nothing is scored): a dropped connection loses nothing."""
    _require_inspector(actor, round_point)
    _check_open(round_point)
    with transaction.atomic():
        locked = RoundPoint.objects.select_for_update().get(pk=round_point.pk)
        if locked.status == RoundPoint.Status.DONE:
            raise InspectionError("该点位已提交测评结果")
        inspection, _ = Inspection.objects.get_or_create(round_point=locked, defaults={"inspector": actor})
        inspection.inspector = actor
        inspection.draft = {str(item_id): answer.as_draft() for item_id, answer in answers.items()}
        inspection.note = note
        if latitude is not None and longitude is not None:
            inspection.latitude, inspection.longitude = latitude, longitude
        inspection.save()
        if locked.status == RoundPoint.Status.PENDING:
            locked.status = RoundPoint.Status.DRAFT
            locked.save(update_fields=["status"])
    return inspection


def check_answers(items: list[CheckItem], answers: dict[int, Answer]) -> tuple[dict[int, str], dict]:
    """What is wrong with each item's answer (item id → Chinese text), and the outcome of each
    right one (item id → rules.Outcome). Writes nothing."""
    errors, outcomes = {}, {}
    for item in items:
        answer = answers.get(item.pk)
        if answer is None or (not answer.verdict and answer.met is None and answer.rate in ("", None)
                              and answer.count in ("", None)):
            errors[item.pk] = "未填写"
            continue
        if answer.verdict == "na" and not answer.note.strip():
            errors[item.pk] = "选择“不适用”须填写说明"
            continue
        if len(answer.note) > 1000:
            errors[item.pk] = "说明最长1000字"
            continue
        if answer.conditions_error(item):
            errors[item.pk] = answer.conditions_error(item)
            continue
        try:
            outcomes[item.pk] = item.evaluate(answer.as_rule_answer())
        except rules.RuleError as error:
            errors[item.pk] = str(error)
    return errors, outcomes


def answers_refused(items: list[CheckItem], errors: dict[int, list[str]]) -> InspectionError:
    """The refusal of a form whose items have these errors: one message naming each item by its
    code ("以下检查项有误：WHZ01 选择“不适用”须填写说明；…"), and the errors per item (keyed by the
    item's id as text) for the form to show at each item."""
    codes = {item.pk: item.code for item in items}
    ordered = [(item.pk, errors[item.pk]) for item in items if item.pk in errors]
    return InspectionError("以下检查项有误：" + "；".join(f"{codes[pk]} {text}" for pk, texts in ordered
                                                    for text in texts),
                           field="items", errors={str(pk): texts for pk, texts in ordered})


SUBMIT_KEY_MAX = 64


def _submit_key(actor, submit_key: str) -> str | None:
    """The stored key: the account and the form's key — never cut (two long keys sharing a prefix
    would otherwise be taken for one submission); a key over the limit is refused."""
    if not submit_key:
        return None
    if len(submit_key) > SUBMIT_KEY_MAX:
        raise InspectionError(f"提交标识过长（最多{SUBMIT_KEY_MAX}个字符），请刷新页面后重试")
    return f"{actor.pk}:{submit_key}"


def submitted_with(actor, submit_key: str) -> Inspection | None:
    """The inspection ``actor`` already submitted with ``submit_key`` (the form's key, sent again
    by a retried upload), or None — what :func:`inspection_submit` would return unchanged."""
    if not submit_key or len(submit_key) > SUBMIT_KEY_MAX:
        return None   # no such key was ever stored (inspection_submit refuses it)
    key = _submit_key(actor, submit_key)
    return Inspection.objects.filter(submit_key=key).select_related("round_point").first() if key else None


def inspection_submit(*, actor, round_point: RoundPoint, answers: dict[int, Answer], note: str = "",
                      latitude=None, longitude=None, submit_key: str,
                      items: list[CheckItem] | None = None) -> tuple[Inspection, bool]:
    """Score every applicable item and finish the point. The same ``submit_key`` again returns the
    first submission and changes nothing (a retried upload); returns (inspection, created).
    ``items`` are the point's items as :func:`items_for` gave them, when the caller has just read
    them (the form does, to read the answers): they are not read again."""
    _require_inspector(actor, round_point)
    key = _submit_key(actor, submit_key)
    if not key:
        raise InspectionError("缺少提交标识，请刷新页面后重试")
    existing = submitted_with(actor, submit_key)
    if existing is not None:
        return existing, False
    _check_open(round_point)
    items = items_for(round_point) if items is None else items
    if not items and round_point.round.kind == RoundKind.RECHECK:
        raise InspectionError("该点位的问题已不再等待复查，没有需要测评的检查项")
    if not items:
        raise InspectionError("该点位没有需要测评的检查项")
    errors, outcomes = check_answers(items, answers)
    if errors:
        raise answers_refused(items, {pk: [text] for pk, text in errors.items()})
    try:
        with transaction.atomic():
            locked = RoundPoint.objects.select_for_update().select_related("round", "point").get(pk=round_point.pk)
            if locked.status == RoundPoint.Status.DONE:
                # a retried upload that waited for the lock while its first submission finished
                existing = Inspection.objects.filter(submit_key=key, round_point=locked).first()
                if existing is not None:
                    return existing, False
                raise InspectionError("该点位已提交测评结果")
            _check_open(locked)
            inspection, _ = Inspection.objects.get_or_create(round_point=locked, defaults={"inspector": actor})
            inspection.round_point = locked  # the point as scored below, for the caller
            inspection.inspector = actor
            inspection.status, inspection.submitted_at, inspection.submit_key = (
                Inspection.Status.SUBMITTED, timezone.now(), key)
            inspection.note, inspection.draft = note, {}
            if latitude is not None and longitude is not None:
                inspection.latitude, inspection.longitude = latitude, longitude
            inspection.save()
            results = ItemResult.objects.bulk_create([
                ItemResult(inspection=inspection, item=item, verdict=answers[item.pk].verdict,
                           answer=answers[item.pk].as_rule_answer(), label=outcomes[item.pk].label,
                           note=answers[item.pk].note.strip(), applicable=outcomes[item.pk].applicable,
                           earned=outcomes[item.pk].earned, possible=outcomes[item.pk].possible,
                           failed=outcomes[item.pk].failed)
                for item in items])
            results = {row.item_id: row for row in ItemResult.objects.filter(inspection=inspection)}
            through = ItemResult.photos.through
            through.objects.bulk_create([through(itemresult_id=results[item.pk].pk, photo_id=photo.pk)
                                         for item in items for photo in answers[item.pk].photos])
            # a failed 一票否决 item caps the point's score and its earned points with it, so
            # unit scores (means of point scores) and the 得分率 (earned / possible) agree
            total = rules.point_total(outcomes[item.pk] for item in items)
            earned, possible = total.earned, total.possible
            locked.earned, locked.possible, locked.score = earned, possible, total.score
            locked.failed_items = sum(1 for item in items if outcomes[item.pk].failed)
            locked.status, locked.done_at = RoundPoint.Status.DONE, inspection.submitted_at
            locked.save(update_fields=["earned", "possible", "score", "failed_items", "status", "done_at"])
            InspectionRound.objects.filter(pk=locked.round_id).update(earned=F("earned") + earned,
                                                                      possible=F("possible") + possible)
            audit.record("inspections.submit", actor=actor, target=f"RoundPoint#{locked.pk}", unit=locked.unit,
                         detail={"round": locked.round_id, "point": locked.point.code, "score": str(locked.score),
                                 "failed": locked.failed_items,
                                 **({"veto_cap": str(total.veto_cap)} if total.veto_cap is not None else {})})
            if locked.round.kind == RoundKind.RECHECK:
                _apply_recheck(actor, locked, inspection)
            elif locked.round.kind != RoundKind.UNANNOUNCED:
                raise_problems(inspection)
    except IntegrityError:
        existing = Inspection.objects.filter(submit_key=key).first()
        if existing is not None:
            return existing, False
        raise
    return inspection, True


