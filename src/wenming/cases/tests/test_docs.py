from pathlib import Path

from wenming.cases.docs import workflow_markdown

DOC = Path(__file__).resolve().parents[4] / "docs" / "workflow.md"


def test_workflow_doc_is_generated_from_the_table():
    assert DOC.read_text(encoding="utf-8") == workflow_markdown(), \
        "docs/workflow.md is stale: run `wenming manage workflow_doc`"
