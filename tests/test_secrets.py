"""No machine runs on a known key (issue 11, item 2): the embedded default makes random
SECRET_KEY/HASH_KEY once and keeps them in var/ (0600); every other start refuses without
them in one line; the demo's secrets are random per database; sandbox trust is one explicit
switch, so a Telegram-only deployment trusts nothing of the simulator's."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select

from core import credentials
from core import demo as demo_seed
from core.clock import FrozenClock
from core.config import Settings
from core.db import Database
from core.local_secrets import UnsafeSecretsFile, embedded_env, load_or_create
from core.models import Message, Shop, StaffUser
from core.services import bootstrap
from fulfillment.app import create_app
from fulfillment.simulator import sandbox_keys
from tests.conftest import BASE_URL, REPO
from tests.support.alexa import envelope
from tests.support.keys import HASH_KEY, SECRET_KEY

OLD_PUBLIC_SECRET = "dev-secret-change-me"
DIALOGFLOW_LAUNCH = {
    "responseId": "r1", "session": "projects/p/agent/sessions/s1",
    "queryResult": {"queryText": "share the referral program", "languageCode": "en",
                    "intent": {"displayName": "ShareProgram"}, "parameters": {}},
    "originalDetectIntentRequest": {"payload": {"userId": "demo-google-user-alex"}}}


def derived_demo_api_key(secret: str) -> str:
    """What the demo's API key used to be: computable by anyone who knows the secret."""
    return "rk_demo_" + hmac.new(secret.encode(), b"demo:api-key",
                                 hashlib.sha256).hexdigest()[:32]


def session_cookie(secret: str, data: dict[str, Any]) -> str:
    """A Flask session cookie signed offline with `secret`, as an attacker would make it."""
    forger = Flask("forger")
    forger.secret_key = secret
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return serializer.dumps(data)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "HASH_KEY", "SANDBOX", "DATABASE_URL", "VAR_DIR")}
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def embedded(tmp_path: Path, database: Database, clock: FrozenClock
             ) -> Iterator[SimpleNamespace]:
    """The app as `make run` builds it: secrets from var/ (made now), demo seeded."""
    env = embedded_env({"VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": database.url,
                        "BASE_URL": BASE_URL})
    services = bootstrap(Settings.from_env(env).with_(embedded_worker=False), db=database,
                         clock=clock, background_clicks=False)
    demo = demo_seed.seed(services)
    app = create_app(services=services)
    app.config["TESTING"] = True
    yield SimpleNamespace(services=services, client=app.test_client(), demo=demo, env=env)
    services.clicks.close()


def demo_staff_id(services: Any) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(StaffUser.id).where(
            StaffUser.email == demo_seed.STAFF_EMAIL)))


def test_a_console_cookie_forged_with_the_old_public_default_is_refused(embedded) -> None:
    from core import staff_accounts

    staff_id = demo_staff_id(embedded.services)
    with embedded.services.db.session() as session:
        grant = staff_accounts._grant(session, embedded.services,
                                      session.get(StaffUser, staff_id))
    staff = {"staff_id": staff_id, "sid": grant.session_token, "csrf": "x"}
    embedded.client.set_cookie("session", session_cookie(OLD_PUBLIC_SECRET, staff))
    refused = embedded.client.get("/console")
    assert refused.status_code == 302 and "/console/login" in refused.headers["Location"]
    # The same cookie signed with the key kept in var/ gets in: the forgery itself is sound.
    embedded.client.set_cookie("session", session_cookie(embedded.env["SECRET_KEY"], staff))
    assert embedded.client.get("/console").status_code == 200


def test_the_demo_api_key_derived_offline_is_refused(embedded) -> None:
    for secret in (OLD_PUBLIC_SECRET, embedded.env["SECRET_KEY"]):
        forged = embedded.client.get("/api/v1/program", headers={
            "Authorization": f"Bearer {derived_demo_api_key(secret)}"})
        assert forged.status_code == 401
        assert forged.get_json()["error"]["code"] == "bad_api_key"
    real = embedded.client.get("/api/v1/program", headers={
        "Authorization": f"Bearer {embedded.demo['api_key']}"})
    assert real.status_code == 200


def test_demo_secrets_are_random_per_database_and_the_same_on_every_seed(tmp_path: Path,
                                                                          clock) -> None:
    seen = []
    for name in ("one", "two"):
        db = Database(f"sqlite:///{tmp_path / name}.db")
        db.create_all()
        settings = Settings(database_url=db.url, base_url=BASE_URL, secret_key=SECRET_KEY,
                            hash_key=HASH_KEY, embedded_worker=False)
        services = bootstrap(settings, db=db, clock=clock, background_clicks=False)
        first, again = demo_seed.seed(services), demo_seed.seed(services)
        assert first == again
        assert demo_seed.demo_secrets(services)["api_key"] == first["api_key"]
        seen.append(first)
        db.dispose()
    one, two = seen
    for key in ("api_key", "webhook_secret"):
        assert one[key] != two[key]
    assert one["staff"]["password"] != two["staff"]["password"]
    assert one["dialogflow"]["es_secret"] != two["dialogflow"]["es_secret"]
    assert derived_demo_api_key("same-key") not in (one["api_key"], two["api_key"])


def test_a_database_seeded_by_an_older_version_loses_its_derived_demo_keys(services,
                                                                            client) -> None:
    """An old var/referrals.db holds keys derived from the public default: seeding revokes
    them and makes random ones."""
    demo_seed.seed(services)
    old_key = derived_demo_api_key(OLD_PUBLIC_SECRET)
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == demo_seed.SLUG))
        shop.settings = {k: v for k, v in shop.settings.items()
                         if k != demo_seed.SECRETS_SETTING}  # as the older version left it
        credentials.add_api_key(session, shop, old_key)
        credentials.add_webhook_secret(session, shop, services.box, "whsec_demo_" + "0" * 32)
    assert client.get("/api/v1/program",
                      headers={"Authorization": f"Bearer {old_key}"}).status_code == 200
    fresh = demo_seed.seed(services)
    assert client.get("/api/v1/program",
                      headers={"Authorization": f"Bearer {old_key}"}).status_code == 401
    assert client.get("/api/v1/program", headers={
        "Authorization": f"Bearer {fresh['api_key']}"}).status_code == 200
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == demo_seed.SLUG))
        assert credentials.webhook_secrets(session, shop, services.box,
                                           services.clock) == [fresh["webhook_secret"]]


def test_the_embedded_secrets_are_made_once_with_mode_0600_and_others_cannot_read_them(
        tmp_path: Path) -> None:
    first = load_or_create(tmp_path / "var")
    path = tmp_path / "var" / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(tmp_path / "var") == first
    assert len(first["SECRET_KEY"]) >= 40 and first["SECRET_KEY"] != first["HASH_KEY"]
    assert load_or_create(tmp_path / "elsewhere") != first
    path.chmod(0o644)
    with pytest.raises(UnsafeSecretsFile, match="chmod 600"):
        load_or_create(tmp_path / "var")
    path.chmod(0o600)
    path.write_text("{not json")
    with pytest.raises(UnsafeSecretsFile, match="lacks SECRET_KEY"):
        load_or_create(tmp_path / "var")


def test_secrets_in_the_environment_win_and_then_nothing_is_written(tmp_path: Path) -> None:
    env = embedded_env({"VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": SECRET_KEY,
                        "HASH_KEY": HASH_KEY})
    assert (env["SECRET_KEY"], env["HASH_KEY"], env["SANDBOX"]) == (SECRET_KEY, HASH_KEY, "1")
    assert not (tmp_path / "var").exists()


COMMANDS_NEEDING_SECRETS = [
    ["-m", "fulfillment", "serve"],
    ["-m", "fulfillment", "serve", "--workers", "2"],
    ["-m", "fulfillment", "worker"],
    ["-m", "fulfillment", "worker", "--once"],
    ["-m", "fulfillment", "rewards", "release"],
    ["-m", "fulfillment", "rewards", "release", "--every", "60"],
    ["-m", "fulfillment", "alice-images", "--once"],
    ["-m", "fulfillment", "demo", "--json"],
    ["-m", "fulfillment", "simulate", "help"],
    ["-c", "import fulfillment.wsgi"],
]


@pytest.mark.parametrize("args", COMMANDS_NEEDING_SECRETS, ids=" ".join)
@pytest.mark.parametrize("given, missing", [({}, "SECRET_KEY"),
                                            ({"SECRET_KEY": SECRET_KEY}, "HASH_KEY")])
def test_every_start_outside_the_embedded_default_refuses_without_its_secrets_in_one_line(
        tmp_path: Path, args: list[str], given: dict[str, str], missing: str) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", PORT=str(free_port()),
                    **given)
    out = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{missing} is not set" in lines[0], out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_gunicorn_on_the_wsgi_app_stops_with_the_line_instead_of_respawning_workers(
        tmp_path: Path) -> None:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    out = subprocess.run([gunicorn, "-b", f"127.0.0.1:{free_port()}", "--no-control-socket",
                          "fulfillment.wsgi:app"], cwd=REPO, capture_output=True, text=True,
                         env=clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"),
                         timeout=60)
    assert out.returncode != 0
    assert out.stderr.count("SECRET_KEY is not set") == 1, out.stderr
    assert "Traceback" not in out.stderr and "App failed to load" in out.stderr


def test_a_published_default_is_refused_like_a_missing_key(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
                    SECRET_KEY=OLD_PUBLIC_SECRET, HASH_KEY=HASH_KEY)
    out = subprocess.run([sys.executable, "-m", "fulfillment", "worker", "--once"], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "SECRET_KEY is a published default" in out.stderr
    assert "Traceback" not in out.stderr


def _fulfillment(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([sys.executable, "-m", "fulfillment", "--embedded", *args], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out


def _serve_embedded(env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "fulfillment", "--embedded", "serve"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{env['PORT']}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            if requests.get(base + "/readyz", timeout=5).status_code == 200:
                return proc
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the embedded server did not become ready")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def _login(http: requests.Session, base: str, demo: dict[str, Any]) -> None:
    page = http.get(base + "/console/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    http.post(base + "/console/login", data={"email": demo["staff"]["email"],
                                             "password": demo["staff"]["password"],
                                             "csrf_token": token}, timeout=10)


def test_make_run_makes_its_secrets_once_in_var_and_the_second_start_reuses_them(
        tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = clean_env(VAR_DIR=str(var), PORT=str(free_port()), EMBEDDED_WORKER="0")
    env.pop("BASE_URL", None)
    base = f"http://127.0.0.1:{env['PORT']}"
    _fulfillment(env, "db", "upgrade")
    demo = json.loads(_fulfillment(env, "demo", "--json").stdout)
    secrets_file = var / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    stored = secrets_file.read_text()
    api = {"Authorization": f"Bearer {demo['api_key']}"}
    http = requests.Session()

    proc = _serve_embedded(env)
    try:
        assert requests.get(base + "/api/v1/program", headers=api, timeout=10).ok
        _login(http, base, demo)
        assert http.get(base + "/console", timeout=10, allow_redirects=False).status_code == 200
    finally:
        _stop(proc)

    proc = _serve_embedded(env)  # the second start: same keys, so the same sessions
    try:
        assert secrets_file.read_text() == stored
        assert json.loads(_fulfillment(env, "demo", "--json").stdout) == demo
        assert requests.get(base + "/api/v1/program", headers=api, timeout=10).ok
        assert http.get(base + "/console", timeout=10, allow_redirects=False).status_code == 200
    finally:
        _stop(proc)


def _deployment(database: Database, clock: FrozenClock, **env: str) -> SimpleNamespace:
    """A deployment configured from the environment with only Telegram for messaging.
    Amazon's certificate URL and Google's key endpoint answer with the simulator's own
    material (an attacker's stand-in for Amazon's URL); Google's endpoint serves Google's
    keys, which never include the simulator's."""
    settings = Settings.from_env({"DATABASE_URL": database.url, "BASE_URL": BASE_URL,
                                  "SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY,
                                  "TELEGRAM_BOT_TOKEN": "123:ABC",
                                  "TELEGRAM_BOT_USERNAME": "ShopBot", **env})
    services = bootstrap(settings.with_(embedded_worker=False), db=database, clock=clock,
                         background_clicks=False)
    keys = sandbox_keys.create(services)
    services.adapters.alexa_cert_fetcher = lambda url: sandbox_keys.pem(keys.leaf, keys.ca)
    services.adapters.google_certs_fetcher = lambda url: (
        200, {"Cache-Control": "max-age=60"}, b"{}")
    app = create_app(services=services)
    demo = demo_seed.seed(services)
    return SimpleNamespace(services=services, app=app, client=app.test_client(), demo=demo,
                           keys=sandbox_keys.sandbox_keys(services) or keys)


def _signed_alexa_share(deployment: SimpleNamespace) -> Any:
    body = json.dumps(envelope(skill_id=deployment.demo["skill_ids"]["alexa"],
                               user_id=deployment.demo["voice_users"]["alexa"],
                               intent="ShareProgram", now=deployment.services.clock())).encode()
    return deployment.client.post("/alexa/demo", data=body, content_type="application/json",
                                  headers=deployment.keys.alexa_headers(body))


def _signed_dialogflow_share(deployment: SimpleNamespace) -> Any:
    token = deployment.keys.google_id_token(deployment.demo["dialogflow"]["audience"],
                                            deployment.demo["dialogflow"]["service_agent"])
    return deployment.client.post("/dialogflow/demo", data=json.dumps(DIALOGFLOW_LAUNCH),
                                  content_type="application/json",
                                  headers={"Authorization": f"Bearer {token}"})


def _messages(services: Any) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count(Message.id))))


def test_a_telegram_only_deployment_does_not_trust_the_sandbox_keys(database, clock) -> None:
    deployment = _deployment(database, clock)
    settings = deployment.services.settings
    assert (settings.sandbox, settings.messaging_mode) == (False, "live")
    alexa = _signed_alexa_share(deployment)
    assert alexa.status_code == 400
    assert alexa.get_json()["error"]["code"] == "verification_failed"
    assert _signed_dialogflow_share(deployment).status_code == 401
    assert _messages(deployment.services) == 0
    deployment.services.clicks.close()


def test_with_sandbox_on_the_same_signed_requests_are_answered(database, clock) -> None:
    deployment = _deployment(database, clock, SANDBOX="1")
    assert deployment.services.settings.sandbox is True
    assert _signed_alexa_share(deployment).status_code == 200
    assert _signed_dialogflow_share(deployment).status_code == 200
    assert _messages(deployment.services) >= 1
    deployment.services.clicks.close()
