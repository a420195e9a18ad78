"""The 创城档案 through its pages: requirements derived from the index system, a street's materials uploaded,
refused when they are not documents, reviewed by the district office (退回 with a reason, 合格), who may do what."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from wenming.archives import derive, services
from wenming.archives.models import Evidence, EvidenceFile, EvidenceStatus, Requirement
from wenming.cases.models import Notification
from wenming.core.models import AuditEvent
from wenming.standards.models import CheckItem, Method

from .conftest import jpeg, pdf

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def post_upload(client, requirement, unit, files, title="2026年精神文明创建活动记录", year=2026):
    return client.post(f"/archives/requirements/{requirement.pk}/upload/", {
        "unit": unit.pk, "year": year, "title": title, "happened_on": "2026-05-20", "note": "",
        "files": [SimpleUploadedFile(name, data) for name, data in files]}, follow=True)


def test_the_office_derives_the_requirements_from_the_index_system(login, org, system, points):
    items = CheckItem.objects.filter(system=system, method=Method.DOCUMENT)
    expected = sum(len(derive.derive(i.code, i.short_name, i.content, i.rule_text)) for i in items)
    assert items.count() == 19 and expected == 46
    assert login("handler_street_a1").post("/archives/derive/").status_code == 403
    office = login("office_city")
    response = office.post("/archives/derive/", follow=True)
    assert f"从19个材料审核检查项生成材料要求{expected}项" in text(response)
    assert Requirement.objects.count() == expected
    psych = Requirement.objects.get(code="SQ12G-2")
    assert (psych.material_type, psych.min_count, psych.years, psych.period_text) == ("record", 8, 2, "近2年度")
    assert sorted(t.code for t in psych.point_types.all()) == ["CZC", "SQ"]

    # the office edits one; deriving again keeps it and adds nothing
    response = office.post(f"/archives/requirements/{psych.pk}/edit/", {
        "title": "心理健康教育活动记录", "material_type": "record", "description": "近两年不少于8次",
        "min_count": "6", "years": "2", "due_date": "2026-12-20", "point_types": [t.pk for t in psych.point_types.all()],
        "auto_sources": ["report"], "is_active": "on"})
    assert response.status_code == 302
    response = office.post("/archives/derive/", follow=True)
    assert f"生成材料要求0项，已有的{expected}项保持不变" in text(response)
    psych.refresh_from_db()
    assert (psych.title, psych.min_count, psych.auto_sources) == ("心理健康教育活动记录", 6, ["report"])
    # bad input is refused in Chinese and changes nothing
    response = office.post(f"/archives/requirements/{psych.pk}/edit/", {
        "title": "", "material_type": "x", "min_count": "0", "years": "11"})
    assert response.status_code == 200
    page = text(response)
    assert "请选择一个有效的选项" in page or "选择一个有效的选项" in page
    psych.refresh_from_db()
    assert psych.min_count == 6
    # the street's handler sees the requirements that apply to his unit on the front page, not the office's overview
    page = text(login("handler_street_a1").get("/archives/?year=2026"))
    assert "本单位的档案材料" in page and "JD01-1" in page and "SQ12G-2" not in page
    assert "各项材料完成情况" not in page


def test_a_street_uploads_the_district_returns_and_then_passes_it(login, org, personas, requirements):
    record = requirements["JD01-2"]
    handler = login("handler_street_a1")
    first = pdf(marker="一")
    response = post_upload(handler, record, org["street_a1"], [("活动记录.pdf", first), ("现场.jpg", jpeg())])
    assert "等待上级创建办审核" in text(response)
    evidence = Evidence.objects.get()
    assert (evidence.status, evidence.unit, evidence.year, evidence.files.count()) == (
        EvidenceStatus.SUBMITTED, org["street_a1"], 2026, 2)
    # the nearest office above the street (the district's) is told; the city office is not
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"office_district_a"}
    # the same file again for the same requirement and unit is refused
    response = post_upload(handler, record, org["street_a1"], [("副本.pdf", first)], title="重复")
    assert "文件“活动记录.pdf”已在材料“2026年精神文明创建活动记录”中上传过，无需重复上传" in text(response)
    assert Evidence.objects.count() == 1

    # the street cannot pass its own material; the district office returns it — a reason is required
    assert handler.post(f"/archives/evidence/{evidence.pk}/accept/").status_code == 403
    district = login("office_district_a")
    response = district.post(f"/archives/evidence/{evidence.pk}/return/", {"note": ""}, follow=True)
    assert "退回请填写理由" in text(response)
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.SUBMITTED
    district.post(f"/archives/evidence/{evidence.pk}/return/", {"note": "缺少邻居节活动照片"})
    evidence.refresh_from_db()
    assert (evidence.status, evidence.review_note, evidence.reviewed_by) == (
        EvidenceStatus.RETURNED, "缺少邻居节活动照片", personas["office_district_a"])
    assert Notification.objects.filter(user=personas["handler_street_a1"], title__contains="缺少邻居节活动照片").exists()
    page = text(handler.get(f"/archives/requirements/{record.pk}/?unit={org['street_a1'].pk}&year=2026"))
    assert "退回" in page and "缺少邻居节活动照片" in page

    # uploaded again (a returned file may come back), passed by the district: the cell is complete
    post_upload(handler, record, org["street_a1"], [("活动记录.pdf", first), ("邻居节.jpg", jpeg((10, 200, 10)))],
                title="活动记录（补充照片）")
    again = Evidence.objects.get(status=EvidenceStatus.SUBMITTED)
    # the same bytes are stored once
    assert EvidenceFile.objects.filter(sha256=EvidenceFile.objects.filter(evidence=again).first().sha256).count() == 2
    assert len({f.file.name for f in EvidenceFile.objects.filter(filename="活动记录.pdf")}) == 1
    response = district.post(f"/archives/evidence/{again.pk}/accept/", {"note": ""}, follow=True)
    assert "已审核合格" in text(response)
    assert "齐全" in text(handler.get(f"/archives/requirements/{record.pk}/?unit={org['street_a1'].pk}&year=2026"))
    # a passed material cannot be withdrawn; the returned one can
    response = handler.post(f"/archives/evidence/{again.pk}/withdraw/", follow=True)
    assert "已审核合格的材料不能撤回" in text(response)
    handler.post(f"/archives/evidence/{evidence.pk}/withdraw/")
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    actions = list(AuditEvent.objects.filter(action__startswith="archives.evidence").values_list("action", flat=True))
    assert actions.count("archives.evidence_upload") == 2 and actions.count("archives.evidence_review") == 2
    assert "archives.evidence_withdraw" in actions


def test_uploads_that_are_not_documents_are_refused_in_chinese(login, org, requirements):
    record = requirements["JD01-2"]
    handler = login("handler_street_a1")
    response = post_upload(handler, record, org["street_a1"], [("活动记录.pdf", b"MZ\x90\x00" + b"\x00" * 200)])
    assert "文件“活动记录.pdf”的内容是Windows 程序，不是文档或图片，已拒绝" in text(response)
    response = post_upload(handler, record, org["street_a1"], [("照片.jpg", pdf())])
    assert "的内容与扩展名 .jpg 不符" in text(response)
    response = post_upload(handler, record, org["street_a1"], [("脚本.sh", b"#!/bin/sh\nrm -rf /\n")])
    assert "不是文档或图片，已拒绝" in text(response)
    with override_settings(WENMING_UPLOAD_MAX_BYTES=1024 * 1024):
        response = post_upload(handler, record, org["street_a1"], [("扫描件.pdf", pdf() + b"0" * (1024 * 1024))])
    assert "材料文件“扫描件.pdf”超过1MB，请压缩或拆分后上传" in text(response)
    response = post_upload(handler, record, org["street_a1"], [])
    assert "请选择要上传的文件" in text(response) or "这个字段是必填项" in text(response)
    assert not Evidence.objects.exists() and not EvidenceFile.objects.exists()


def test_who_may_see_upload_and_download(login, org, personas, requirements):
    record = requirements["JD01-2"]
    evidence = services.evidence_upload(actor=personas["handler_street_a1"], requirement=record,
                                        unit=org["street_a1"], year=2026, title="活动记录",
                                        files=[(pdf(), "记录.pdf")])
    stored = evidence.files.get()
    # the street's own handler and the offices above download it, as an attachment that is never rendered
    for name in ("handler_street_a1", "office_district_a", "office_city", "leader"):
        response = login(name).get(f"/archives/files/{stored.pk}/")
        assert response.status_code == 200, name
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
    # another street's handler, an inspector, a citizen: not found / refused
    assert login("handler_street_a2").get(f"/archives/files/{stored.pk}/").status_code == 404
    assert login("inspector").get(f"/archives/files/{stored.pk}/").status_code == 404
    assert login("citizen").get("/archives/").status_code == 403
    assert login("inspector").get("/archives/").status_code == 403
    # a handler uploads only for his own unit
    response = post_upload(login("handler_street_a2"), record, org["street_a1"], [("x.pdf", pdf(marker="x"))])
    assert "请选择本单位或所辖单位" in text(response)
    assert Evidence.objects.count() == 1
    # nor for a requirement that does not apply to his unit (a 社区 requirement for a street), even through the service
    from wenming.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="材料要求“SQ12G-2”不适用于甲一街道"):
        services.evidence_upload(actor=personas["handler_street_a1"], requirement=requirements["SQ12G-2"],
                                 unit=org["street_a1"], year=2026, title="x", files=[(pdf(marker="y"), "y.pdf")])
    # a handler cannot open the matrix, the readiness report, the review queue or start a package
    handler = login("handler_street_a1")
    for url in ("/archives/matrix/", "/archives/readiness/", "/archives/waiting/", "/archives/matrix/export/"):
        assert handler.get(url).status_code == 403, url
    assert handler.post("/archives/package/").status_code == 403
    assert handler.post("/archives/collect/").status_code == 403
    assert login("leader").post("/archives/package/").status_code == 403
    # the district office reviews its streets' materials but not the city's; the waiting list shows its own
    waiting = text(login("office_district_a").get("/archives/waiting/"))
    assert "活动记录" in waiting and "甲一街道" in waiting
    # the city office, above the district, may review it too (an office strictly above the unit)
    assert "活动记录" in text(login("office_city").get("/archives/waiting/"))
