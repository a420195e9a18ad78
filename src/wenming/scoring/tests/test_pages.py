"""The assessment pages, on the hand-computed city of conftest.py: closing through the page, what each
persona sees of a ranking and of one score, bad input, and query counts that do not grow with rows."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wenming.conftest import make_unit
from wenming.core.models import Photo
from wenming.org.models import UnitKind
from wenming.scoring import services
from wenming.scoring.models import Adjustment, Period, PeriodStatus, Scheme

NOV = datetime.date(2026, 11, 15)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def closed_november(city, personas):
    return services.period_close(actor=personas["office_city"], scheme=city["scheme"], kind="month", day=NOV)


@pytest.mark.django_db
def test_the_office_closes_a_month_on_the_scheme_page_and_reads_the_ranking(city, login):
    office = login("office_city")
    page = office.get(f"/scoring/schemes/{city['scheme'].pk}/")
    assert 'data-testid="close-form"' in page.content.decode() and "实地测评" in text(page)
    response = office.post(f"/scoring/schemes/{city['scheme'].pk}/close/", {"kind": "month", "day": "2026-11-15"})
    period = Period.objects.get(kind="month", start=datetime.date(2026, 11, 1))
    assert response.status_code == 302 and response.url == f"/scoring/periods/{period.pk}/"
    body = text(office.get(response.url, follow=True))
    assert "2026年11月已关闭，排名已生成（第1版）" in body
    assert "参评单位 3个，其中2个参与排名" in body
    assert "总分相同名次并列，下一名次顺延" in body and "实地测评点位少于2个的单位列在最后" in body   # the rule, written
    ranking = re.findall(r'<tr data-unit="\d+">.*?</tr>', office.get(response.url).content.decode(), re.S)
    rows = [text_of(row) for row in ranking]
    assert rows[0].startswith("1 甲二街道 84.38") and "红旗榜" in rows[0]
    assert rows[1].startswith("2 甲一街道 76.88") and "黄牌榜" in rows[1]
    assert rows[2].startswith("— 乙一街道 测评点位不足（1个，少于2个） 96.88")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.mark.django_db
def test_a_street_handler_sees_his_own_row_with_its_true_rank_and_nobody_elses(city, personas, login):
    period = closed_november(city, personas)
    page = login("handler_street_a1").get(f"/scoring/periods/{period.pk}/")
    body = text(page)
    assert "甲一街道" in body and "76.88" in body and "84.38" not in body and "96.88" not in body
    assert "甲二街道" not in body and "乙一街道" not in body
    assert re.search(r'<tr data-unit="\d+">\s*<td>2</td>', page.content.decode())   # his true rank among 2
    # a district office sees its two streets, not district B's
    body = text(login("office_district_a").get(f"/scoring/periods/{period.pk}/"))
    assert "甲一街道" in body and "甲二街道" in body and "乙一街道" not in body


@pytest.mark.django_db
def test_a_score_explains_itself_with_links_only_where_the_viewer_may_follow(city, personas, org, login):
    period = closed_november(city, personas)
    url = f"/scoring/periods/{period.pk}/units/{org['street_a1'].pk}/"
    page = login("office_city").get(url).content.decode()
    body = text_of(page)
    assert "76.88" in body and "第2名（共2个单位参与排名）" in body
    assert "2轮测评" not in body and "1轮测评、2个点位按点位类型加权平均得80.00分" in body
    assert "按期办结率50.00%（1/2）" in body and "期末逾期1件，得68.00分" in body
    assert "督办单1份、督办函0份、列入通报批评0件，得95.00分" in body
    assert f'href="/inspections/{city["round"].pk}/?unit={org["street_a1"].code}"' in page
    assert 'href="/problems/WT2026-000002/"' in page and "甲创督〔2026〕1号" in page
    assert "市电视台曝光占道经营" in body and "−2.00" in body
    # the street's handler: the round, his problems and the notice to his unit open for him
    page = login("handler_street_a1").get(url).content.decode()
    assert 'href="/problems/WT2026-000002/"' in page
    # another street's handler and a citizen: nothing at all
    assert login("handler_street_a2").get(url).status_code == 404
    assert login("citizen").get(url).status_code == 404


@pytest.mark.django_db
def test_bad_input_is_refused_in_chinese_and_changes_nothing(city, personas, org, login):
    office = login("office_city")
    scheme = city["scheme"]
    # a day in a period not yet over, and a date that is not one
    office.post(f"/scoring/schemes/{scheme.pk}/close/", {"kind": "month", "day": "2099-01-01"})
    office.post(f"/scoring/schemes/{scheme.pk}/close/", {"kind": "month", "day": "2026-02-30"})
    assert not Period.objects.filter(status=PeriodStatus.CLOSED).exists()
    body = text(office.get(f"/scoring/schemes/{scheme.pk}/"))
    assert "2099年1月尚未结束，不能关闭" in body and "请选择考核周期并填写考核期内的日期" in body
    # a draft whose weights do not add up to 100, and a name with a NUL
    draft = services.scheme_new_version(actor=personas["office_city"], scheme=scheme)
    form = {"name": "街道考核\x00", "period_kinds": ["month"], "min_sample": "2", "red_mode": "rank", "red_value": "1",
            "yellow_mode": "threshold", "yellow_value": "80", "escalate_after": "2", "escalation_steps": "约谈、问责",
            "weight_inspection": "60", "weight_rectification": "30", "rectification_on_time": "60",
            "rectification_rework": "20", "rectification_recurrence": "20", "rectification_per_overdue": "2",
            "supervision_per_notice": "5", "supervision_per_letter": "10", "supervision_per_bulletin": "20"}
    body = text(office.post(f"/scoring/schemes/{draft.pk}/", form))
    assert "不能包含空字符" in body
    form["name"] = "街道考核"
    body = text(office.post(f"/scoring/schemes/{draft.pk}/", form))
    assert "各考核项目分值合计应为100分，现为90分" in body
    draft.refresh_from_db()
    assert draft.name == scheme.name and sorted(c.weight for c in draft.components.all())[-1] == 50
    form["weight_supervision"] = "10"
    assert office.post(f"/scoring/schemes/{draft.pk}/", form).status_code == 302
    assert sorted((c.metric, int(c.weight)) for c in Scheme.objects.get(pk=draft.pk).components.all()) == [
        ("inspection", 60), ("rectification", 30), ("supervision", 10)]
    # an adjustment with words for points, a future date, a file that is no photo
    before = Adjustment.objects.count()
    body = text(office.post("/scoring/adjustments/", {
        "unit": org["street_a1"].code, "kind": "exposure", "occurred_on": "2099-01-01", "title": "曝光",
        "points": "abc"}))
    assert "输入一个数字" in body
    body = text(office.post("/scoring/adjustments/", {
        "unit": org["street_a1"].code, "kind": "exposure", "occurred_on": "2099-01-01", "title": "曝光",
        "points": "2"}))
    assert "发生日期不能晚于今天" in body
    body = text(office.post("/scoring/adjustments/", {
        "unit": org["street_a1"].code, "kind": "exposure", "occurred_on": "2026-11-20", "title": "曝光", "points": "2",
        "photos": SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")}))
    assert "图片" in body or "照片" in body
    assert Adjustment.objects.count() == before and not Photo.objects.exists()
    # a unit outside the office's scope is not found, and named nowhere
    body = text(login("office_district_a").post("/scoring/adjustments/", {
        "unit": org["street_b1"].code, "kind": "exposure", "occurred_on": "2026-11-20", "title": "曝光", "points": "2"}))
    assert "找不到编码为330103001的单位" in body and Adjustment.objects.count() == before
    # re-opening needs a reason
    period = closed_november(city, personas)
    office.post(f"/scoring/periods/{period.pk}/reopen/", {"reason": ""})
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED


@pytest.mark.django_db
def test_an_exposure_with_evidence_photos_through_the_page(city, personas, org, login):
    from wenming.cases.tests.conftest import jpeg_bytes

    office = login("office_city")
    response = office.post("/scoring/adjustments/", {
        "unit": org["street_a2"].code, "kind": "negative", "effect": "cap", "cap": "70", "occurred_on": "2026-11-20",
        "title": "发生较大安全事故", "points": "0",
        "photos": [SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")]})
    assert response.status_code == 302
    entry = Adjustment.objects.get(title="发生较大安全事故")
    assert entry.photos.count() == 1 and entry.cap == 70
    period = closed_november(city, personas)
    page = office.get(f"/scoring/periods/{period.pk}/units/{org['street_a2'].pk}/").content.decode()
    assert "负面清单“发生较大安全事故”：总分封顶70.00分。" in page
    assert f'/photos/{entry.photos.get().pk}/thumb/' in page


@pytest.mark.django_db
def test_the_ranking_page_runs_the_same_queries_for_3_or_23_streets(city, personas, org, login):
    office = login("office_city")

    def count():
        period = Period.objects.filter(status=PeriodStatus.CLOSED).first()
        with CaptureQueriesContext(connection) as ctx:
            assert office.get(f"/scoring/periods/{period.pk}/").status_code == 200
        return len(ctx.captured_queries)

    closed_november(city, personas)
    few = count()
    Period.objects.all().delete()
    for n in range(20):
        make_unit(f"新{n}街道", UnitKind.STREET, f"330103{n + 10:03d}", org["district_b"])
    closed_november(city, personas)
    assert count() == few


@pytest.mark.django_db
def test_the_ranking_exports_to_excel_and_an_archived_version_stays_readable(city, personas, org, login):
    import io

    from openpyxl import load_workbook

    from wenming.core.models import AuditEvent

    period = closed_november(city, personas)
    services.period_reopen(actor=personas["office_city"], period=period, reason="撤销错误的曝光")
    services.adjustment_withdraw(actor=personas["office_city"], adjustment=city["exposure"], reason="非本辖区")
    period = closed_november(city, personas)
    office = login("office_city")
    current = text(office.get(f"/scoring/periods/{period.pk}/"))
    assert "78.88" in current and "76.88" not in current and "查看版本" in current
    archived = text(office.get(f"/scoring/periods/{period.pk}/", {"version": "1"}))
    assert "这是第1版存档排名（已被第2版取代）" in archived and "76.88" in archived
    for bad in ("3", "0", "x", "²"):
        assert "已被第2版取代" not in text(office.get(f"/scoring/periods/{period.pk}/", {"version": bad}))
    response = login("handler_street_a1").get(f"/scoring/periods/{period.pk}/export/")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["名次", "单位", "总分", "项目得分", "较上期"]
    assert [r[:3] for r in rows[1:]] == [[2, "甲一街道", 78.88]]   # his own row only, with his true rank
    assert AuditEvent.objects.filter(action="export.download", actor_username="handler_street_a1").count() == 1


@pytest.mark.django_db
def test_the_scheme_page_lists_the_periods_that_ended_with_one_click_to_close(city, personas, login):
    from django.utils import timezone

    from wenming.scoring.services import period_dates

    office = login("office_city")
    page = office.get(f"/scoring/schemes/{city['scheme'].pk}/").content.decode()
    today = timezone.localdate()
    first, _, label = period_dates("month", today.replace(day=1) - datetime.timedelta(days=1))
    assert label in page and f'value="{first:%Y-%m-%d}"' in page and page.count("关闭并生成排名") == 8 + 1
    office.post(f"/scoring/schemes/{city['scheme'].pk}/close/", {"kind": "month", "day": f"{first:%Y-%m-%d}"})
    page = text(office.get(f"/scoring/schemes/{city['scheme'].pk}/"))
    assert f"{label} 月 已关闭（第1版）" in page
    # a handler sees the list, never a button
    page = login("handler_street_a1").get(f"/scoring/schemes/{city['scheme'].pk}/").content.decode()
    assert "关闭并生成排名" not in page


@pytest.mark.django_db
def test_names_are_escaped_in_the_ranking_rows(city, personas, org, login):
    from wenming.org.models import Unit

    Unit.objects.filter(pk=org["street_a2"].pk).update(name="<b>甲二</b>街道")
    period = closed_november(city, personas)
    page = login("office_city").get(f"/scoring/periods/{period.pk}/").content.decode()
    assert "&lt;b&gt;甲二&lt;/b&gt;街道" in page and "<b>甲二</b>" not in page
