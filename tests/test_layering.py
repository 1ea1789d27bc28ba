"""The imports point inwards only (DESIGN §2): the domain imports nothing of ours."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = {"click", "fastapi", "starlette", "openpyxl", "pandas", "jinja2",
              "apscheduler", "uvicorn", "rich", "docxtpl", "weasyprint"}  # fmt: skip


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    folder = ROOT / package
    if folder.is_file():
        return [folder]
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


def _violations(package: str, forbidden: set[str]) -> list[str]:
    found = []
    for path in _modules(package):
        for name in _imports(path):
            top = name.split(".")[0]
            if any(name == f or name.startswith(f + ".") for f in forbidden) or (
                top in forbidden
            ):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_domain_imports_nothing_else_of_the_project() -> None:
    forbidden = {"portfolio.storage", "portfolio.services", "portfolio.cli",
                 "portfolio.web", "portfolio.config", "portfolio.notify",
                 "imports", "reports", "scheduler"} | FRAMEWORKS  # fmt: skip
    assert _violations("portfolio/domain", forbidden) == []


def test_storage_and_services_do_not_import_the_doors_or_adapters() -> None:
    # Services apply what the adapters produce (records live in the domain), so
    # they never import ``imports`` or ``reports`` themselves.
    outer = {"portfolio.cli", "portfolio.web", "scheduler", "click", "fastapi",
             "imports", "reports"}  # fmt: skip
    for package in ("portfolio/storage", "portfolio/services"):
        assert _violations(package, outer) == []


def test_adapters_do_not_import_each_other_or_the_doors() -> None:
    doors = {"portfolio.cli", "portfolio.web", "scheduler"}
    if (ROOT / "imports").is_dir():
        assert _violations("imports", doors | {"reports"}) == []
    if (ROOT / "reports").is_dir():
        assert _violations("reports", doors | {"imports"}) == []


def test_the_layering_check_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from portfolio.storage.db import make_engine\nimport click\n")
    assert _imports(bad) == {"portfolio.storage.db", "click"}
