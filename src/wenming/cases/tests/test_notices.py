"""督办单/督办函: the .docx (GB/T 9704-2012 layout), the printable page, the download and the list."""

import io
from datetime import timedelta
from urllib.parse import quote

import docx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx.oxml.ns import qn

from wenming.cases.escalation import sweeper
from wenming.cases.intake import services as intake_services
from wenming.cases.models import NoticeKind, SupervisionNotice
from wenming.cases.notices import documents
from wenming.cases.workflow import services

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def overdue(personas, org, intake):
    """``overdue(n)`` → n problems of street A1 assigned by the district office and swept past
    their deadline: each gets a 督办单 from 甲区. Returns the notices, oldest first."""

    def _make(n: int = 1, **intake_overrides) -> list[SupervisionNotice]:
        problems = []
        for i in range(n):
            problem, _ = intake_services.problem_report(actor=personas["inspector"],
                                                 intake=intake(address=f"甲一街道人民路{i + 1}号", **intake_overrides))
            problems.append(services.problem_assign(actor=personas["office_district_a"], problem=problem,
                                                    unit=org["street_a1"],
                                                    deadline=timezone.now() + timedelta(days=3)))
        sweeper.sweep(now=max(p.deadline for p in problems) + timedelta(minutes=1))
        return list(SupervisionNotice.objects.filter(problem__in=problems).order_by("id"))

    return _make


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


# --- the document ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_docx_content(overdue):
    notice = overdue(1)[0]
    year = timezone.localtime(notice.issued_at).year
    document = docx.Document(io.BytesIO(documents.notice_docx(notice)))
    text = _text(document)
    assert notice.number == f"甲创城督〔{year}〕1号"  # 甲区 has no 代字 set: one derived from its name
    assert "甲区创建办" in text and notice.number in text and "督办单" in text
    assert "甲一街道：" in text                               # 主送
    assert "已超过整改期限" in text and "请你单位高度重视" in text  # body
    assert text.count("甲一街道：") == 1                     # the 主送 line is not repeated from the body
    assert notice.problem.code in text and "甲一街道人民路1号" in text
    assert "甲区创建全国文明城市工作领导小组办公室" in text
    local = timezone.localtime(notice.issued_at)
    assert f"{local.year}年{local.month}月{local.day}日" in text
    # facts table
    rows = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert set(rows) == {"问题编号", "问题类别", "问题地点", "原整改期限", "本次整改期限"}
    assert rows["本次整改期限"] == documents.chinese_datetime(notice.deadline)


@pytest.mark.django_db
def test_docx_page_and_type(overdue):
    notice = overdue(1)[0]
    document = docx.Document(io.BytesIO(documents.notice_docx(notice)))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    for margin, mm in ((section.top_margin, 37), (section.bottom_margin, 35),
                       (section.left_margin, 28), (section.right_margin, 26)):
        assert abs(margin.mm - mm) < 0.1
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars" and grid.get(qn("w:linePitch")) == "579"

    paragraphs = [p for p in document.paragraphs if p.text]
    office, number, title = paragraphs[0], paragraphs[1], paragraphs[2]
    assert office.text == "甲区创建办"
    assert office.runs[0].font.color.rgb == documents.RED and office.runs[0].bold
    # the red separator line: a red bottom border on the number's paragraph
    bottom = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) == "C00000"
    assert title.text == "督办单" and title.runs[0].font.size.pt == 22
    assert title.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body = next(p for p in paragraphs if p.text.startswith("经查"))
    assert body.runs[0].font.size.pt == 16
    assert body.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert abs(body.paragraph_format.line_spacing.pt - 28.95) < 0.05
    assert body.paragraph_format.first_line_indent.pt == 32
    signature = next(p for p in paragraphs if p.text.endswith("领导小组办公室"))
    assert signature.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT


@pytest.mark.django_db
def test_letter(overdue, personas, org):
    org["street_a1"].head_name = "王主任"
    org["street_a1"].save()
    notice = overdue(1)[0]
    sweeper.sweep(now=notice.deadline + timedelta(minutes=1))
    letter = SupervisionNotice.objects.get(problem=notice.problem, kind=NoticeKind.LETTER)
    layout = documents.notice_layout(letter)
    assert layout.title == "督办函" and layout.addressees == "甲一街道（王主任同志）："
    assert layout.facts[-1] == ("本次整改期限", documents.chinese_datetime(letter.deadline))
    assert "此前已下发督办单" in "".join(layout.paragraphs)
    text = _text(docx.Document(io.BytesIO(documents.notice_docx(letter))))
    assert letter.number in text and "督办函" in text and "王主任" in text


def test_signature_block_positions():
    # the date's first character two characters right of the signature's
    sig, date = "甲区创建全国文明城市工作领导小组办公室", "2026年11月22日"
    sig_right, date_right = documents.signature_indents(sig, date)
    assert sig_right == 2
    sig_start = 28 - sig_right - documents.text_width(sig)
    assert 28 - date_right - documents.text_width(date) == sig_start + 2
    # a date longer than the signature stays 右空二字 and pushes the signature left
    assert documents.signature_indents("办公室", date)[1] == 2


# --- pages and access -----------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("username", ["office_district_a", "office_city", "handler_street_a1", "leader"])
def test_notice_page_in_scope(overdue, login, username):
    notice = overdue(1)[0]
    response = login(username).get(reverse("cases:notice", args=[notice.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert notice.number in html and "甲区创建办" in html and "window.print()" in html
    assert reverse("cases:notice_docx", args=[notice.pk]) in html


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["handler_street_a2", "citizen", "outsider"])
def test_notice_page_out_of_scope_is_404(overdue, login, username):
    notice = overdue(1)[0]
    client = login(username)
    assert client.get(reverse("cases:notice", args=[notice.pk])).status_code == 404
    assert client.get(reverse("cases:notice_docx", args=[notice.pk])).status_code == 404


@pytest.mark.django_db
def test_missing_notice_is_404_and_anonymous_must_log_in(overdue, login, client):
    notice = overdue(1)[0]
    assert login("office_city").get(reverse("cases:notice", args=[notice.pk + 1000])).status_code == 404
    response = client.get(reverse("cases:notice_docx", args=[notice.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_docx_download(overdue, login):
    notice = overdue(1)[0]
    response = login("handler_street_a1").get(reverse("cases:notice_docx", args=[notice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(notice.number + '.docx')}" in disposition
    assert f'filename="notice-{notice.pk}.docx"' in disposition
    assert notice.number in _text(docx.Document(io.BytesIO(response.content)))


@pytest.mark.django_db
def test_problem_page_links_its_notices(overdue, login):
    notice = overdue(1)[0]
    html = login("office_district_a").get(reverse("cases:detail", args=[notice.problem.code])).content.decode()
    assert reverse("cases:notice", args=[notice.pk]) in html
    assert reverse("cases:notice_docx", args=[notice.pk]) in html


# --- the list -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_list_shows_notices_in_scope_only(overdue, login, personas, org, intake):
    ours = overdue(2)
    # a problem of street B1 (district B) overdue too: its notice comes from the city office
    problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(area=org["street_b1"]))
    problem = services.problem_assign(actor=personas["office_city"], problem=problem, unit=org["street_b1"],
                                      deadline=timezone.now() + timedelta(days=3))
    sweeper.sweep(now=problem.deadline + timedelta(minutes=1))
    theirs = SupervisionNotice.objects.get(problem=problem)
    url = reverse("cases:notices")

    html = login("handler_street_a1").get(url).content.decode()
    assert all(reverse("cases:notice", args=[n.pk]) in html for n in ours)
    assert reverse("cases:notice", args=[theirs.pk]) not in html

    html = login("office_city").get(url).content.decode()
    assert all(reverse("cases:notice", args=[n.pk]) in html for n in ours + [theirs])

    assert "没有督办单或督办函" in login("handler_street_a2").get(url).content.decode()
    assert login("citizen").get(url).status_code == 403  # supervision documents are internal


@pytest.mark.django_db
def test_list_filters(overdue, login):
    notice = overdue(1)[0]
    sweeper.sweep(now=notice.deadline + timedelta(minutes=1))
    letter = SupervisionNotice.objects.get(kind=NoticeKind.LETTER)
    client, url = login("office_district_a"), reverse("cases:notices")

    html = client.get(url, {"kind": "letter"}).content.decode()
    assert letter.number in html and reverse("cases:notice", args=[notice.pk]) not in html
    html = client.get(url, {"year": notice.year}).content.decode()
    assert letter.number in html and notice.number in html
    assert "没有督办单或督办函" in client.get(url, {"year": notice.year + 1}).content.decode()
    response = client.get(url, {"kind": "nonsense", "year": "abc"})
    assert response.status_code == 200
    assert "类型筛选无效" in response.content.decode() and "年份筛选无效" in response.content.decode()


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("cases:notices")).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_list_queries_do_not_grow_with_rows(overdue, login):
    overdue(2)
    client = login("office_district_a")
    client.get(reverse("cases:notices"))  # warm the session/user caches
    two = _list_queries(client)
    overdue(4)
    assert SupervisionNotice.objects.count() == 6
    assert _list_queries(client) == two
