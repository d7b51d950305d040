"""A worker loads what it serves: building the app imports neither the MCP SDK (about 29 MB
and 300 modules, docs/benchmarks.md), which the first MCP request loads, nor Alembic (8 MB),
which only migrating needs: the readiness probe reads the shipped heads from the migration
files, and they are Alembic's own. The imports are checked in a fresh interpreter, since
this test process has imported everything already."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO
from tests.test_deploy import SECRETS

PROBE = """
import json, sys
from core.config import Settings
from core.db import Database
from core.services import bootstrap
from fulfillment.app import create_app
db = Database("sqlite://")
db.create_all()
settings = Settings(database_url="sqlite://", secret_key=sys.argv[1], hash_key=sys.argv[2],
                    embedded_worker=False)
app = create_app(services=bootstrap(settings, db=db, background_clicks=False))
loaded = lambda: sorted({m.split(".")[0] for m in sys.modules}
                        & {"mcp", "pydantic", "a2wsgi", "alembic"})
before = loaded()
status = app.test_client().post("/mcp/nosuchshop", json={}).status_code
print(json.dumps({"before": before, "after": loaded(), "status": status}))
"""


def test_the_mcp_sdk_loads_with_the_first_mcp_request_not_with_the_app() -> None:
    env = {**os.environ, **SECRETS}
    out = subprocess.run([sys.executable, "-c", PROBE, SECRETS["SECRET_KEY"],
                          SECRETS["HASH_KEY"]], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["before"] == []
    assert seen["after"] == ["a2wsgi", "mcp", "pydantic"]
    assert seen["status"] == 404  # answered by the MCP side: no such shop


def test_the_shipped_heads_read_from_the_files_are_alembics_heads() -> None:
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config, shipped_heads

    alembics = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert shipped_heads() == frozenset(alembics) and alembics


def test_warming_compiles_every_catalog_so_workers_share_them() -> None:
    from voice import i18n

    i18n.translator.cache_clear()
    i18n._catalog.cache_clear()
    i18n.warm()
    assert i18n._catalog.cache_info().currsize == len(i18n.LANGUAGES)
    misses = i18n.translator.cache_info().misses
    assert i18n.translator("de-DE").money(1000, "EUR")  # a worker's turn: nothing new to load
    assert i18n.translator.cache_info().misses == misses
