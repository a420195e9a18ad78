"""The base layer (core, org) imports nothing above it — not at module level, not inside a
function, not in its tests (DESIGN.md §3). Apps above plug into it through core/extensions.py."""

import ast
from pathlib import Path

import wenming

ROOT = Path(wenming.__file__).parent
BASE = ("core", "org")
ABOVE = ("cases", "inspections", "places", "standards", "bulletins", "scoring", "dashboard", "demo", "bench", "devtools", "cli")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(("wenming",) + path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{module}" if module else base
            yield node.lineno, module
            for alias in node.names:  # "from wenming import cases"
                yield node.lineno, f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in {
                "import_module", "__import__"}:
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def test_base_layer_imports_nothing_above_it():
    offending = []
    for layer in BASE:
        for path in sorted((ROOT / layer).rglob("*.py")):
            for line, module in _imports(path):
                if any(module == f"wenming.{up}" or module.startswith(f"wenming.{up}.") for up in ABOVE):
                    offending.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offending == []


def test_the_walker_sees_imports_inside_functions(tmp_path):
    """The check itself: an import hidden in a function body is found."""
    sample = ROOT / "core" / "_layering_probe.py"
    sample.write_text("def f():\n    from wenming.cases.models import Problem\n    from ..cases.workflow import views\n",
                      encoding="utf-8")
    try:
        found = [module for _, module in _imports(sample)]
    finally:
        sample.unlink()
    assert "wenming.cases.models" in found and "wenming.cases.workflow.views" in found
