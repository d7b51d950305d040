"""The layers of docs/architecture.md hold: core knows no web framework or voice SDK, voice
knows no Flask, the schema Alembic builds is the schema the models describe, and the
repository stands alone (nothing reads a folder beside it)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.migrate import upgrade
from core.models import Base

REPO = Path(__file__).resolve().parent.parent


def test_the_import_layer_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([lint_imports, "--no-cache"], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_migrations_build_exactly_the_schema_the_models_describe(database) -> None:
    from sqlalchemy import text

    with database.engine.begin() as conn:  # start from nothing, as `make run` does
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(database.url)
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


@pytest.mark.parametrize("module, forbidden", [
    ("core", ("flask", "ask_sdk_core", "flask_ask_sdk", "google", "fulfillment", "voice")),
    # voice holds the platform adapters, so ask-sdk-core is fine there; Flask is not.
    ("voice", ("flask", "flask_ask_sdk", "fulfillment")),
])
def test_lower_layers_import_without_the_layers_above(module: str,
                                                      forbidden: tuple[str, ...]) -> None:
    code = (
        f"import sys, pkgutil, importlib, {module}\n"
        f"for m in pkgutil.walk_packages({module}.__path__, '{module}.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = [n for n in {forbidden!r} if n in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _status_literals(path: Path) -> list[str]:
    """`x.status == "sent"`, `x.status in ("a", "b")`, `X.status.in_(("a", "b"))`,
    `x.status = "sent"`, `status="sent"`."""
    import ast

    def is_status(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "status"

    def literal(node: ast.AST | None) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.IfExp):
            return literal(node.body) or literal(node.orelse)
        return isinstance(node, ast.Tuple) and any(literal(e) for e in node.elts)

    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(map(is_status, sides)) and any(map(literal, sides)):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for target in targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                if any(is_status(n) and literal(v) for n, v in zip(names, values, strict=False)):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "in_" and is_status(node.func.value)
              and any(map(literal, node.args))):
            found.append(f"{path.relative_to(REPO)}:{node.lineno}")
        elif isinstance(node, ast.keyword) and node.arg == "status" and literal(node.value):
            found.append(f"{path.relative_to(REPO)}:{node.value.lineno}")
    return found


def test_statuses_are_compared_and_set_through_their_enums() -> None:
    """A misspelt status literal matches nothing and fails silently; an enum member that
    does not exist fails mypy."""
    found = [hit for layer in ("core", "voice", "fulfillment")
             for path in sorted((REPO / layer).rglob("*.py"))
             for hit in _status_literals(path)]
    assert found == []


# A path that climbs out of the repository, or names this machine's layout: a clone anywhere
# else would fail on it. (Written so these patterns do not match their own source.)
OUTSIDE = re.compile(r"\.\./shared|REPO\.parent\b|parent\.parent\.parent|parents\[[2-9]\]"
                     r"|/wor[k]/")
SCANNED = ("core", "voice", "fulfillment", "tests", "bench", "scripts", "migrations", "deploy",
           ".ci", "Makefile", "Procfile", "pyproject.toml", "alembic.ini")


def _frozen_record(path: Path) -> bool:
    """A blind set's files record, frozen by checksum, what their writer was shown (paths of
    the machine they were written on included, in the README and the `source:` lines); they
    are data and prose that read nothing, and may not be edited."""
    relative = path.relative_to(REPO).parts
    return len(relative) == 3 and relative[0] == "tests" and relative[1].startswith("nlu_blind")


def test_nothing_reads_outside_the_repository() -> None:
    """The protocol samples and the architecture live in the repository, so a clone alone
    (no folder beside it) runs every test."""
    files = [path for name in SCANNED for path in
             ([REPO / name] if (REPO / name).is_file() else sorted((REPO / name).rglob("*")))
             if path.is_file() and "fixtures" not in path.parts
             and path.suffix not in {".png", ".pyc", ".mo"} and not _frozen_record(path)]
    hits = [f"{path.relative_to(REPO)}:{number}"
            for path in files
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
            if OUTSIDE.search(line)]
    assert hits == []
    assert (REPO / "docs" / "architecture.md").is_file()
    assert (REPO / "tests" / "fixtures" / "protocol-samples" / "README.md").is_file()


def test_the_migrations_have_one_head() -> None:
    """Two branches that each add a migration after the same parent merge cleanly in git
    but leave Alembic two heads (`db upgrade` then refuses): renumber one after the other."""
    from core.migrate import shipped_heads

    assert len(shipped_heads("sqlite://")) == 1, shipped_heads("sqlite://")
