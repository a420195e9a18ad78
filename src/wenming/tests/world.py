"""A small city with data in every state, built through the product's services, for the whole-product
access tests (test_route_matrix.py, test_crawl.py). It lives in the persona organisation of
src/wenming/conftest.py:

    city 测试市 ── 甲区 (district A) ── 甲一街道 (street A1) ── 甲一社区 ── 甲一社区第1网格
              │                     └─ 甲二街道 (street A2)
              ├── 乙区 (district B) ── 乙一街道 (street B1; the district-A leader is its patron)
              │                     └─ 乙二街道 (street B2, added here)
              └── 市城管局

What it holds (the names are the keys of :class:`World`):

* standards: ``system`` (active, the small YAML system of the standards tests) and ``draft``
  (a copy, hidden from everyone but the city office);
* points: ``point_a1`` (WHZ, responsible street A1, lying in community A1), ``point_grid`` (TST,
  community A1, lying in the grid) and ``point_b`` (WHZ, district B's, lying in street B2), with a
  photo on ``point_a1``;
* rounds: ``round_a`` (owned by district A, published, ``point_a1`` inspected with a failure that
  raised a problem), ``round_b`` (owned by district B, open, ``rp_b`` not yet inspected) and
  ``round_draft`` (the city's, not sampled) and ``round_secret`` (district A's 暗访, open, given to its
  督查组 ``team_a``, ``point_a1`` done); ``rp_a1`` / ``rp_grid`` / ``rp_b`` / ``rp_secret`` round points;
* problems, one per state: ``p_reported`` (a citizen's, in community A1, nobody assigned),
  ``p_pending`` (accepted, 待交办), ``p_assigned`` (street A1, with a return request pending),
  ``p_rectifying`` (street A1, overdue: it carries the 督办单 ``notice``), ``p_submitted`` and
  ``p_closed`` (street A1, the inspector named 复核人), ``p_rejected``, ``p_merged``, ``p_grid``
  (reported by the grid worker in his grid), ``p_moved`` (overdue at street A1 — ``notice_moved`` —
  then reassigned to street A2), ``p_recurred`` (the 反弹 of ``p_closed``), ``p_raised`` (from round A's
  failed item) and ``p_b`` (district B, overdue: ``notice_b`` from the city);
* photos: ``photo_a1`` (before-photo of ``p_rectifying``), ``photo_b`` (of ``p_b``),
  ``photo_public`` (the after-photo of the closed problem, shown on 结单公示);
* organisation: ``team_city`` (the
  city's leading group, street A1 its unit, one member), ``team_a`` (district A's 督查组 with the
  inspector), ``team_b`` (district B's office), ``team_dept`` (the city department's working group,
  street A1 responsible in it); ``patronage`` (the leader's 包保 of street B1) and district A's 包保 of
  street B1;
* ``job`` (office_city's ledger export, queued), the 整改设置 rows ``sla_rule``, ``routing_rule``,
  ``calendar_override``; ``api_token()`` makes district A's API token when a test asks for it.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Model
from django.utils import timezone
from PIL import Image

from wenming.archives import services as archives
from wenming.bulletins import services as bulletins
from wenming.bulletins.documents import default_template
from wenming.cases.escalation import sweeper
from wenming.cases.intake import services as intake_services
from wenming.cases.ledger import jobs as case_jobs
from wenming.cases.ledger.selectors import LedgerFilter
from wenming.cases.models import Category, Problem, Severity, SlaUnit, SupervisionNotice
from wenming.cases.settings import services as services_settings
from wenming.cases.workflow import services as cases
from wenming.core import services_tokens
from wenming.core.models import Job, Photo
from wenming.core.services_photos import photo_create
from wenming.inspections import services as inspections
from wenming.inspections.models import InspectionRound, ItemResult, RoundPoint
from wenming.org import services as org_services
from wenming.org.models import Patronage, Team, TeamKind
from wenming.places import services as places
from wenming.places.models import Point
from wenming.plans import services as plans
from wenming.plans import services_meetings as plan_meetings
from wenming.plans import services_reports as plan_reports
from wenming.plans.models import Assignment
from wenming.plans.targets import parse_target
from wenming.scoring import services as scoring
from wenming.scoring.models import WarningStep
from wenming.standards import services as standards
from wenming.standards.models import IndexSystem, PointType, SystemStatus
from wenming.standards.tests.test_formats import SMALL


def jpeg(color=(200, 60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class World:
    org: dict
    personas: dict
    system: IndexSystem
    draft: IndexSystem
    point_a1: Point
    point_grid: Point
    point_b: Point
    round_a: InspectionRound
    round_b: InspectionRound
    round_draft: InspectionRound
    round_secret: InspectionRound
    rp_secret: RoundPoint
    rp_a1: RoundPoint
    rp_grid: RoundPoint
    rp_b: RoundPoint
    p_reported: Problem
    p_pending: Problem
    p_assigned: Problem
    p_rectifying: Problem
    p_submitted: Problem
    p_closed: Problem
    p_rejected: Problem
    p_merged: Problem
    p_grid: Problem
    p_moved: Problem
    p_recurred: Problem
    p_b: Problem
    p_raised: Problem
    notice: SupervisionNotice
    notice_moved: SupervisionNotice
    notice_b: SupervisionNotice
    photo_a1: Photo
    photo_b: Photo
    photo_public: Photo
    team_city: Team
    team_a: Team
    team_b: Team
    team_dept: Team
    patronage: Patronage
    job: Job
    sla_rule: object
    routing_rule: object
    calendar_override: object
    scheme: object
    period: object
    step: object
    adjustment: object
    bulletin: object
    bulletin_template: object
    work_plan: object
    stage: object
    task: object              # issued: 甲一街道 responsible, 市城管局 lead
    draft_task: object        # not yet issued
    assignment: object        # 甲一街道's part in ``task``
    report: object            # 甲一街道's progress report on it, with a PDF, waiting for review
    meeting: object           # the city's 调度会, with its minutes as a PDF
    requirement: object       # the city's 创城档案 requirement for 文化站 (WHZ) points: street A1 and district B
    evidence: object          # street A1's material for it, a PDF waiting for review
    questionnaire: object     # the built-in 市民问卷, published by the city office
    campaign: object          # the city's open 入户 campaign (甲一社区 the one community)
    campaign_self: object     # the city's open 扫码自填 campaign
    response: object          # a response to ``campaign`` in 甲一社区, flagged (too fast), waiting for review
    sessions: dict = field(default_factory=dict)  # persona → session key (tests/conftest.py)

    def __getitem__(self, name):
        return getattr(self, name)

    def api_token(self):
        """District A's API token (made by the city office on first use, in the asking test)."""
        from wenming.core.models_tokens import ApiToken

        token = ApiToken.objects.filter(name="12345热线").first()
        if token is None:
            token, _ = services_tokens.token_create(actor=self.personas["office_city"], name="12345热线",
                                                    unit=self.org["district_a"], role="office",
                                                    permissions=["problems.read"])
        return token


def build(org: dict, personas: dict) -> World:
    p = personas
    office, district_office = p["office_city"], p["office_district_a"]

    def fresh(obj):
        obj.refresh_from_db()
        return obj


    # --- the evaluation system ----------------------------------------------------------------------
    _, system = standards.system_import(actor=office, data=SMALL.encode(), filename="体系.yaml")
    system = standards.system_set_status(actor=office, system=system, status=SystemStatus.ACTIVE)
    draft = standards.system_copy(actor=office, system=system, version="2027版")

    # --- points -------------------------------------------------------------------------------------
    def point(code, name, type_code, unit, area, lat="28.680000", lng="115.860000"):
        return places.point_create(actor=office, data=places.PointInput(
            code=code, name=name, point_type=PointType.objects.get(code=type_code), unit=unit, area=area,
            address=f"{name}门口", latitude=Decimal(lat), longitude=Decimal(lng)))

    point_a1 = point("WHZ-A1", "甲一街道文化站", "WHZ", org["street_a1"], org["community_a1"])
    point_grid = point("TST-A1", "甲一社区广场", "TST", org["community_a1"], org["grid_a1"],
                       "28.681000", "115.861000")
    # district B's point lies in a street the district-A leader is not patron of
    org["street_b2"] = org_services.unit_create(actor=office, parent=org["district_b"], name="乙二街道",
                                                kind="street", code="330103002", population=30_000)
    point_b = point("WHZ-B", "乙区文化站", "WHZ", org["district_b"], org["street_b2"], "28.700000", "115.900000")
    point_a1 = places.point_set_photo(actor=office, point=point_a1, data=jpeg((30, 120, 60)), filename="站.jpg")

    # --- organisation extras ------------------------------------------------------------------------
    team_city = org_services.team_create(actor=office, unit=org["city"], name="创建工作领导小组",
                                         kind=TeamKind.LEADING_GROUP)
    org_services.team_member_add(actor=office, team=team_city, person_name="张市长", team_post="leader",
                                 post="市长")
    org_services.team_unit_add(actor=office, team=team_city, unit=org["street_a1"], is_lead=True)
    team_a = org_services.team_create(actor=district_office, unit=org["district_a"], name="甲区第一督查组",
                                      kind=TeamKind.INSPECTION_GROUP)
    org_services.team_member_add(actor=district_office, team=team_a, person_name="孙浩", team_post="leader",
                                 user=p["inspector"])
    team_b = org_services.team_create(actor=office, unit=org["district_b"], name="乙区创建办",
                                      kind=TeamKind.OFFICE)
    patronage = Patronage.objects.get(patron_user=p["leader"], target_unit=org["street_b1"])
    # seen from below: a city department's working group with street A1 among its responsible units, and
    # district A paired (包保) with street B1 of the other district
    team_dept = org_services.team_create(actor=office, unit=org["department"], name="占道经营整治工作组",
                                         kind=TeamKind.WORKING_GROUP)
    org_services.team_unit_add(actor=office, team=team_dept, unit=org["street_a1"])
    org_services.patronage_create(actor=office, target_unit=org["street_b1"], patron_unit=org["district_a"],
                                  kind="baobao", note="结对帮扶")

    # --- 整改设置 ---------------------------------------------------------------------------------------
    category = Category.objects.get(code="0201")
    sla_rule = services_settings.sla_rule_save(actor=office, category=category, severity=Severity.URGENT, limit=2,
                                               limit_unit=SlaUnit.DAYS, warn_hours=4)
    routing_rule = services_settings.routing_rule_save(actor=office, category=Category.objects.get(code="0101"),
                                                       area=org["district_a"], target=org["street_a1"],
                                                       note="暴露垃圾由街道处理")
    calendar_override = services_settings.calendar_override_save(actor=office, day=datetime.date(2030, 10, 1),
                                                                 is_workday=False, note="国庆")

    # --- problems, one per state --------------------------------------------------------------------
    def report(actor, area, title, address, photos=()):
        problem, _ = intake_services.problem_report(actor=p[actor], intake=intake_services.Intake(
            title=title, category=category, area=org[area], address=address, description=f"{title}，请处理"),
            photos=photos)
        return problem

    def photo(actor, unit, color):
        return photo_create(actor=p[actor], data=jpeg(color), filename="现场.jpg", unit=org[unit])

    def assign(problem, unit="street_a1", **extra):
        return cases.problem_assign(actor=district_office, problem=problem, unit=org[unit], **extra)

    def sign(problem):
        return cases.problem_sign(actor=p["handler_street_a1"], problem=problem)

    p_reported = report("citizen", "community_a1", "小区门口占道经营", "甲一社区东门")
    p_pending = cases.problem_accept(
        actor=district_office, problem=report("office_district_a", "street_a1", "路口流动摊贩", "甲一街道北路口"))
    p_assigned = assign(report("office_district_a", "street_a1", "人行道堆放杂物", "甲一街道人民路1号"))
    p_assigned = cases.problem_request_return(actor=p["handler_street_a1"], problem=p_assigned,
                                              reason="该路段属甲二街道管辖")
    photo_a1 = photo("office_district_a", "street_a1", (200, 60, 40))
    p_rectifying = sign(assign(report("office_district_a", "street_a1", "人行道占道经营", "甲一街道人民路88号",
                                      photos=[photo_a1]),
                               deadline=timezone.now() + timedelta(hours=2)))
    p_submitted = sign(assign(report("office_district_a", "street_a1", "店外经营", "甲一街道人民路20号"),
                              verifier=p["inspector"]))
    p_submitted = cases.problem_submit(actor=p["handler_street_a1"], problem=p_submitted,
                                       photos=[photo("handler_street_a1", "street_a1", (60, 160, 60))],
                                       note="已清理")
    photo_public = photo("handler_street_a1", "street_a1", (60, 60, 200))
    p_closed = sign(assign(report("office_district_a", "street_a1", "占道洗车", "甲一街道人民路30号",
                                  photos=[photo("office_district_a", "street_a1", (150, 40, 40))]),
                           verifier=p["inspector"]))
    p_closed = cases.problem_submit(actor=p["handler_street_a1"], problem=p_closed, photos=[photo_public],
                                    note="已取缔")
    p_closed = cases.problem_verify_pass(actor=p["inspector"], problem=p_closed, note="整改到位")
    p_rejected = cases.problem_reject(actor=district_office,
                                      problem=report("citizen", "community_a1", "邻居噪音", "甲一社区3栋"),
                                      reason="不属于创建问题")
    p_merged = cases.problem_merge(actor=district_office,
                                   problem=report("citizen", "community_a1", "小区门口有人摆摊", "甲一社区东门外"),
                                   keep=p_reported)
    p_grid = report("grid_worker", "grid_a1", "网格内占道经营", "甲一社区第1网格2号楼")
    # assigned to street A1 (its handler is told), overdue (a 督办单 to street A1), then given to street
    # A2: the notice stays street A1's, the problem is no longer
    p_moved = assign(report("office_district_a", "street_a1", "两街交界处占道", "甲一街道与甲二街道交界"),
                     deadline=p_rectifying.deadline)
    photo_b = photo("office_city", "district_b", (90, 90, 90))
    p_b = cases.problem_assign(
        actor=office, problem=report("office_city", "district_b", "乙区占道经营", "乙区中山路1号", photos=[photo_b]),
        unit=org["district_b"], deadline=p_rectifying.deadline)
    # overdue: the sweeper issues district A's 督办单 to street A1 (twice) and the city's to district B
    sweeper.sweep(now=p_rectifying.deadline + timedelta(minutes=1))
    notice = SupervisionNotice.objects.get(problem=p_rectifying)
    notice_moved = SupervisionNotice.objects.get(problem=p_moved)
    notice_b = SupervisionNotice.objects.get(problem=p_b)
    p_moved = cases.problem_reassign(actor=district_office, problem=fresh(p_moved), unit=org["street_a2"])
    # the closed problem is back (反弹): a new problem, assigned to street A1 again
    p_recurred = cases.problem_recur(actor=p["inspector"], problem=fresh(p_closed),
                                     note="同一地点再次出现占道洗车")

    # --- rounds -------------------------------------------------------------------------------------
    def new_round(actor, owner, title, **extra):
        return inspections.round_create(
            actor=p[actor], title=title, kind="weekly", system=system, owner=org[owner], scope_units=[org[owner]],
            period_start=datetime.date(2026, 11, 16), period_end=datetime.date(2026, 11, 22), **extra)

    round_a = new_round("office_district_a", "district_a", "甲区第47周测评")
    inspections.round_sample(actor=district_office, round_=round_a)
    inspections.round_assign(actor=district_office, round_=round_a, inspectors=[p["inspector"]])
    inspections.round_open(actor=district_office, round_=round_a)
    rp_a1 = RoundPoint.objects.select_related("round", "point").get(round=round_a, point=point_a1)
    items = {item.code: item for item in inspections.items_for(rp_a1)}
    inspections.inspection_submit(actor=p["inspector"], round_point=rp_a1, submit_key="world-a1", answers={
        items["WHZ05"].pk: inspections.Answer(verdict="fail", note="有吸烟现象"),
        items["WHZ01"].pk: inspections.Answer(verdict="pass"),
        items["WHZ09"].pk: inspections.Answer(conditions=[1, 2])})
    inspections.round_close(actor=district_office, round_=round_a)
    round_a = inspections.round_publish(actor=district_office, round_=round_a)
    rp_grid = RoundPoint.objects.get(round=round_a, point=point_grid)
    failed = ItemResult.objects.get(inspection__round_point=rp_a1, failed=True)
    p_raised = Problem.objects.get(pk=failed.problem_id)  # the problem raised by the failed item

    round_b = new_round("office_city", "district_b", "乙区第47周测评")
    inspections.round_sample(actor=office, round_=round_b)
    inspections.round_assign(actor=office, round_=round_b, inspectors=[p["inspector"]])
    round_b = inspections.round_open(actor=office, round_=round_b)
    rp_b = RoundPoint.objects.get(round=round_b, point=point_b)
    round_draft = new_round("office_city", "city", "全市第48周测评")
    # district A's 暗访, open, given to its 督查组 (the inspector is a member): the point of street A1 done
    round_secret = inspections.round_create(
        actor=district_office, title="甲区暗访", kind="unannounced", system=system, owner=org["district_a"],
        scope_units=[org["street_a1"]], period_start=datetime.date(2026, 11, 23),
        period_end=datetime.date(2026, 11, 29))
    inspections.round_sample(actor=district_office, round_=round_secret)
    inspections.round_assign(actor=district_office, round_=round_secret, teams=[team_a])
    round_secret = inspections.round_open(actor=district_office, round_=round_secret)
    rp_secret = RoundPoint.objects.select_related("round", "point").get(round=round_secret, point=point_a1)
    inspections.inspection_submit(actor=p["inspector"], round_point=rp_secret, submit_key="world-secret", answers={
        items["WHZ05"].pk: inspections.Answer(verdict="pass"),
        items["WHZ01"].pk: inspections.Answer(verdict="partial"),
        items["WHZ09"].pk: inspections.Answer(conditions=[1, 2, 3])})

    # --- assessment: the city's streets, November closed; a 约谈 proposed for street A1 ------------------
    adjustment = scoring.adjustment_add(actor=office, unit=org["community_a1"], kind="exposure",
                                        occurred_on=datetime.date(2026, 11, 12), title="市电视台曝光占道经营",
                                        points="2")
    scheme = scoring.scheme_create(actor=office, owner=org["city"], root=org["city"], unit_kind="street",
                                   activate=True)
    period = scoring.period_close(actor=office, scheme=scheme, kind="month", day=datetime.date(2026, 11, 15))
    bulletin = bulletins.bulletin_create(actor=office, kind="monthly", issuer=org["city"], period=period)
    bulletin_template = bulletins.template_upload(actor=office, issuer=org["city"], data=default_template(),
                                                  filename="市创建办版式.docx")
    step = WarningStep.objects.create(period=period, unit=org["street_a1"], level=1, step="约谈",
                                      reason="连续2期列入黄牌榜", proposed_at=timezone.now())

    # --- a work plan: task 1 issued to street A1 (市城管局 leads), task 2 still a draft -----------------------
    work_plan = plans.plan_create(actor=office, owner=org["city"], title="2026年创文工作方案", year=2026)
    stage = plans.stage_save(actor=office, plan=work_plan, name="整改提高", start=datetime.date(2026, 3, 1),
                             end=datetime.date(2026, 12, 31))
    task = plans.task_save(actor=office, plan=work_plan, item=plans.TaskInput(
        seq=1, content="主次干道路灯全部亮灯", standard="每周巡查", person="张三", deadline=datetime.date(2026, 12, 20),
        target=parse_target("主干道亮灯率=100%"), leads=[org["department"]], responsible=[org["street_a1"]]))
    plans.plan_issue(actor=office, plan=work_plan, sms=False)
    draft_task = plans.task_save(actor=office, plan=work_plan, item=plans.TaskInput(
        seq=2, content="社区办公用房达标", responsible=[org["street_a1"]]))
    assignment = Assignment.objects.select_related("task__stage", "unit").get(task=task, unit=org["street_a1"])
    report = plan_reports.report_submit(actor=p["handler_street_a1"], assignment=assignment, percent=50,
                                        narrative="已修复路灯12盏", files=[(b"%PDF-1.4\n%%EOF\n", "维修记录.pdf")])
    meeting = plan_meetings.meeting_save(actor=office, owner=org["city"], kind="dispatch", title="全市创文调度会",
                                         held_on=datetime.date(2026, 11, 20), files=[(b"%PDF-1.4\n%%EOF\n", "纪要.pdf")])

    # --- the 创城档案: a requirement of the city's, street A1's material for it ---------------------------
    requirement = archives.requirement_create(actor=office, system=system, owner=org["city"], data=archives.RequirementInput(
        code="WHZ-R1", title="文化站活动记录", material_type="record", indicator=system.indicators.order_by("pk").first(),
        point_types=[PointType.objects.get(code="WHZ")], min_count=2))
    evidence = archives.evidence_upload(actor=p["handler_street_a1"], requirement=requirement, unit=org["street_a1"],
                                        year=2026, title="文化站活动记录", files=[(b"%PDF-1.4\n%%EOF\n", "活动记录.pdf")])

    # --- 问卷调查: the built-in questionnaire, an 入户 and a 扫码自填 campaign, a flagged response -------------
    from wenming.surveys import services as surveys

    questionnaire = surveys.questionnaire_publish(actor=office, questionnaire=surveys.builtin_install(
        actor=office, owner=org["city"]))
    campaigns = []
    for mode in ("interview", "self"):
        made = surveys.campaign_create(actor=office, owner=org["city"], item=surveys.CampaignInput(
            title=f"群众满意度调查（{mode}）", scope=org["city"], questionnaire=questionnaire, mode=mode,
            starts_on=datetime.date(2026, 11, 1), ends_on=datetime.date(2026, 12, 31)))
        campaigns.append(surveys.campaign_open(actor=office, campaign=made))
    campaign, campaign_self = campaigns
    started = timezone.now() - datetime.timedelta(seconds=10)
    response = surveys.response_submit(
        campaign_unit=campaign.units.select_related("campaign", "unit").get(), client_key="world-1",
        answers={"1": "A", "3": "A", "4": True, "5": 5}, started_at=started, submitted_at=timezone.now(),
        surveyor=p["handler_street_a1"]).response

    # --- a job ---------------------------------------------------------------------------------------
    job = case_jobs.request_export(actor=office, f=LedgerFilter(), params={})

    values = {name: value for name, value in locals().items() if name in World.__dataclass_fields__}
    for value in values.values():
        if isinstance(value, Model):
            value.refresh_from_db()  # as the services left them
    return World(**values)
