"""A 月通报 from draft to issue, through the pages: content from the closed period, files generated in
the background, 审核 by a leader, 印发 with a number, distribution, and who may do what."""

import io
import re

import pytest
from django.test import Client
from docx import Document

from wenming.bulletins.models import Bulletin, BulletinStatus
from wenming.cases.models import Notification
from wenming.core.models import AuditEvent
from wenming.core.tests.helpers import run_pending_tasks
from wenming.scoring import services as scoring
from wenming.scoring.errors import ScoringError


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


@pytest.mark.django_db
def test_a_monthly_bulletin_from_draft_to_issue(november, personas, org, login, city_leader, settings, tmp_path,
                                                django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    office = login("office_city")
    response = office.post("/bulletins/new/", {"kind": "monthly", "period": str(november.pk),
                                               "addressees": "各区创建办", "requirements": "一要压实责任。\n二要立行立改。"})
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and bulletin.status == BulletinStatus.DRAFT
    assert bulletin.title == "关于2026年11月街道考核考核结果的通报" and bulletin.issuer == org["city"]
    page = text(office.get(f"/bulletins/{bulletin.pk}/"))
    assert "测创城通〔2026〕 号" in page or "通〔2026〕 号" in page          # the number comes at issue
    assert "对3个单位进行了考核，其中2个单位参与排名，平均得分80.63分" in page   # (84.38 + 76.88) / 2
    assert "1 甲二街道 84.38" in page and "2 甲一街道 76.88" in page
    assert "红旗榜：甲二街道（84.38分）。" in page and "黄牌榜：甲一街道（76.88分）。" in page
    assert "甲一街道 1 1 0" in page                                            # overdue 1, 督办单 1, 督办函 0
    assert "一要压实责任。" in page and "二要立行立改。" in page

    # sending it for review before its files exist is refused
    office.post(f"/bulletins/{bulletin.pk}/submit/")
    assert Bulletin.objects.get().status == BulletinStatus.DRAFT
    assert "请先生成当前内容的Word和PDF文件" in text(office.get(f"/bulletins/{bulletin.pk}/"))
    # generated in the background: the click returns the job page at once
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(f"/bulletins/{bulletin.pk}/generate/")
    assert response.status_code == 302 and response.url.startswith("/jobs/")
    run_pending_tasks()
    bulletin.refresh_from_db()
    assert bulletin.files_current and bulletin.docx
    body = docx_text(bulletin.docx.read())
    assert "关于2026年11月街道考核考核结果的通报" in body and "甲二街道" in body and "84.38" in body
    # the district office sees nothing of the city's draft; a handler neither
    assert login("office_district_a").get(f"/bulletins/{bulletin.pk}/").status_code == 404
    assert login("handler_street_a1").get(f"/bulletins/{bulletin.pk}/").status_code == 404

    office.post(f"/bulletins/{bulletin.pk}/submit/")
    assert Bulletin.objects.get().status == BulletinStatus.SUBMITTED
    assert Notification.objects.filter(user=city_leader, title__startswith="通报待审核").count() == 1
    # the office cannot approve its own draft; the district's leader is not above the city office
    assert office.post(f"/bulletins/{bulletin.pk}/approve/").status_code == 403
    assert login("leader").post(f"/bulletins/{bulletin.pk}/approve/").status_code == 404
    leader = Client()
    leader.force_login(city_leader)
    leader.post(f"/bulletins/{bulletin.pk}/return/", {"note": ""})
    assert Bulletin.objects.get().status == BulletinStatus.SUBMITTED    # returning needs a reason
    leader.post(f"/bulletins/{bulletin.pk}/approve/", {"note": "同意印发"})
    bulletin.refresh_from_db()
    assert (bulletin.status, bulletin.reviewed_by, bulletin.review_note) == (BulletinStatus.APPROVED, city_leader,
                                                                             "同意印发")
    with django_capture_on_commit_callbacks(execute=True):
        office.post(f"/bulletins/{bulletin.pk}/issue/")
    run_pending_tasks()
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.ISSUED and re.fullmatch(r"[\u4e00-\u9fff]+通〔2026〕1号", bulletin.number)
    assert bulletin.files_current and bulletin.number in docx_text(bulletin.docx.read())
    assert sorted(u.name for u in bulletin.recipients.all()) == ["乙一街道", "甲一街道", "甲二街道"]
    assert Notification.objects.filter(user=personas["handler_street_a1"], title__contains=bulletin.number).exists()
    assert AuditEvent.objects.filter(action="bulletins.issue").count() == 1
    # issued: the named streets' staff read it and download it; the text is frozen
    handler = login("handler_street_a1")
    assert handler.get(f"/bulletins/{bulletin.pk}/").status_code == 200
    assert handler.get(f"/bulletins/{bulletin.pk}/file/docx/").status_code == 200
    assert AuditEvent.objects.filter(action="export.download", actor_username="handler_street_a1").count() == 1
    assert login("citizen").get(f"/bulletins/{bulletin.pk}/").status_code == 404
    office.post(f"/bulletins/{bulletin.pk}/", {"title": "改", "signature": "x"})
    assert Bulletin.objects.get().title != "改"
    # the period's ranking is public now: it cannot be re-opened
    with pytest.raises(ScoringError, match="通报已印发"):
        scoring.period_reopen(actor=personas["office_city"], period=november, reason="核对")
    # the archive finds it by its number
    assert bulletin.number in text(office.get("/bulletins/", {"q": "1号"}))
    assert "没有符合条件的通报" in text(office.get("/bulletins/", {"q": "不存在的"}))


@pytest.mark.django_db
def test_bad_input_is_refused_in_chinese_and_changes_nothing(november, login):
    office = login("office_city")
    body = text(office.post("/bulletins/new/", {"kind": "weekly", "period": str(november.pk)}))
    assert "周通报应选择周考核期" in body
    body = text(office.post("/bulletins/new/", {"kind": "monthly", "period": ""}))
    assert "月通报须选择已关闭的考核期" in body
    body = text(office.post("/bulletins/new/", {"kind": "monthly", "period": "999999"}))
    assert "选择一个有效的选项" in body
    assert not Bulletin.objects.exists()
    office.post("/bulletins/new/", {"kind": "monthly", "period": str(november.pk)})
    bulletin = Bulletin.objects.get()
    body = text(office.post(f"/bulletins/{bulletin.pk}/", {"title": "标题\x00", "signature": "办公室"}))
    assert "不能包含空字符" in body
    body = text(office.post(f"/bulletins/{bulletin.pk}/", {"title": "标题", "signature": "办公室",
                                                          "requirements": "长" * 5001}))
    assert "5000" in body
    assert Bulletin.objects.get().title == bulletin.title
    for query in ({"year": "²"}, {"year": "99999999999999999999"}, {"kind": "x"}, {"q": "长" * 500}):
        assert office.get("/bulletins/", query).status_code == 200
    assert office.get("/bulletins/", {"q": "\x00"}).status_code == 400   # the pages' NUL guard


@pytest.mark.django_db
def test_typical_problems_carry_their_photos_before_and_after(november, city, personas, settings, tmp_path):
    from wenming.bulletins import builder, services
    from wenming.bulletins.content import PhotoPair
    from wenming.cases.models import PhotoPhase, ProblemPhoto
    from wenming.cases.tests.conftest import jpeg_bytes
    from wenming.core.services_photos import photo_create

    settings.MEDIA_ROOT = tmp_path / "media"
    office = personas["office_city"]
    n1 = city["n1"]   # closed on time in November
    before = photo_create(actor=office, data=jpeg_bytes((200, 30, 30)), filename="b.jpg")
    after = photo_create(actor=office, data=jpeg_bytes((30, 200, 30)), filename="a.jpg")
    ProblemPhoto.objects.create(problem=n1, photo=before, phase=PhotoPhase.BEFORE)
    ProblemPhoto.objects.create(problem=n1, photo=after, phase=PhotoPhase.AFTER)
    bulletin = services.bulletin_create(actor=office, kind="monthly", issuer=city["scheme"].root, period=november)
    content = builder.content(bulletin)
    pairs = [b for s in content.sections for b in s.blocks if isinstance(b, PhotoPair)]
    assert [p.caption for p in pairs] == ["WT2026-000001 问题WT2026-000001（甲一街道）"]
    assert pairs[0].before.startswith(b"\xff\xd8") and pairs[0].after.startswith(b"\xff\xd8")
    headings = [s.heading for s in content.sections]
    assert headings == ["一、总体情况", "二、考核排名", "三、红旗榜和黄牌榜", "四、逾期和督办情况", "五、典型问题整改情况"]
    # the 表扬通报 of the same period: no 黄牌榜, no typical problems
    praise = services.bulletin_create(actor=office, kind="commendation", issuer=city["scheme"].root, period=november)
    text_of = " ".join(getattr(b, "text", "") for s in builder.content(praise).sections for b in s.blocks)
    assert "红旗榜：甲二街道（84.38分）。" in text_of and "黄牌榜" not in text_of
