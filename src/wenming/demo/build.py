"""Build the demo city: the orchestrator behind ``wenming demo``.

Each generator fills one part of the product (the organisation today; points, problems,
inspections … as those apps arrive) and returns what the next ones need. Add a generator by
calling it from :func:`build_demo` after the ones it depends on, and add its tables to
:data:`RESET_STEPS` before the tables they point to.
"""

from __future__ import annotations

import sys
import time
import unicodedata
from dataclasses import dataclass, field

from django.contrib.sessions.models import Session
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Q

from wenming.cases.metrics import daily
from wenming.core import audit
from wenming.org.models import (
    DocCodeClaim,
    Membership,
    Patronage,
    Team,
    TeamMember,
    TeamUnit,
    Unit,
    UnitKind,
    User,
)

from .cases import CasesResult, build_cases
from .inspections import (
    CITY_INSPECTIONS,
    EarlierTally,
    InspectionsResult,
    build_city_inspections,
    build_inspections,
    earlier_round_stories,
)
from .org import PERSONA_USERNAMES, SCALES, DemoOrg, Progress, Sizes, build_org
from .places import PlacesResult, build_points
from .scoring import ScoringResult, build_scoring


class DemoError(CommandError):
    """The demo cannot be built; the message (Chinese) says why and what to do."""


@dataclass
class DemoResult:
    org: DemoOrg
    seconds: float
    cases: CasesResult | None = None
    places: PlacesResult | None = None
    inspections: InspectionsResult | None = None
    scoring: ScoringResult | None = None
    timings: dict[str, float] = field(default_factory=dict)
    plans: object | None = None          # demo.plans.PlansResult
    surveys: object | None = None        # demo.surveys.SurveysResult
    archives: object | None = None       # demo.archives.ArchivesResult


class TqdmProgress(Progress):
    """Progress bars on the terminal (stderr, so stdout stays a clean report)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr

    def bar(self, label: str, total: int):
        from tqdm import tqdm

        return tqdm(total=total, desc=label, unit="条", file=self.stream, leave=False, dynamic_ncols=True,
                    disable=None)  # None: shown on a terminal only


# --- reset -----------------------------------------------------------------------------------------

def _problem_tables() -> list[type]:
    """Every model whose rows belong to problems: those pointing at Problem, then those pointing at
    them (the timeline's photo links, …), found through the model graph so that tables added
    later are cleared too. Problem itself comes last."""
    from wenming.cases.models import Problem

    found: list[type] = []
    todo = [Problem]
    while todo:
        model = todo.pop()
        # reverse relations, the hidden ones too (related_name="+", e.g. Notification.problem)
        for rel in model._meta.get_fields(include_hidden=True):
            if not (rel.is_relation and rel.auto_created and not rel.concrete):
                continue
            related = rel.related_model
            if related is Problem or related in found:
                continue
            found.append(related)
            todo.append(related)
        for m2m in model._meta.many_to_many:
            through = m2m.remote_field.through
            if through not in found:
                found.append(through)
    return [*reversed(found), Problem]


def _reset_cases() -> None:
    """Problems and everything hanging on them (timeline, requests, photos links, 督办单/督办函,
    notifications, outbound messages, the code counters). Plain DELETEs, table by table: a
    million problems with their timelines would not fit the ORM's cascade collector. The
    foreign keys are deferred, so the order inside the transaction does not matter."""
    from django.db import connection

    from wenming.cases import timeline
    from wenming.cases.models import NoticeCounter, ProblemCounter
    from wenming.core.models import OutboundMessage, Photo

    photo_ids = set()
    tables = _problem_tables()
    for model in tables:  # photos attached to problems or their timeline
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is Photo:
                photo_ids.update(model.objects.values_list(f.attname, flat=True))
    quote = connection.ops.quote_name
    # the timeline is append-only: its guards are lifted for this purge, and a new chain starts
    with timeline.purging("演示数据重建（wenming demo --reset）"), connection.cursor() as cursor:
        for model in [*tables, NoticeCounter, ProblemCounter, OutboundMessage]:
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")
    daily.invalidate()
    # the photos themselves, with their files; also those of units and accounts about to go
    people = Membership.objects.values("user_id")
    photos = Photo.objects.filter(Q(pk__in=photo_ids) | Q(unit__isnull=False) | Q(uploaded_by__in=people)
                                  | Q(uploaded_by__username__in=PERSONA_USERNAMES))
    files = [(p.image, p.thumbnail) for p in photos.only("image", "thumbnail")]
    photos.delete()
    for pair in files:
        for field_file in pair:
            if field_file.name:
                field_file.storage.delete(field_file.name)


def _reset_points_and_inspections() -> None:
    """Inspection rounds with their samples, inspections and item results, then the points. Plain
    DELETEs (the city scale has millions of item results); their photos go with the units'."""
    from django.apps import apps
    from django.db import connection

    models = [*apps.get_app_config("inspections").get_models(), *apps.get_app_config("places").get_models()]
    tables = [m2m.remote_field.through._meta.db_table for model in models for m2m in model._meta.many_to_many]
    tables += [model._meta.db_table for model in models]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {quote(table)}")


def _reset_scoring() -> None:
    """Schemes and everything made under them (periods, scores, 黄牌 steps, 加减分事项, 奖惩台账), and the
    bulletins published from them (their files with them)."""
    from wenming.bulletins.models import Bulletin, BulletinCounter, BulletinTemplate
    from wenming.scoring.models import Adjustment, Component, LedgerEntry, Period, PeriodScore, Scheme, WarningStep

    for bulletin in Bulletin.objects.exclude(docx="", pdf=""):
        for stored in (bulletin.docx, bulletin.pdf):
            if stored:
                stored.delete(save=False)
    Bulletin.recipients.through.objects.all().delete()
    Bulletin.objects.all().delete()
    BulletinCounter.objects.all().delete()
    for template in BulletinTemplate.objects.all():
        template.file.delete(save=False)
    BulletinTemplate.objects.all().delete()
    LedgerEntry.objects.all().delete()
    WarningStep.objects.all().delete()
    PeriodScore.objects.all().delete()
    Period.objects.all().delete()
    Adjustment.photos.through.objects.all().delete()
    Adjustment.objects.all().delete()
    Component.objects.all().delete()
    Scheme.objects.update(previous=None)  # a version PROTECTs the one it replaced
    Scheme.objects.all().delete()


def _reset_org() -> None:
    Patronage.objects.all().delete()
    TeamUnit.objects.all().delete()
    TeamMember.objects.all().delete()
    Team.objects.update(parent=None)  # subteams PROTECT their parent
    Team.objects.all().delete()
    # the accounts that belong to the organisation, and any holding a persona's name; other
    # accounts (a superuser made with createsuperuser, without any role) are kept
    User.objects.filter(Q(pk__in=Membership.objects.values("user_id")) | Q(username__in=PERSONA_USERNAMES)).delete()
    Membership.objects.all().delete()
    DocCodeClaim.objects.all().delete()  # the 机关代字 used on the 督办文书 deleted above
    Unit.objects.update(parent=None)  # children PROTECT their parent
    Unit.objects.all().delete()


def _reset_sessions() -> None:
    """Their users are gone; lockouts of the old accounts would block the new ones."""
    Session.objects.all().delete()
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


# in order: rows that point to others go first. The audit log is never touched: it is append-only
# (on PostgreSQL a trigger refuses deletes) and references users and units by plain ids.
def _reset_archives() -> None:
    """The 创城档案: requirements, materials (their files), reminders."""
    from wenming.archives.models import EvidenceFile, Requirement

    for name in set(EvidenceFile.objects.values_list("file", flat=True)):
        EvidenceFile._meta.get_field("file").storage.delete(name)
    Requirement.objects.all().delete()   # materials, their files' rows and reminders with them


def _reset_surveys() -> None:
    """Questionnaires, campaigns, households, responses and their tallies."""
    from wenming.surveys.models import Campaign, Household, Questionnaire

    Campaign.objects.all().delete()      # their communities, responses and tallies with them
    Questionnaire.objects.all().delete()
    Household.objects.all().delete()


def _reset_plans() -> None:
    """Work plans, their tasks, reports and meetings, with the files uploaded to them."""
    from wenming.cases.models import SupervisionNotice
    from wenming.plans.models import Meeting, MeetingFile, ReportFile, WorkPlan

    SupervisionNotice.objects.filter(task__isnull=False).delete()   # the 督办 of overdue tasks (plans.escalation)
    for stored in list(ReportFile.objects.all()) + list(MeetingFile.objects.all()):
        if stored.file:
            stored.file.delete(save=False)
    WorkPlan.objects.all().delete()   # stages, tasks, assignments, reports and their files with them
    Meeting.objects.all().delete()


RESET_STEPS = [
    ("创城档案", _reset_archives),
    ("问卷调查", _reset_surveys),
    ("工作方案、任务、进度报告与会议", _reset_plans),
    ("考核方案、考核期、奖惩台账与通报", _reset_scoring),
    ("问题、整改记录、督办文书与通知", _reset_cases),
    ("督查测评与点位", _reset_points_and_inspections),
    ("组织机构与账号", _reset_org),
    ("会话与登录锁定", _reset_sessions),
]


def reset_demo_data(*, out=None) -> None:
    with transaction.atomic():
        for label, step in RESET_STEPS:
            step()
            if out:
                out(f"  已清除：{label}")


# --- build -----------------------------------------------------------------------------------------

def build_demo(*, scale: str = "small", seed: int = 2026, stdout=None, reset: bool = False,
               sizes: Sizes | None = None, progress: Progress | None = None,
               problems: int | None = None, inspections: int | None = None, scoring: bool = True,
               scoring_communities: bool = False, plans: bool = True) -> DemoResult:
    """Build the demo city into the database. Refuses when units exist, unless ``reset`` — then the
    problems and the organisation (units, teams, 包保, accounts) are deleted first. ``stdout``
    (anything with ``write``) receives progress lines in Chinese. ``problems`` overrides the
    city scale's 1,000,000 problems; 0 builds no problems at either scale (the organisation only).
    ``inspections`` likewise overrides the city scale's 300,000 inspections; 0 builds no rounds.
    With problems and inspections, the city office's assessment follows (``demo/scoring.py``):
    ``scoring`` False leaves it out, and at small scale the earlier weeks' rounds that feed it (a
    quicker build, for tests of other parts); at city scale only the streets' scheme is closed
    (52 weeks and 12 months, about three minutes) unless ``scoring_communities`` (the communities'
    twelve district schemes add about six minutes more)."""
    inspections_count = inspections

    def out(line: str) -> None:
        if stdout is not None:
            stdout.write(line + ("" if line.endswith("\n") else "\n"))

    if scale not in SCALES:
        raise DemoError(f"规模“{scale}”无效，应为：small（小型演示）或 city（城市规模）")
    existing = Unit.objects.count()
    if existing and not reset:
        raise DemoError(
            f"数据库中已有 {existing} 个单位，为避免覆盖现有数据，未生成演示城市。"
            "如确需删除现有的问题、单位、机构、包保关系和账号并重建演示城市，请加 --reset 参数（审计日志会保留）。")
    if not existing and not reset:
        taken = list(User.objects.filter(username__in=PERSONA_USERNAMES).values_list("username", flat=True))
        if taken:
            raise DemoError(f"用户名 {'、'.join(sorted(taken))} 已被现有账号使用，演示账号需要这些用户名；"
                            "请先改名，或加 --reset 参数删除这些账号。")

    timings: dict[str, float] = {}
    started = time.perf_counter()
    if reset:
        out("正在清除现有演示数据……")
        reset_demo_data(out=out)
        timings["reset"] = time.perf_counter() - started

    label = "城市规模" if scale == "city" else "小型"
    out(f"正在生成{label}演示城市（随机种子 {seed}）……")
    mark = time.perf_counter()
    with transaction.atomic():
        org = build_org(scale=scale, seed=seed, progress=progress, sizes=sizes)
    timings["org"] = time.perf_counter() - mark
    counts = org.counts()
    out(f"  单位：市 {counts.get(UnitKind.CITY, 0)}，区县 {counts.get(UnitKind.DISTRICT, 0)}，"
        f"街道/镇 {counts.get(UnitKind.STREET, 0)}，社区/村 {counts.get(UnitKind.COMMUNITY, 0)}，"
        f"网格 {counts.get(UnitKind.GRID, 0)}，职能部门 {counts.get(UnitKind.DEPARTMENT, 0)}，"
        f"学校 {counts.get(UnitKind.SCHOOL, 0)}，企业 {counts.get(UnitKind.ENTERPRISE, 0)}")
    out(f"  账号：{org.account_count} 个（工作人员 {org.staff_count} 个）；机构 {len(org.teams)} 个；"
        f"包保关系 {org.patronage_count} 条")

    # later generators go here, each in its own transaction (or batches of them)
    mark = time.perf_counter()
    with transaction.atomic():
        places = build_points(org, seed=seed, progress=progress)
    timings["points"] = time.perf_counter() - mark
    out(places.summary())

    mark = time.perf_counter()
    cases = None
    earlier = None
    if problems == 0:
        out("  （未生成问题）")
    elif scale == "city":
        count = 1_000_000 if problems is None else problems
        out(f"正在生成 {count:,} 个问题及其时间线（三年，分批写入）……")
        cases = build_cases(org, scale=scale, seed=seed, progress=progress, count=count)
    else:
        out("正在生成问题（通过整改流程逐步办理，约需半分钟）……")
        # the weeks before last week's 周测评 are inspected inside the problems' simulation, on its clock
        earlier = EarlierTally() if inspections_count != 0 and scoring else None
        extra = earlier_round_stories(seed, earlier) if earlier is not None else None
        with transaction.atomic():
            cases = build_cases(org, scale=scale, seed=seed, progress=progress, extra=extra)
    if cases is not None:
        # the generators write past days directly: the dashboard's day counts start afresh from them
        daily.invalidate()
        daily.refresh()
    timings["cases"] = time.perf_counter() - mark
    if cases is not None:
        out(cases.summary())

    inspections = None
    if scale == "city" and inspections_count != 0:
        count = CITY_INSPECTIONS if inspections_count is None else inspections_count
        out(f"正在生成 {count:,} 次实地测评及其检查项结果（每周一轮，分批写入）……")
        mark = time.perf_counter()
        inspections = build_city_inspections(org, seed=seed, progress=progress, count=count)
        timings["inspections"] = time.perf_counter() - mark
        out(inspections.summary())
    elif problems != 0 and inspections_count != 0 and scale == "small":
        out("正在生成督查测评（抽样、实地测评、计分，测评发现的问题进入整改流程）……")
        mark = time.perf_counter()
        inspections = build_inspections(org, seed=seed, earlier=earlier)
        timings["inspections"] = time.perf_counter() - mark
        out(inspections.summary())

    # ``plans`` False leaves out the work plan and the 创城档案 (a quicker build, for tests of other parts);
    # the plan comes before the assessment (its tasks feed 任务完成), the archive after it (it links bulletins)
    with_plans, plans, archives = plans, None, None
    if with_plans and scale == "small" and problems != 0:
        from .plans import build_plans

        out("正在建立年度工作方案（导入任务分解表、下发、各单位报送进度、会议议定事项）……")
        mark = time.perf_counter()
        with transaction.atomic():
            plans = build_plans(org, seed=seed)
        timings["plans"] = time.perf_counter() - mark
        out(plans.summary())
    elif with_plans and scale == "city" and problems != 0:
        from .plans import CITY_TASKS, build_city_plans

        out(f"正在建立工作方案（{CITY_TASKS:,} 项任务）……")
        mark = time.perf_counter()
        with transaction.atomic():
            tasks = build_city_plans(org, seed=seed)
        timings["plans"] = time.perf_counter() - mark
        out(f"  工作方案：任务 {tasks:,} 项")

    # the surveys before the assessment too: last month's closed 入户调查 counts in 问卷调查
    surveys = None
    if with_plans and scale == "small" and problems != 0:
        from .inspections import lagging_street_path
        from .surveys import build_surveys

        out("正在开展问卷调查（上月入户调查、本月扫码自填、调查员模拟培训）……")
        mark = time.perf_counter()
        with transaction.atomic():
            surveys = build_surveys(org, seed=seed, lagging_path=lagging_street_path())
        timings["surveys"] = time.perf_counter() - mark
        out(surveys.summary())
    elif with_plans and scale == "city" and problems != 0:
        from .surveys import CITY_RESPONSES, build_city_surveys

        out(f"正在生成问卷调查（{CITY_RESPONSES:,} 份答卷）……")
        mark = time.perf_counter()
        _, written = build_city_surveys(org, seed=seed)
        timings["surveys"] = time.perf_counter() - mark
        out(f"  问卷调查：全市入户调查答卷 {written:,} 份")

    assessment = None
    if inspections is not None and scoring:
        if scale == "city":
            out("正在关闭一年的考核期（每周、每月，按考核方案逐期计分）……")
            weeks, months = 52, 12
        else:
            out("正在建立考核方案并关闭考核期（近4周、近2个月）……")
            weeks, months = 4, 2
        mark = time.perf_counter()
        with transaction.atomic():
            assessment = build_scoring(org, weeks=weeks, months=months, progress=progress,
                                       communities=scoring_communities or scale != "city")
        timings["scoring"] = time.perf_counter() - mark
        out(assessment.summary())

    if with_plans and scale == "small" and problems != 0:
        from .archives import build_archives
        from .inspections import lagging_street_path

        out("正在建立创城档案（材料要求、各单位上传和审核材料、平台自动归集）……")
        mark = time.perf_counter()
        with transaction.atomic():
            archives = build_archives(org, seed=seed, lagging_path=lagging_street_path())
        timings["archives"] = time.perf_counter() - mark
        out(archives.summary())
    elif with_plans and scale == "city" and problems != 0:
        from .archives import CITY_EVIDENCE, build_city_archives

        out(f"正在建立创城档案（{CITY_EVIDENCE:,} 份材料）……")
        mark = time.perf_counter()
        with transaction.atomic():
            evidence = build_city_archives(org, seed=seed)
        timings["archives"] = time.perf_counter() - mark
        out(f"  创城档案：材料 {evidence:,} 份")

    seconds = time.perf_counter() - started
    audit.record("demo.build", target=org.city, unit=org.city, username="cli",
                 detail={"scale": scale, "seed": seed, "reset": reset, "units": sum(counts.values()),
                         "accounts": org.account_count, "problems": cases.problems if cases else 0,
                         "points": places.points, "seconds": round(seconds, 1)})
    out(f"完成，用时 {seconds:.1f} 秒。")
    return DemoResult(org=org, seconds=seconds, timings=timings, cases=cases, places=places,
                      inspections=inspections, scoring=assessment, plans=plans, archives=archives,
                      surveys=surveys)


# --- the login help printed at the end -------------------------------------------------------------

def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def login_help(org: DemoOrg, *, url: str = "http://127.0.0.1:8000/login/") -> str:
    """How to log in, and a table of the persona accounts (Chinese, aligned for a terminal)."""
    header = ["用户名", "角色", "单位", "姓名", "职务", "密码"]
    rows = [[p.username, p.role_label, p.unit.name, p.user.full_name, p.user.post, org.password]
            for p in org.personas.values()]
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "",
        "登录方法：运行 wenming serve 启动服务后，用浏览器打开 " + url,
        f"以下演示账号的密码均为 {org.password}（首次登录无需修改）：",
        "",
        "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(header)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    if org.account_count > len(org.personas):
        lines += ["", f"另有 {org.account_count - len(org.personas)} 个账号（各单位经办人、区领导、创建办、督查员、网格员等），"
                      f"密码相同，可在“账号管理”中查看。"]
    lines.append("")
    return "\n".join(lines)
