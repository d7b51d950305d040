"""The layers of DESIGN.md hold: core knows no web framework or voice SDK, voice knows no
Flask, and the schema Alembic builds is the schema the models describe."""

from __future__ import annotations

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
