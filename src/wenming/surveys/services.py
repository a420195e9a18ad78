"""Writes of 问卷调查: questionnaires imported (YAML or Excel, or the built-in one), versioned and published;
campaigns set up with their communities' quotas and self-fill tokens, opened and closed; responses received
(idempotent by the phone's key, checked against the questionnaire's rules, flagged for quality) and reviewed;
the surveyors whose answers differ strongly from their peers' flagged. Each checks surveys.policy, runs in one
transaction and writes an audit event. The tallies the rates are read from change with the responses, in the
same transaction, under the lock of the community's row."""

from __future__ import annotations

import datetime
import math
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from wenming.core import access, audit
from wenming.core.errors import Conflict, NotFound, ValidationFailed
from wenming.org.models import Unit, UnitKind

from . import definition, policy, quotas
from .models import (
    Campaign,
    CampaignMode,
    CampaignStatus,
    CampaignUnit,
    Flag,
    Household,
    OptionTally,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    QuotaRule,
    Rate,
    Response,
    ResponseStatus,
    Tally,
)

BUILTIN = Path(__file__).parent / "builtin" / "questionnaire.yaml"
TITLE_MAX = 100
MAX_QUOTA_TOTAL = 1_000_000
MAX_QUOTA_FIXED = 10_000
MAX_DAYS = 366
KEY_MAX = 64
# a closed campaign's figures are final (the assessment reads them): reopening it is an audited act
CLOSED_FINAL = "调查已结束，结果已定；如需复核答卷，请先重新开始调查"
OUTLIER_MIN = 20       # a surveyor is compared with the others once he has this many counted responses …
OUTLIER_Z = 3.0        # … and flagged when one of his rates is this many standard errors from theirs
                       # (at least three surveyors with that many: with two, nothing tells which one is off)


# --- questionnaires -------------------------------------------------------------------------------------

def questionnaire_import(*, actor, owner: Unit, data: definition.SurveyData) -> Questionnaire:
    """A draft from checked ``data``: a new questionnaire, or the next version of the owner's one with the
    same code."""
    if not policy.may_manage_questionnaires(actor, owner):
        access.refuse_forbidden(actor, "surveys.questionnaire_import", target=owner, unit=owner)
    errors: list = []
    definition.check(data, errors)
    if errors:
        raise ValidationFailed("；".join(str(e) for e in errors[:10]))
    with transaction.atomic():
        latest = (Questionnaire.objects.select_for_update().filter(owner=owner, code=data.code)
                  .order_by("-version").first())
        if latest is not None and latest.status == QuestionnaireStatus.DRAFT:
            raise Conflict(f"问卷{data.code}的第{latest.version}版尚未发布，请先发布或删除该草稿再导入新版本")
        questionnaire = Questionnaire.objects.create(
            owner=owner, owner_path=owner.path, code=data.code, version=(latest.version + 1) if latest else 1,
            title=data.title.strip(), intro=(data.intro or "").strip(), created_by=actor)
        Question.objects.bulk_create([
            Question(questionnaire=questionnaire, seq=q.seq, text=q.text.strip(), kind=q.kind, required=q.required,
                     rate=q.rate, options=q.options, scale=q.scale, positive_min=q.positive_min, show_if=q.show_if)
            for q in data.questions])
        audit.record("surveys.questionnaire_import", actor=actor, target=questionnaire, unit=owner,
                     detail={"code": data.code, "version": questionnaire.version, "questions": len(data.questions)})
    return questionnaire


def builtin_install(*, actor, owner: Unit) -> Questionnaire:
    """The built-in 市民问卷 for ``owner`` (as a draft, or its next version)."""
    data, errors = definition.read_yaml(BUILTIN.read_bytes())
    if errors:  # the shipped file must read: a defect otherwise
        raise RuntimeError("; ".join(str(e) for e in errors))
    return questionnaire_import(actor=actor, owner=owner, data=data)


def questionnaire_publish(*, actor, questionnaire: Questionnaire) -> Questionnaire:
    if not policy.may_edit_questionnaire(actor, questionnaire):
        access.refuse_forbidden(actor, "surveys.questionnaire_publish", target=questionnaire,
                                unit=questionnaire.owner)
    with transaction.atomic():
        locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        if locked.status != QuestionnaireStatus.DRAFT:
            raise Conflict("只有草稿可以发布")
        Questionnaire.objects.filter(owner=locked.owner, code=locked.code, status=QuestionnaireStatus.ACTIVE) \
            .update(status=QuestionnaireStatus.RETIRED, updated_at=timezone.now())
        locked.status = QuestionnaireStatus.ACTIVE
        locked.save(update_fields=["status", "updated_at"])
        audit.record("surveys.questionnaire_publish", actor=actor, target=locked, unit=locked.owner,
                     detail={"code": locked.code, "version": locked.version})
    return locked


def questionnaire_delete(*, actor, questionnaire: Questionnaire) -> None:
    if not policy.may_edit_questionnaire(actor, questionnaire):
        access.refuse_forbidden(actor, "surveys.questionnaire_delete", target=questionnaire,
                                unit=questionnaire.owner)
    with transaction.atomic():
        locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        if locked.status != QuestionnaireStatus.DRAFT:
            raise Conflict("已发布的问卷不能删除（已有调查在使用）")
        audit.record("surveys.questionnaire_delete", actor=actor, target=locked, unit=locked.owner,
                     detail={"code": locked.code, "version": locked.version})
        locked.delete()


# --- campaigns ------------------------------------------------------------------------------------------

@dataclass
class CampaignInput:
    title: str
    scope: Unit | None
    questionnaire: Questionnaire | None
    mode: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    quota_rule: str = QuotaRule.FIXED
    quota_value: int | None = 20
    min_seconds: int | None = 60


def campaign_create(*, actor, owner: Unit, item: CampaignInput) -> Campaign:
    """A campaign over every community under ``item.scope`` (within ``owner``), with each community's
    quota and a token for its self-fill link; households are drawn from a stored seed."""
    if not policy.may_manage_campaigns(actor, owner):
        access.refuse_forbidden(actor, "surveys.campaign_create", target=owner, unit=owner)
    errors: dict[str, str] = {}
    title = (item.title or "").strip()
    if not title or len(title) > TITLE_MAX or "\x00" in title:
        errors["title"] = f"请填写调查名称（不超过{TITLE_MAX}字）"
    scope = item.scope
    if scope is None or not scope.path.startswith(owner.path):
        errors["scope"] = f"调查范围须为{owner.name}或其下属单位"
    q = item.questionnaire
    if q is None or q.status != QuestionnaireStatus.ACTIVE:
        errors["questionnaire"] = "请选择已发布的问卷"
    elif not Questionnaire.objects.filter(policy.questionnaire_filter(actor), pk=q.pk).exists():
        errors["questionnaire"] = "该问卷不可用"
    if item.mode not in CampaignMode.values:
        errors["mode"] = "请选择调查方式"
    if item.starts_on is None or item.ends_on is None:
        errors["ends_on"] = "请填写开始和结束日期"
    elif item.ends_on < item.starts_on:
        errors["ends_on"] = "结束日期不能早于开始日期"
    elif (item.ends_on - item.starts_on).days > MAX_DAYS:
        errors["ends_on"] = f"一次调查最长{MAX_DAYS}天"
    if item.quota_rule not in QuotaRule.values:
        errors["quota_rule"] = "请选择样本分配方式"
    value = item.quota_value
    cap = MAX_QUOTA_TOTAL if item.quota_rule == QuotaRule.POPULATION else MAX_QUOTA_FIXED
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= cap:
        errors["quota_value"] = f"样本量应为1至{cap:,}的整数"
    seconds = item.min_seconds
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= 3600:
        errors["min_seconds"] = "最短答题时长应为0至3600秒"
    communities = []
    if "scope" not in errors:
        communities = list(Unit.objects.filter(path__startswith=scope.path, kind=UnitKind.COMMUNITY, is_active=True)
                           .order_by("path"))
        if not communities:
            errors["scope"] = f"{scope.name}下没有社区"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors=errors)
    allotted = (quotas.by_population(value, [(u.pk, u.population or 0) for u in communities])
                if item.quota_rule == QuotaRule.POPULATION else {u.pk: value for u in communities})
    with transaction.atomic():
        campaign = Campaign.objects.create(
            owner=owner, owner_path=owner.path, scope=scope, scope_path=scope.path, title=title, questionnaire=q,
            mode=item.mode, starts_on=item.starts_on, ends_on=item.ends_on, quota_rule=item.quota_rule,
            quota_value=value, min_seconds=seconds, seed=secrets.randbits(62), created_by=actor)
        CampaignUnit.objects.bulk_create([
            CampaignUnit(campaign=campaign, unit=u, unit_path=u.path, quota=allotted[u.pk],
                         token=secrets.token_urlsafe(12)) for u in communities], batch_size=1000)
        audit.record("surveys.campaign_create", actor=actor, target=campaign, unit=owner,
                     detail={"title": title, "scope": scope.code, "mode": item.mode, "communities": len(communities),
                             "quota": sum(allotted.values()), "questionnaire": f"{q.code}v{q.version}"})
    return campaign


def _campaign_status(actor, campaign: Campaign, to: str, allowed_from: set[str], action: str) -> Campaign:
    if not policy.may_manage_campaign(actor, campaign):
        access.refuse_forbidden(actor, f"surveys.{action}", target=campaign, unit=campaign.owner)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in allowed_from:
            raise Conflict(f"调查当前为“{locked.get_status_display()}”，不能{'开始' if to == CampaignStatus.OPEN else '结束'}")
        locked.status = to
        locked.save(update_fields=["status", "updated_at"])
        audit.record(f"surveys.{action}", actor=actor, target=locked, unit=locked.owner, detail={"status": to})
    return locked


def campaign_open(*, actor, campaign: Campaign) -> Campaign:
    return _campaign_status(actor, campaign, CampaignStatus.OPEN, {CampaignStatus.DRAFT, CampaignStatus.CLOSED},
                            "campaign_open")


def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    return _campaign_status(actor, campaign, CampaignStatus.CLOSED, {CampaignStatus.OPEN}, "campaign_close")


def drawn_households(campaign_unit: CampaignUnit) -> list[Household]:
    """The households to visit in this community, drawn from the campaign's stored seed (the same list
    every time): the quota, plus a reserve of a fifth for households not at home."""
    households = list(Household.objects.filter(unit_id=campaign_unit.unit_id).order_by("code"))
    return quotas.draw(households, campaign_unit.quota, seed=f"{campaign_unit.campaign.seed}:{campaign_unit.unit_id}")


# --- responses ------------------------------------------------------------------------------------------

@dataclass
class Submitted:
    response: Response
    created: bool


def _when(value, label: str, errors: dict) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    errors[label] = f"{'开始' if label == 'started_at' else '提交'}时间格式不正确"
    return None


def response_submit(*, campaign_unit: CampaignUnit, client_key: str, answers, started_at, submitted_at,
                    surveyor=None, device: str = "", respondent: str = "", household_id=None) -> Submitted:
    """Receive one response. The same ``client_key`` again (a phone retrying after a lost answer) returns
    the response already received and changes nothing. ``surveyor``: the logged-in collector (入户); None
    for self-fill, which needs no account. Refused with Chinese messages while the campaign is not open,
    or for answers that do not fit the questionnaire."""
    campaign = campaign_unit.campaign
    if surveyor is not None and not policy.may_collect(surveyor, campaign_unit):
        access.refuse_forbidden(surveyor, "surveys.response_submit", target=campaign, unit=campaign_unit.unit)
    if surveyor is None and campaign.mode == CampaignMode.INTERVIEW:
        raise Conflict("本次调查为入户调查，请由调查员登录后填写")
    key = (client_key or "").strip()
    if not key or len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
        raise ValidationFailed("提交编号无效，请刷新页面后重试", errors={"client_key": "提交编号无效"})
    existing = Response.objects.filter(campaign=campaign, client_key=key).first()
    if existing is not None:
        if existing.unit_id != campaign_unit.unit_id:
            raise Conflict("该提交编号已用于其他社区的答卷")
        return Submitted(existing, False)
    if campaign.status != CampaignStatus.OPEN:
        raise Conflict("本次调查未在进行中，不能提交答卷" if campaign.status == CampaignStatus.DRAFT
                       else "本次调查已结束，不能再提交答卷")
    errors: dict[str, str] = {}
    started = _when(started_at, "started_at", errors)
    finished = _when(submitted_at, "submitted_at", errors)
    now = timezone.now()
    if started and finished:
        if finished < started:
            errors["submitted_at"] = "提交时间不能早于开始时间"
        elif finished > now + datetime.timedelta(minutes=10):
            errors["submitted_at"] = "提交时间晚于当前时间，请检查手机时间"
        elif (finished - started).total_seconds() > 24 * 3600:
            errors["started_at"] = "作答时间超过24小时，请重新作答"
    questions = list(campaign.questionnaire.questions.all())
    try:
        clean = definition.clean_answers(questions, answers)
    except definition.AnswerInvalid as error:
        errors.update(error.errors)
    for name, value in (("device", device), ("respondent", respondent)):
        if not isinstance(value, str) or len(value) > 64 or not value.isascii():
            errors[name] = "设备或受访者标识无效"
    household = None
    if household_id not in (None, ""):
        household = Household.objects.filter(pk=household_id if isinstance(household_id, int) else -1,
                                             unit_id=campaign_unit.unit_id).first()
        if household is None:
            errors["household"] = "该住户不在本社区的住户名单中"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors=errors)
    results = definition.outcomes(questions, clean)
    seconds = int((finished - started).total_seconds())
    try:
        with transaction.atomic():
            CampaignUnit.objects.select_for_update().get(pk=campaign_unit.pk)   # one community at a time
            flags = []
            if seconds < campaign.min_seconds:
                flags.append(Flag.TOO_FAST)
            mine = Response.objects.filter(campaign=campaign).exclude(status=ResponseStatus.EXCLUDED)
            if device and mine.filter(device=device).exists():
                flags.append(Flag.SAME_DEVICE)
            if (respondent and mine.filter(respondent=respondent).exists()) or \
                    (household and mine.filter(household=household).exists()):
                flags.append(Flag.SAME_RESPONDENT)
            response = Response.objects.create(
                campaign=campaign, unit_id=campaign_unit.unit_id, unit_path=campaign_unit.unit_path, client_key=key,
                surveyor=surveyor, household=household, device=device, respondent=respondent, started_at=started,
                submitted_at=finished, seconds=seconds, answers=clean, flags=flags,
                status=ResponseStatus.FLAGGED if flags else ResponseStatus.COUNTED, **results)
            if flags:
                _count_flagged(response, +1)
            else:
                apply(response, questions, +1)
            audit.record("surveys.response_submit", actor=surveyor, target=response, unit=campaign_unit.unit,
                         username="" if surveyor else "扫码自填",
                         detail={"campaign": campaign.pk, "flags": flags, "seconds": seconds})
    except IntegrityError:  # the same key, sent twice at once: the first one won
        existing = Response.objects.filter(campaign=campaign, client_key=key).first()
        if existing is None:
            raise
        return Submitted(existing, False)
    return Submitted(response, True)


def _tally(response: Response) -> Tally:
    tally, _ = Tally.objects.get_or_create(campaign_id=response.campaign_id, unit_id=response.unit_id,
                                           defaults={"unit_path": response.unit_path})
    return tally


def _count_flagged(response: Response, sign: int) -> None:
    tally = _tally(response)
    Tally.objects.filter(pk=tally.pk).update(flagged=F("flagged") + sign)


def apply(response: Response, questions, sign: int) -> None:
    """Add (+1) or take away (−1) a counted response in its community's tallies."""
    tally = _tally(response)
    changes = {"responses": F("responses") + sign}
    for rate in Rate.values:
        outcome = response.outcome(rate)
        if outcome is not None:
            changes[f"answered_{rate}"] = F(f"answered_{rate}") + sign
            if outcome:
                changes[rate] = F(rate) + sign
    Tally.objects.filter(pk=tally.pk).update(**changes)
    for q in questions:
        for option in definition.options_chosen(q, response.answers.get(str(q.seq))):
            row, _ = OptionTally.objects.get_or_create(
                campaign_id=response.campaign_id, unit_id=response.unit_id, seq=q.seq, option=option,
                defaults={"unit_path": response.unit_path})
            OptionTally.objects.filter(pk=row.pk).update(count=F("count") + sign)


def response_review(*, actor, response: Response, count: bool, note: str = "") -> Response:
    """The office decides on a response: counted (有效) or left out (剔除). A flagged one waits for this;
    a counted one may be left out later (a surveyor found unreliable) and brought back."""
    campaign = response.campaign
    if not policy.may_review(actor, campaign):
        access.refuse_forbidden(actor, "surveys.response_review", target=response, unit=response.unit)
    note = (note or "").strip()
    if not count and not note:
        raise ValidationFailed("剔除答卷请填写理由", errors={"note": "剔除答卷请填写理由"})
    if len(note) > 200 or "\x00" in note:
        raise ValidationFailed("复核意见最多200字", errors={"note": "复核意见最多200字"})
    to = ResponseStatus.COUNTED if count else ResponseStatus.EXCLUDED
    questions = list(campaign.questionnaire.questions.all())
    with transaction.atomic():
        CampaignUnit.objects.select_for_update().get(campaign=campaign, unit_id=response.unit_id)
        if Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.CLOSED:
            raise Conflict(CLOSED_FINAL)
        locked = Response.objects.select_for_update().get(pk=response.pk)
        if locked.status == to:
            raise Conflict(f"该答卷已是“{locked.get_status_display()}”")
        if locked.status == ResponseStatus.COUNTED:
            apply(locked, questions, -1)
        elif locked.status == ResponseStatus.FLAGGED:
            _count_flagged(locked, -1)
        if to == ResponseStatus.COUNTED:
            apply(locked, questions, +1)
        before = locked.status
        locked.status, locked.reviewed_by, locked.reviewed_at, locked.review_note = to, actor, timezone.now(), note
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit.record("surveys.response_review", actor=actor, target=locked, unit=locked.unit,
                     detail={"from": before, "to": to, "note": note})
    return locked


def surveyors_check(*, actor, campaign: Campaign) -> list[tuple[int, str]]:
    """Flag the counted responses of each surveyor one of whose rates lies :data:`OUTLIER_Z` standard
    errors or more from the other surveyors' of the same campaign (both with at least :data:`OUTLIER_MIN`
    answers): they wait for review. Returns (surveyor id, the reason) of each surveyor flagged."""
    if not policy.may_review(actor, campaign):
        access.refuse_forbidden(actor, "surveys.surveyors_check", target=campaign, unit=campaign.owner)
    if campaign.status == CampaignStatus.CLOSED:
        raise Conflict(CLOSED_FINAL)
    rows = list(Response.objects.filter(campaign=campaign, status=ResponseStatus.COUNTED, surveyor__isnull=False)
                .values_list("surveyor_id", *Rate.values))
    found: list[tuple[int, str]] = []
    sizes: dict[int, int] = {}
    for r in rows:
        sizes[r[0]] = sizes.get(r[0], 0) + 1
    surveyors = sorted(s for s, n in sizes.items() if n >= OUTLIER_MIN)
    if len(surveyors) < 3:   # with two, each is as far from the other: nothing tells which one is off
        surveyors = []
    for surveyor in surveyors:
        for index, rate in enumerate(Rate.values, start=1):
            own = [r[index] for r in rows if r[0] == surveyor and r[index] is not None]
            rest = [r[index] for r in rows if r[0] != surveyor and r[index] is not None]
            if len(own) < OUTLIER_MIN or len(rest) < OUTLIER_MIN:
                continue
            p1, p2 = sum(own) / len(own), sum(rest) / len(rest)
            pooled = (sum(own) + sum(rest)) / (len(own) + len(rest))
            se = math.sqrt(pooled * (1 - pooled) * (1 / len(own) + 1 / len(rest)))
            if se and abs(p1 - p2) / se >= OUTLIER_Z:
                found.append((surveyor, f"{Rate(rate).label}{100 * p1:.1f}%（{len(own)}份），"
                                        f"其他调查员{100 * p2:.1f}%（{len(rest)}份）"))
                break
    if not found:
        audit.record("surveys.surveyors_check", actor=actor, target=campaign, unit=campaign.owner,
                     detail={"flagged": 0})
        return found
    questions = list(campaign.questionnaire.questions.all())
    with transaction.atomic():
        for unit_id in sorted(set(Response.objects.filter(
                campaign=campaign, status=ResponseStatus.COUNTED, surveyor_id__in=[s for s, _ in found])
                .values_list("unit_id", flat=True))):
            CampaignUnit.objects.select_for_update().get(campaign=campaign, unit_id=unit_id)
        flagged = 0
        for response in Response.objects.select_for_update().filter(
                campaign=campaign, status=ResponseStatus.COUNTED, surveyor_id__in=[s for s, _ in found]):
            apply(response, questions, -1)
            _count_flagged(response, +1)
            response.status = ResponseStatus.FLAGGED
            response.flags = [*response.flags, Flag.SURVEYOR_OUTLIER]
            response.save(update_fields=["status", "flags"])
            flagged += 1
        audit.record("surveys.surveyors_check", actor=actor, target=campaign, unit=campaign.owner,
                     detail={"flagged": flagged, "surveyors": [{"id": s, "reason": r} for s, r in found]})
    return found


def campaign_unit_for_token(token: str) -> CampaignUnit:
    found = (CampaignUnit.objects.select_related("campaign", "campaign__questionnaire", "unit")
             .filter(token=token or "").first())
    if found is None:
        raise NotFound("该问卷链接无效或已失效")
    return found
