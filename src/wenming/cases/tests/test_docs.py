from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from wenming.cases.workflow.docs import workflow_markdown

DOCS = Path(__file__).resolve().parents[4] / "docs"
DOC = DOCS / "workflow.md"
GUIDE = DOCS / "user-guide.md"


def test_workflow_doc_is_generated_from_the_table():
    assert DOC.read_text(encoding="utf-8") == workflow_markdown(), \
        "docs/workflow.md is stale: run `wenming manage workflow_doc`"


def _missing(words) -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    return [word for word in words if word not in text]


def test_user_guide_names_every_menu_item(monkeypatch):
    """Every entry of the menu, as a user holding every role at the city sees it, is in the guide."""
    from wenming.core import access, context_processors
    from wenming.org.models import Role

    scope = access.Scope(user_id=1, grants=[("/1/", 1, role) for role in Role.values])
    monkeypatch.setattr(access, "scope_for", lambda user: scope)
    request = RequestFactory().get("/")
    request.user = SimpleNamespace(is_authenticated=True)
    labels = [label for _, label in context_processors.navigation(request)["nav_items"]]
    assert "测评体系" in labels and "我的测评" in labels
    assert not _missing(labels), "menu items missing from docs/user-guide.md"


@pytest.mark.parametrize("what", ["round kinds and states", "scoring rules", "columns"])
def test_user_guide_names_the_evaluation_vocabulary(what):
    """The labels users meet on the inspection, standards and points pages appear in the guide."""
    from wenming.inspections.models import (
        RoundKind,
        RoundPoint,
        RoundStatus,
        SampleMode,
    )
    from wenming.places import transfer
    from wenming.standards import formats, rules
    from wenming.standards.models import Method, RuleKind, SystemStatus

    words = {
        "round kinds and states": [*RoundKind.labels, *RoundStatus.labels, *SampleMode.labels,
                                   *RoundPoint.Status.labels],
        "scoring rules": [*RuleKind.labels, *rules.VERDICT_LABELS.values(), *rules.BY_LABELS.values(),
                          *Method.labels, *SystemStatus.labels],
        "columns": [*formats.COLUMNS, *transfer.COLUMNS],
    }[what]
    assert not _missing(words), f"{what} missing from docs/user-guide.md"


def test_api_doc_names_every_endpoint_value_and_field():
    """docs/api.md is the integrators' reference: every API operation (method and address, as
    the OpenAPI schema has them), every code value the API takes or returns, and every field an
    action takes are in it."""
    from wenming.cases.models import RequestKind, Severity, Source, State
    from wenming.cases.workflow.docs import NEEDS
    from wenming.config.api import api

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    operations = [f"{method.upper()} {path.replace('{code}', '<编号>').replace('{action}', '<操作名>')}"
                  for path, methods in api.get_openapi_schema()["paths"].items() for method in methods]
    assert len(operations) >= 5
    values = [f"`{value}`" for kind in (Severity, Source, State, RequestKind) for value in kind.values]
    fields = [f"`{name}`" for name in NEEDS] + [f"`{name}`" for name in (
        "title", "category", "area", "severity", "source", "address", "description", "latitude", "longitude",
        "idempotency_key", "Idempotency-Key", "X-CSRFToken", "Authorization", "limit", "offset", "count",
        "deadline_warning", "created_at",
        "results", "/api/openapi.json", "/api/docs")]
    missing = [word for word in operations + values + fields if word not in text]
    assert not missing, f"missing from docs/api.md: {missing}"


def test_api_doc_lists_every_error_code_with_its_status():
    """The error code table of docs/api.md is the error tree (core/errors.py): each code once, with
    the HTTP status its class answers with, and no code the tree does not have."""
    import re

    import wenming.core.photos  # noqa: F401  (its error class joins the tree)
    from wenming.core.errors import all_codes

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    table = text[text.index("## 错误代码"):]
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", table, flags=re.M))
    assert {code: int(status) for code, status in rows.items()} == all_codes()
