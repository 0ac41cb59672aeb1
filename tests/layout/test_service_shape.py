"""Every service has the same shape (docs/architecture.md, "One shape per service"): `service.py` lists the
entrypoints and each is a few lines; `domain/` is pure; `usecases/` and `repository/` exist."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHAPED = ("intake", "media", "routing", "notify", "feedback", "accounts")
IMPURE = ("nameko", "eventlet", "sqlalchemy")
ENTRYPOINTS = ("rpc", "event_handler", "timer", "consumes")
MAX_STATEMENTS = 9  # an entrypoint validates, calls one use case, commits, maybe logs


def imported(path: Path) -> set[str]:
    """Top-level names of every module a file imports (relative imports resolved within its service)."""
    tree, names = ast.parse(path.read_text()), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("service", SHAPED)
def test_the_service_has_the_common_folders(service):
    base = ROOT / "services" / service
    assert (base / "service.py").is_file()
    for folder in ("domain", "usecases", "repository"):
        assert (base / folder / "__init__.py").is_file(), f"{service}/{folder}"
    assert (base / "repository" / "models.py").is_file()


@pytest.mark.parametrize(
    "module",
    sorted(
        str(p.relative_to(ROOT)) for s in SHAPED for p in (ROOT / "services" / s / "domain").rglob("*.py")
    ),
)
def test_domain_modules_are_pure(module):
    assert imported(ROOT / module) & set(IMPURE) == set()


def entrypoints(service: str):
    """(name, statements) of every decorated entrypoint of the service class; -1 when it has no docstring."""
    tree = ast.parse((ROOT / "services" / service / "service.py").read_text())
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
            decorators = {ast.unparse(d).split("(")[0].split(".")[-1] for d in fn.decorator_list}
            if decorators & set(ENTRYPOINTS):
                body = fn.body[1:] if isinstance(fn.body[0], ast.Expr) else fn.body  # without the docstring
                if not ast.get_docstring(fn):
                    yield fn.name, -1  # undocumented
                    continue
                yield fn.name, sum(1 for node in body for _ in ast.walk(node) if isinstance(_, ast.stmt))


@pytest.mark.parametrize("service", SHAPED)
def test_entrypoints_are_thin_and_documented(service):
    found = dict(entrypoints(service))
    assert found, f"{service}: no entrypoint found"
    thick = {name: n for name, n in found.items() if n > MAX_STATEMENTS}
    undocumented = [name for name, n in found.items() if n < 0]
    assert (thick, undocumented) == ({}, [])
