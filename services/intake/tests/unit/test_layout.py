"""Intake's layers stay apart: domain/ is pure, repository/ is SQL without nameko, use cases know no
nameko."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("nameko", "eventlet")


def imports_of(path: Path) -> set[str]:
    """Every module a file imports (relative ones as `.name` / `..name`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).glob("*.py"))


def test_every_folder_has_modules():
    assert all(modules(folder) for folder in ("domain", "repository", "usecases"))


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_domain_modules_are_pure(path):
    forbidden = FRAMEWORKS + ("sqlalchemy", "libs.platform", "..repository", "..usecases", "..dependencies")
    assert not {m for m in imports_of(path) if m.startswith(forbidden)}


@pytest.mark.parametrize(
    "path", modules("repository") + modules("usecases"), ids=lambda p: f"{p.parent.name}.{p.stem}"
)
def test_repository_and_use_cases_know_no_nameko(path):
    assert not {m for m in imports_of(path) if m.startswith(FRAMEWORKS + ("..dependencies", "..service"))}


@pytest.mark.parametrize("path", modules("repository"), ids=lambda p: p.name)
def test_repository_modules_do_not_call_use_cases(path):
    assert not {m for m in imports_of(path) if m.startswith("..usecases")}
