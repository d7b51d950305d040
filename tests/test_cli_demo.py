"""`python -m fulfillment demo --json` gives a new user everything to try the product."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from fulfillment.cli import main
from tests.support.keys import HASH_KEY, SECRET_KEY

REPO = Path(__file__).resolve().parent.parent
SECRETS = {"SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY}


def _run_demo(database_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "BASE_URL": "http://127.0.0.1:8123",
           **SECRETS}
    result = CliRunner().invoke(main, ["demo", "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_demo_json_names_the_shop_customer_code_link_and_qr_urls(database) -> None:
    data = _run_demo(database.url)
    assert data["shop"] == "demo"
    assert data["customer"]["email"] == "alex@example.com"
    assert data["customer"]["phone"] == "+15555550100"
    compact = data["code"].replace("-", "")
    assert data["link"] == f"http://127.0.0.1:8123/r/{compact}?c=voice"
    assert data["qr_png"] == f"http://127.0.0.1:8123/qr/{compact}.png"
    assert data["qr_svg"].endswith(".svg")
    assert {"api_key", "webhook_secret", "voice_users", "voice_users_unlinked",
            "skill_ids", "staff"} <= set(data)


def test_running_the_demo_twice_changes_nothing(database) -> None:
    assert _run_demo(database.url) == _run_demo(database.url)


def test_db_upgrade_then_demo_work_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", **SECRETS}
    for args in (["db", "upgrade"], ["demo", "--json"]):
        result = subprocess.run([sys.executable, "-m", "fulfillment", *args], cwd=REPO, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["shop"] == "demo"
