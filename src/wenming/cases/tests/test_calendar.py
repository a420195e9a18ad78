"""Deadlines in a year the calendar library does not have yet (2027 with chinesecalendar 1.11.0):
counted on the statutory holidays the regulation fixes, carrying a warning on every page and in
the API until the office confirms it entered the year's 调休; a deadline given as a date alone is
the end of that office day; the API gives times in +08:00 (docs/api.md)."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from wenming.cases.escalation import sla
from wenming.cases.intake import services as intake_services
from wenming.cases.models import CalendarYear, NoticeKind, Problem
from wenming.cases.notices import services as notices
from wenming.cases.settings import services as settings_services
from wenming.cases.workflow import services
from wenming.core.errors import Forbidden, ServiceError
from wenming.core.models import AuditEvent

SH = ZoneInfo("Asia/Shanghai")
WARNING = "2027年调休安排尚未录入，期限按法定节假日推算，可能与实际不符"
PROBLEMS = "/api/problems/"


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def clock(monkeypatch):
    """``clock(moment)``: timezone.now() is ``moment`` from then on."""
    def _set(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
    return _set


@pytest.fixture
def new_year_problem(personas, org, intake, clock):
    """A 一般 problem (3 working days) assigned on Thursday 2026-12-31 at 10:00."""
    clock(at(2026, 12, 31, 10))
    found, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    return services.problem_assign(actor=personas["office_district_a"], problem=found, unit=org["street_a1"])


@pytest.mark.django_db
def test_a_deadline_across_new_year_2027_skips_it_and_carries_the_warning(new_year_problem, login):
    # 元旦 (Friday 1-1) and the weekend are skipped: Mon 1-4 (1), Tue 1-5 (2), Wed 1-6 (3)
    assert new_year_problem.deadline == at(2027, 1, 6, 17, 30)
    assert sla.calendar_warning(new_year_problem.deadline) == WARNING

    page = login("office_district_a").get(reverse("cases:detail", args=[new_year_problem.code]))
    text = page.content.decode()
    assert "2027-01-06 17:30" in text and WARNING in text

    body = login("office_district_a").get(f"{PROBLEMS}{new_year_problem.code}/").json()
    assert body["deadline"] == "2027-01-06T17:30:00+08:00"
    assert body["deadline_warning"] == WARNING
    listed = login("office_district_a").get(PROBLEMS).json()["results"]
    assert [p["deadline_warning"] for p in listed] == [WARNING]

    for username, name in (("office_district_a", "cases:ledger"), ("handler_street_a1", "cases:mine")):
        text = login(username).get(reverse(name)).content.decode()
        assert "调休未录入" in text and f'title="{WARNING}"' in text, name

    # a 督办单 whose deadline lies in 2027: its list, its page (not the printed document) and the problem's page
    notice = notices.issue(new_year_problem, NoticeKind.NOTICE, at(2027, 1, 8, 17, 30), now=at(2027, 1, 7, 9))
    for url in (reverse("cases:notices"), reverse("cases:detail", args=[new_year_problem.code])):
        text = login("office_district_a").get(url).content.decode()
        assert f'<span class="badge amber" title="{WARNING}">调休未录入</span>' in text, url
    text = login("office_district_a").get(reverse("cases:notice", args=[notice.pk])).content.decode()
    warning_at, sheet_at = text.index(WARNING), text.index('<article class="notice-sheet"')
    assert warning_at < sheet_at and WARNING not in text[sheet_at:]


@pytest.mark.django_db
def test_the_warning_goes_once_the_office_confirms_the_year(new_year_problem, login, personas, clock):
    clock(at(2026, 12, 31, 11))
    office = login("office_city")
    settings_page = office.get(reverse("cases:settings")).content.decode()
    # the computed statutory holidays of 2027 and the way to confirm its 调休
    assert "2027年调休安排尚未录入" in settings_page
    for text in ("元旦 1月1日", "春节 2月5日—8日", "清明节 4月5日", "劳动节 5月1日—2日", "端午节 6月9日",
                 "中秋节 9月15日", "国庆节 10月1日—3日", "已录入2027年调休安排"):
        assert text in settings_page, text

    office.post(reverse("cases:settings_save", args=["calendar"]), {"day": "2027-01-02", "is_workday": "1",
                                                                   "note": "调休上班"})
    response = office.post(reverse("cases:settings_save", args=["year"]), {"year": "2027", "confirmed": "1"},
                           follow=True)
    assert "已保存" in response.content.decode() and "已确认录入" in response.content.decode()
    row = CalendarYear.objects.get(year=2027)
    assert row.confirmed_by == personas["office_city"]
    event = AuditEvent.objects.get(action="cases.calendar_year_confirm")
    assert event.target == "calendar_year:2027" and event.detail == {"overrides": 1}

    assert sla.calendar_warning(at(2027, 1, 6, 17, 30)) is None
    page = login("office_district_a").get(reverse("cases:detail", args=[new_year_problem.code])).content.decode()
    assert WARNING not in page and "调休未录入" not in page
    body = login("office_district_a").get(f"{PROBLEMS}{new_year_problem.code}/").json()
    assert body["deadline_warning"] is None
    # the entered 调休 Saturday counts: a new problem assigned now is due a day earlier
    found, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake_of(new_year_problem))
    later = services.problem_assign(actor=personas["office_district_a"], problem=found, unit=new_year_problem.unit)
    assert later.deadline == at(2027, 1, 5, 17, 30)  # Sat 1-2 (1), Mon 1-4 (2), Tue 1-5 (3)

    # withdrawn: the warning is back
    office.post(reverse("cases:settings_save", args=["year"]), {"year": "2027", "confirmed": "0"})
    assert not CalendarYear.objects.exists()
    assert AuditEvent.objects.filter(action="cases.calendar_year_withdraw").count() == 1
    assert sla.calendar_warning(at(2027, 1, 6, 17, 30)) == WARNING


def intake_of(problem):
    return intake_services.Intake(title=problem.title, category=problem.category, area=problem.area,
                                  address=problem.address)


@pytest.mark.django_db
def test_only_the_city_office_confirms_and_only_an_uncovered_year(personas, clock):
    clock(at(2026, 12, 31, 11))
    with pytest.raises(Forbidden):
        settings_services.calendar_year_confirm(actor=personas["office_district_a"], year=2027)
    with pytest.raises(ServiceError, match="已内置在系统日历中"):
        settings_services.calendar_year_confirm(actor=personas["office_city"], year=2026)
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_no_warning_for_a_covered_year_and_no_query_for_it(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert sla.calendar_warning(at(2026, 12, 31, 17, 30)) is None
        assert sla.calendar_warning(None) is None
    assert sla.calendar_warning(date(2027, 3, 1)) == WARNING
    # a moment late on 2026-12-31 in UTC is already 2027 in Shanghai
    assert sla.calendar_warning(datetime(2026, 12, 31, 17, tzinfo=ZoneInfo("UTC"))) == WARNING


# --- a deadline given as a date alone --------------------------------------------------------------

@pytest.mark.django_db
def test_a_date_alone_on_the_page_is_the_end_of_that_office_day(personas, org, intake, login, clock):
    clock(at(2026, 12, 4, 10))
    found, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    office = login("office_district_a")
    office.post(reverse("cases:act", args=[found.code, "assign"]), {"unit": org["street_a1"].code,
                                                                    "deadline": "2026-12-10"})
    found.refresh_from_db()
    assert found.deadline == at(2026, 12, 10, 17, 30)

    # the office's hours decide the end of the day
    row = sla.case_settings()
    row.afternoon_end = "18:00"
    row.save()
    office.post(reverse("cases:act", args=[found.code, "reassign"]), {"unit": org["street_a2"].code,
                                                                      "deadline": "2026-12-11"})
    found.refresh_from_db()
    assert found.deadline == at(2026, 12, 11, 18)
    # a date and a time stay what they say
    office.post(reverse("cases:act", args=[found.code, "reassign"]), {"unit": org["street_a1"].code,
                                                                      "deadline": "2026-12-11T09:00"})
    found.refresh_from_db()
    assert found.deadline == at(2026, 12, 11, 9)


@pytest.mark.django_db
def test_a_date_alone_in_the_api_is_the_end_of_that_office_day(personas, org, intake, login, clock):
    clock(at(2026, 12, 4, 10))
    found, _ = intake_services.problem_report(actor=personas["grid_worker"], intake=intake(area=org["grid_a1"]))
    client = login("office_district_a")
    response = client.post(f"{PROBLEMS}{found.code}/actions/assign/",
                           json.dumps({"unit": org["street_a1"].code, "deadline": "2027-01-08"}),
                           content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["deadline"] == "2027-01-08T17:30:00+08:00" and body["deadline_warning"] == WARNING
    assert Problem.objects.get(pk=found.pk).deadline == at(2027, 1, 8, 17, 30)
    refused = client.post(f"{PROBLEMS}{found.code}/actions/reassign/",
                          json.dumps({"unit": org["street_a2"].code, "deadline": "2027-02-30"}),
                          content_type="application/json")
    assert refused.status_code == 400 and "deadline" in refused.json()["errors"]


# --- API times in Beijing time ---------------------------------------------------------------------

@pytest.mark.django_db
def test_api_times_are_in_beijing_time(personas, org, intake, login, clock):
    clock(at(2026, 12, 3, 9, 15))
    found, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    services.problem_assign(actor=personas["office_district_a"], problem=found, unit=org["street_a1"])
    body = login("office_district_a").get(f"{PROBLEMS}{found.code}/").json()
    assert body["created_at"] == "2026-12-03T09:15:00+08:00"
    assert body["deadline"] == "2026-12-08T17:30:00+08:00" and body["deadline_warning"] is None  # Fri, Mon, Tue
    assert [event["at"] for event in body["timeline"]] == ["2026-12-03T09:15:00+08:00"] * 2


@pytest.mark.django_db
def test_the_point_page_problem_list_carries_the_warning_too(new_year_problem):
    from django.template.loader import render_to_string

    text = render_to_string("places/_problems.html", {"problems": [new_year_problem], "empty": "暂无"})
    assert "2027-01-06 17:30" in text and f'title="{WARNING}"' in text


@pytest.mark.django_db
def test_the_ledger_export_carries_the_warning_in_its_own_column(new_year_problem, personas, org, intake):
    import io

    from openpyxl import load_workbook

    from wenming.cases.ledger import selectors as ledger_selectors
    from wenming.cases.ledger import transfer

    covered, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(title="井盖缺失"))
    office = personas["office_city"]
    buffer = io.BytesIO()
    qs = ledger_selectors.ledger(office, ledger_selectors.LedgerFilter())
    assert transfer.export_ledger(actor=office, qs=qs, fileobj=buffer) == 2
    rows = list(load_workbook(buffer).active.iter_rows(values_only=True))
    assert rows[0][11:13] == ("整改期限", "期限提示")
    by_code = {row[0]: dict(zip(transfer.EXPORT_COLUMNS, row)) for row in rows[1:]}
    assert by_code[new_year_problem.code]["整改期限"] == "2027-01-06 17:30"
    assert by_code[new_year_problem.code]["期限提示"] == WARNING
    assert by_code[covered.code]["期限提示"] is None  # no deadline, no warning
