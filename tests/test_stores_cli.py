"""Until the onboarding page exists, a shop's store is connected from a shell: `stores
connect` seals the credentials and prints the status (never the token), and `stores run
--once` runs the store job (here it refuses the loopback URL, as it must outside tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from core.db import Database
from core.models import StoreConnection, StoreJob
from tests.conftest import REPO
from tests.support.keys import HASH_KEY, SECRET_KEY


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fulfillment", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_stores_connect_and_run_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "DATABASE_URL": url, "BASE_URL": "https://refer.test",
           "EMBEDDED_WORKER": "0", "SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY,
           "WC_CONSUMER_SECRET": "cs_from_the_environment"}
    for args in (["db", "upgrade"], ["demo"]):
        assert run(env, *args).returncode == 0
    out = run(env, "stores", "connect", "--shop", "demo", "--platform", "woocommerce",
              "--domain", "https://127.0.0.1:9", "--consumer-key", "ck_cli_key_1234")
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)
    assert status["webhook_url"] == "https://refer.test/woocommerce/demo/webhooks"
    assert status["token_hint"] == "1234" and "ck_cli_key_1234" not in out.stdout
    assert "cs_from_the_environment" not in out.stdout and len(status["webhook_secret"]) > 30
    bad = run(env, "stores", "connect", "--shop", "demo", "--platform", "shopify",
              "--domain", "example.com")
    assert bad.returncode == 1 and "Error: schema: shop_domain must look like" in bad.stderr
    assert "Traceback" not in bad.stderr

    ran = run(env, "stores", "run", "--once")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "done 0, retried 0, failed 2"
    database = Database(url)
    with database.session() as session:
        conn = session.scalar(select(StoreConnection))
        assert "ck_cli_key_1234" not in conn.credentials_sealed
        assert {j.status for j in session.scalars(select(StoreJob))} == {"failed"}
        assert "non-public address" in (conn.last_error or "")
    database.dispose()


def test_the_shopify_app_toml_is_printed_for_the_deployment(tmp_path: Path) -> None:
    import tomllib

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "BASE_URL": "https://refer.example", "EMBEDDED_WORKER": "0",
           "SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY,
           "SHOPIFY_API_KEY": "cli-api-key", "SHOPIFY_API_SECRET": "cli-api-secret",
           "SHOPIFY_SCOPES": "read_orders,write_discounts"}
    out = run(env, "stores", "shopify-app-toml")
    assert out.returncode == 0, out.stderr
    config = tomllib.loads(out.stdout)
    assert config["client_id"] == "cli-api-key" and "cli-api-secret" not in out.stdout
    assert config["application_url"] == "https://refer.example/shopify/install"
    assert config["access_scopes"]["scopes"] == "read_orders,write_discounts"
    assert config["auth"]["redirect_urls"] == ["https://refer.example/shopify/callback"]
