"""Demo inspection rounds, through the real services: last week's 周测评 (published), a 暗访
(finished, not yet published), this week's 周测评 (under way) and a street's 自查 (published).
Answers are drawn so that most items pass, some are 基本符合, a few fail and raise problems —
the mix cities report (得分率 around 85–90 %)."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from wenming.inspections import services
from wenming.inspections.models import RoundKind, RoundPoint, SampleMode
from wenming.org.models import Membership, Role
from wenming.places.models import Point
from wenming.standards.services import load_builtin

from .org import DemoOrg

FAIL_NOTES = {
    "0101": ["路边绿化带内有暴露垃圾", "垃圾桶满溢未及时清运", "背街处堆有生活垃圾"],
    "0102": ["楼道拐角卫生死角未清理", "公厕内地面污渍明显"],
    "0103": ["电线杆上有小广告", "宣传栏被乱贴"],
    "0201": ["门口有出店经营", "早市摊贩占道"],
    "0301": ["电动车乱停放堵塞通道", "机动车停在人行道上"],
    "0302": ["消防通道被杂物堵塞", "消防通道停有车辆"],
    "0601": ["公益广告褪色破损", "未见讲文明树新风公益广告"],
    "0701": ["室内发现烟头", "无烟区有人吸烟", "未张贴禁烟标识"],
    "0801": ["窗口人员未佩戴工作牌", "服务指南未公开"],
}
GENERIC_NOTES = ["现场检查不达标，需整改", "资料不全，未见相关记录", "设施损坏未修复"]
NA_NOTE = "该点位无此设施，不适用"


@dataclass
class InspectionsResult:
    rounds: int
    inspections: int
    problems: int

    def summary(self) -> str:
        return f"  督查测评：{self.rounds} 个轮次，{self.inspections} 次实地测评，测评发现问题 {self.problems} 个"


def _answer(item, generator: random.Random, quality: float) -> services.Answer:
    """An answer to ``item`` from an inspector at a point of the given quality (0–1)."""
    roll = generator.random()
    if roll < 0.03:
        return services.Answer(verdict="na", note=NA_NOTE)
    notes = FAIL_NOTES.get(item.category_code, GENERIC_NOTES)
    bad = roll > quality
    if item.rule_kind == "verdict":
        shares = item.params["shares"]
        if not bad:
            return services.Answer(verdict="pass")
        if "partial" in shares and generator.random() < 0.6:
            return services.Answer(verdict="partial", note="部分达标")
        return services.Answer(verdict="fail", note=generator.choice(notes))
    if item.rule_kind == "grade":
        if item.params["by"] == "conditions":
            total = len(item.params["conditions"])
            met = total if not bad else generator.randint(max(0, total - 2), total - 1)
            return services.Answer(met=met, note="" if met == total else "部分条件未满足")
        top = item.params["grades"][0]["min"]
        rate = top + generator.uniform(0, 100 - top) if not bad else generator.uniform(top * 0.5, top)
        return services.Answer(rate=f"{min(rate, 100):.1f}", note="" if not bad else "比例未达标")
    count = 0 if not bad else generator.randint(1, 3)
    return services.Answer(count=str(count), note="" if not count else generator.choice(notes))


def _inspect(round_, generator: random.Random, share_done: float = 1.0) -> int:
    done = 0
    rows = list(RoundPoint.objects.filter(round=round_).select_related("round", "point", "inspector").order_by("id"))
    for row in rows:
        if generator.random() > share_done:
            continue
        quality = generator.uniform(0.86, 0.99)
        items = services.items_for(row)
        answers = {item.pk: _answer(item, generator, quality) for item in items}
        if generator.random() < 0.15:
            services.inspection_save_draft(actor=row.inspector, round_point=row, answers=answers, note="")
        services.inspection_submit(actor=row.inspector, round_point=row, answers=answers,
                                   note=generator.choice(["", "", "天气晴", "雨天，部分室外项目复看"]),
                                   latitude=row.point.latitude, longitude=row.point.longitude,
                                   submit_key=f"demo-{row.pk}")
        done += 1
    return done


def _follow_up(round_, generator: random.Random) -> None:
    """Last week's problems a week on: most signed, many rectified, some verified and 销号."""
    from wenming.cases import services as case_services
    from wenming.cases.models import Problem, State
    from wenming.core.services_photos import photo_create

    from .cases import demo_jpeg

    problems = list(Problem.objects.filter(item_results__inspection__round_point__round=round_, state=State.ASSIGNED)
                    .select_related("unit").distinct().order_by("id"))
    handlers = {}
    for membership in (Membership.objects.filter(unit_id__in={p.unit_id for p in problems}, role=Role.HANDLER,
                                                 is_active=True).select_related("user").order_by("id")):
        handlers.setdefault(membership.unit_id, membership.user)
    for problem in problems:
        handler = handlers.get(problem.unit_id)
        roll = generator.random()
        if handler is None or roll < 0.2:
            continue
        problem = case_services.problem_sign(actor=handler, problem=problem)
        if roll < 0.4:
            continue
        photo = photo_create(actor=handler, data=demo_jpeg(generator, before=False), filename="after.jpg",
                             unit=problem.unit)
        problem = case_services.problem_submit(actor=handler, problem=problem, photos=[photo],
                                               note=generator.choice(["已清理完毕", "已整改到位", "已督促商户整改，现场已恢复"]))
        if roll < 0.55:
            continue
        case_services.problem_verify_pass(actor=round_.created_by, problem=problem, note="照片复核通过")


def build_inspections(org: DemoOrg, *, seed: int) -> InspectionsResult:
    """Needs the demo org and its points (``demo/places.py``)."""
    from wenming.cases.models import Problem

    generator = random.Random(seed + 4)
    system = load_builtin()
    if not Point.objects.exists():
        return InspectionsResult(0, 0, 0)
    office = org.personas["office_city"].user
    inspectors = list(org.city.memberships.filter(role=Role.INSPECTOR, is_active=True, user__is_active=True)
                      .select_related("user").order_by("user__username").values_list("user", flat=True))
    from wenming.org.models import User

    inspectors = list(User.objects.filter(pk__in=inspectors).order_by("username")) or [org.personas["inspector"].user]
    problems_before = Problem.objects.count()
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    week = int(today.strftime("%V"))
    rounds, inspections = 0, 0

    def plan(title, kind, start, *, owner=None, scope=None, actor=None, mode=SampleMode.STRATIFIED, sizes=None,
             who=None):
        nonlocal rounds
        round_ = services.round_create(
            actor=actor or office, title=title, kind=kind, system=system, owner=owner or org.city,
            scope_units=scope or [org.city], period_start=start, period_end=start + datetime.timedelta(days=6),
            sample_mode=mode, sample_sizes=sizes or {}, sample_seed=seed + rounds,
            weights={"SQ": 2, "NM": 2, "ZGD": 1.5})
        services.round_sample(actor=actor or office, round_=round_)
        services.round_assign(actor=actor or office, round_=round_, inspectors=who or inspectors)
        services.round_open(actor=actor or office, round_=round_)
        rounds += 1
        return round_

    sizes = {code: 1 for code in ("SQ", "XQ", "NM", "WHZ", "WHZX", "CS", "GY", "ZGD", "SYJ", "BJ", "YY", "ZW", "GD",
                                  "JD", "CK", "XX", "CZ", "GJ", "CZC")}
    with transaction.atomic():
        last = plan(f"第{week - 1}周测评", RoundKind.WEEKLY, monday - datetime.timedelta(days=7), sizes=sizes)
        inspections += _inspect(last, generator)
        services.round_close(actor=office, round_=last)
        services.round_publish(actor=office, round_=last)
        _follow_up(last, generator)
    with transaction.atomic():
        secret = plan(f"{today.month}月暗访", RoundKind.UNANNOUNCED, monday - datetime.timedelta(days=5),
                      scope=org.districts[:1], sizes={"NM": 2, "ZGD": 2, "SYJ": 2, "YY": 1, "CS": 2})
        inspections += _inspect(secret, generator)
        services.round_close(actor=office, round_=secret)
    with transaction.atomic():
        current = plan(f"第{week}周测评", RoundKind.WEEKLY, monday, sizes=sizes)
        inspections += _inspect(current, generator, share_done=0.5)
    street = org.streets[0]
    handler = (Membership.objects.filter(unit=street, role=Role.HANDLER, is_active=True).select_related("user")
               .order_by("id").first())
    if handler is not None:
        with transaction.atomic():
            own = plan(f"{street.name}第{week - 1}周自查", RoundKind.SELF_CHECK, monday - datetime.timedelta(days=7),
                       owner=street, scope=[street], actor=handler.user, mode=SampleMode.ALL, who=[handler.user])
            inspections += _inspect(own, generator)
            services.round_close(actor=handler.user, round_=own)
            services.round_publish(actor=handler.user, round_=own)
    return InspectionsResult(rounds, inspections, Problem.objects.count() - problems_before)
