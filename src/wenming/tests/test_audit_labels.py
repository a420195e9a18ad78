"""The audit log is read by people: every action the product records, and every permission named
in a refusal, has a Chinese name; an object is shown by its kind's name, not ``app.model:pk``."""

import re
from pathlib import Path

import pytest

from wenming.core.selectors import audit_action_labels
from wenming.core.templatetags.wenming import audit_target

SRC = Path(__file__).resolve().parents[1]
RECORDED = re.compile(r'audit\.record\(\s*"([a-z_]+\.[a-z_]+)"')
REFUSED = re.compile(r'refuse_forbidden\([^"\n]*"([a-z_]+\.[a-z_]+)"')
REQUIRED = re.compile(r'access\.require(?:_permission|_at_root)?\([^"\n]*"([a-z_]+\.[a-z_]+)"')


def named_in_source() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (RECORDED, REFUSED, REQUIRED):
            found |= set(pattern.findall(text))
    return found


@pytest.mark.django_db
def test_every_audit_action_and_refused_permission_has_a_chinese_name():
    names = named_in_source()
    assert len(names) > 60  # the scan sees the product's actions
    labels = audit_action_labels()
    missing = sorted(name for name in names if name not in labels)
    assert not missing, f"audit actions or permissions without a Chinese name: {missing}"
    workflow = {f"cases.{t}" for t in ("assign", "sign", "submit", "verify_pass", "recur")}
    assert workflow <= set(labels)  # the workflow's refusals name their action


@pytest.mark.django_db
def test_objects_are_shown_by_their_kinds_name():
    assert audit_target("inspections.roundpoint:220 RoundPoint object (220)") == "抽样点位 #220"
    assert audit_target("cases.problem:7 WT2026-000007 人行道占道经营") == "问题 WT2026-000007 人行道占道经营"
    assert audit_target("cases.ledger") == "问题台账"
    assert audit_target("问题台账") == "问题台账" and audit_target("") == ""
    assert audit_target("nosuch.model:1 x") == "nosuch.model:1 x"


@pytest.mark.django_db
def test_the_audit_log_shows_names_not_codes(login, personas):
    from django.urls import reverse

    from wenming.core import audit

    audit.record("inspections.submit", actor=personas["inspector"], target="inspections.roundpoint:220 RoundPoint object (220)")
    page = login("office_city").get(reverse("audit_log")).content.decode()
    assert "提交测评" in page and "抽样点位 #220" in page and "孙浩" in page
    assert "inspections.submit" not in page.split("<table")[1]
