"""Every file the product hands out is audited: one ``export.download`` line with what it was and
how many data rows it holds (photos excepted: they are served one by one to those who see them)."""

import datetime
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from wenming.core.models import AuditEvent, Job, JobStatus


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def data(personas, org):
    from wenming.cases.intake.services import Intake, problem_report
    from wenming.cases.models import Category, NoticeKind, Problem, SupervisionNotice
    from wenming.places.models import Point
    from wenming.standards.models import PointType
    from wenming.standards.services import load_builtin

    for code, unit in (("SQ-A1", org["community_a1"]), ("WHZ-A1", org["street_a1"]), ("NM-B1", org["street_b1"])):
        Point.objects.create(code=code, name=f"点位{code}", point_type=PointType.objects.get(code=code.split("-")[0]),
                             unit=unit, area=unit, address="门口")
    system = load_builtin()
    problem, _ = problem_report(actor=personas["inspector"], intake=Intake(
        title="人行道占道经营", category=Category.objects.get(code="0201"), area=org["street_a1"],
        address="人民路88号", description="水果摊"))
    now = timezone.now()
    notice = SupervisionNotice.objects.create(
        problem=Problem.objects.get(pk=problem.pk), kind=NoticeKind.NOTICE, issuer=org["district_a"], year=now.year,
        seq=1, number=f"督办〔{now.year}〕第1号", unit=org["street_a1"], deadline=now + timedelta(days=3),
        issued_at=now, body="请于期限内整改完毕。")
    job = Job.objects.create(owner=personas["office_city"], kind="cases.ledger_export", title="问题台账导出（全部）",
                             status=JobStatus.DONE, progress_done=42, result_name="问题台账.xlsx",
                             result_content_type="application/octet-stream",
                             expires_at=now + timedelta(hours=1))
    job.result_file.save("ledger.xlsx", ContentFile(b"PK fake workbook"))
    from wenming.scoring import services as scoring

    scheme = scoring.scheme_create(actor=personas["office_city"], owner=org["city"], root=org["city"],
                                   unit_kind="street", activate=True)
    period = scoring.period_close(actor=personas["office_city"], scheme=scheme, kind="month",
                                  day=datetime.date(2026, 11, 15))
    from wenming.bulletins import services as bulletins
    from wenming.bulletins.documents import default_template

    template = bulletins.template_upload(actor=personas["office_city"], issuer=org["city"], data=default_template(),
                                         filename="市版式.docx")
    from wenming.surveys import services as surveys

    questionnaire = surveys.questionnaire_publish(actor=personas["office_city"], questionnaire=surveys.builtin_install(
        actor=personas["office_city"], owner=org["city"]))
    campaign = surveys.campaign_create(actor=personas["office_city"], owner=org["city"], item=surveys.CampaignInput(
        title="群众满意度调查", scope=org["city"], questionnaire=questionnaire, mode="interview",
        starts_on=datetime.date(2026, 11, 1), ends_on=datetime.date(2026, 12, 31)))
    from wenming.plans import services as plans

    plan = plans.plan_create(actor=personas["office_city"], owner=org["city"], title="创文方案", year=2026)
    for seq in (1, 2):
        plans.task_save(actor=personas["office_city"], plan=plan, item=plans.TaskInput(
            seq=seq, content=f"任务{seq}", responsible=[org["street_a1"]]))
    return {"system": system, "notice": notice, "job": job, "items": system.items.count(), "period": period,
            "template": template, "plan": plan, "questionnaire": questionnaire, "campaign": campaign}


# url name, url, persona, what, rows (a number, or a key of `data`), extra detail expected
DOWNLOADS = [
    ("places:export", lambda d: reverse("places:export"), "office_district_a", "点位", 2, {"format": "xlsx"}),
    ("places:export", lambda d: reverse("places:export") + "?format=csv&type=NM", "office_city", "点位", 1,
     {"format": "csv", "type": "NM"}),
    ("places:import_template", lambda d: reverse("places:import_template"), "office_city", "点位导入模板", 2, {}),
    ("org:export", lambda d: reverse("org:export"), "office_district_a", "单位", 5, {"format": "xlsx"}),
    ("org:export", lambda d: reverse("org:export") + f"?format=csv&root={d['street_a1'].pk}", "office_city", "单位", 3,
     {"format": "csv"}),
    ("org:import_template", lambda d: reverse("org:import_template"), "office_city", "单位导入模板", 2, {}),
    ("org:boundary_export", lambda d: reverse("org:boundary_export"), "office_district_a", "单位边界", 0,
     {"format": "geojson"}),
    ("standards:export_xlsx", lambda d: reverse("standards:export_xlsx", args=[d["system"].pk]), "inspector",
     "测评体系", "items", {"format": "xlsx"}),
    ("standards:export_yaml", lambda d: reverse("standards:export_yaml", args=[d["system"].pk]), "inspector",
     "测评体系", "items", {"format": "yaml"}),
    ("standards:template", lambda d: reverse("standards:template"), "office_city", "测评体系导入模板", 7, {}),
    ("cases:import_template", lambda d: reverse("cases:import_template"), "office_city", "问题导入模板", 2, {}),
    ("cases:metrics_export", lambda d: reverse("cases:metrics_export") + f"?unit={d['district_a'].code}",
     "office_district_a", "整改指标", 3, {"format": "xlsx"}),
    ("cases:notice_docx", lambda d: reverse("cases:notice_docx", args=[d["notice"].pk]), "office_district_a",
     "督办文书", 1, {"format": "docx"}),
    ("dashboard:export", lambda d: reverse("dashboard:export", args=["today_units"]), "office_district_a",
     "领导驾驶舱：今日态势（按单位）", 3, {"format": "xlsx", "table": "today_units"}),
    ("scoring:period_export", lambda d: reverse("scoring:period_export", args=[d["period"].pk]),
     "office_district_a", "考核排名", 2, {"version": 1}),
    ("bulletins:template_default", lambda d: reverse("bulletins:template_default"), "office_district_a",
     "通报默认模板", 0, {}),
    ("bulletins:template_file", lambda d: reverse("bulletins:template_file", args=[d["template"].pk]), "office_city",
     "通报模板", 0, {"filename": "市版式.docx"}),
    ("plans:export", lambda d: reverse("plans:export", args=[d["plan"].pk]), "office_city", "任务分解表", 2,
     {"format": "xlsx"}),
    ("plans:import_template", lambda d: reverse("plans:import_template"), "office_district_a", "任务分解表模板", 3, {}),
    ("plans:matrix_export", lambda d: reverse("plans:matrix_export", args=[d["plan"].pk]), "office_city",
     "任务推进矩阵", 0, {"format": "xlsx"}),
    ("plans:meetings_export", lambda d: reverse("plans:meetings_export"), "office_city", "会议台账", 0,
     {"format": "xlsx"}),
    ("archives:matrix_export", lambda d: reverse("archives:matrix_export") + "?year=2026", "office_city",
     "档案完整度矩阵", 0, {"format": "xlsx", "year": 2026}),
    ("surveys:questionnaire_export", lambda d: reverse("surveys:questionnaire_export", args=[d["questionnaire"].pk,
     "xlsx"]), "office_city", "问卷", 7, {"format": "xlsx"}),
    ("surveys:results_export", lambda d: reverse("surveys:results_export", args=[d["campaign"].pk]), "office_city",
     "问卷调查结果", 2, {"format": "xlsx"}),
    ("job_download", lambda d: reverse("job_download", args=[d["job"].pk]), "office_city", "问题台账导出（全部）", 42,
     {"kind": "cases.ledger_export"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name,url,persona,what,rows,extra", DOWNLOADS, ids=[f"{d[0]}-{d[2]}" for d in DOWNLOADS])
def test_download_is_audited(login, org, data, name, url, persona, what, rows, extra):
    before = AuditEvent.objects.filter(action="export.download").count()
    response = login(persona).get(url({**data, **org}))
    assert response.status_code == 200
    assert "attachment" in response.get("Content-Disposition", "")
    events = list(AuditEvent.objects.filter(action="export.download").order_by("id"))
    assert len(events) == before + 1
    event = events[-1]
    assert event.actor_username == persona and event.result == "success"
    expected_rows = data[rows] if isinstance(rows, str) else rows
    assert event.detail["what"] == what and event.detail["rows"] == expected_rows
    assert {key: event.detail.get(key) for key in extra} == extra


def _url_names(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_download_route_is_in_the_table():
    files = {name for name in _url_names() if any(word in name for word in ("export", "template", "download", "docx"))}
    files -= {"cases:export"}  # queues the ledger export as a background job: its file is the job download
    # the bulletin templates' page and its switches hand out no file
    files -= {"bulletins:templates", "bulletins:template_activate", "bulletins:template_reset"}
    assert files == {row[0] for row in DOWNLOADS}
