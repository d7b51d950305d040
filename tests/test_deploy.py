"""Production serving (issue 11, item 8): every command in the Procfile and in the systemd
units starts against a fresh database and comes up (the web answers readiness, the jobs stay
up or finish cleanly) and stops on SIGTERM; `serve` is gunicorn with the asked-for number of
workers; liveness and readiness say what they mean; proxy headers count only from
TRUSTED_PROXIES."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from flask import request
from sqlalchemy import select, text

from core import codes
from core.db import Database
from core.hashing import keyed_hash
from core.models import Click
from tests.conftest import REPO
from tests.support.databases import postgres_configured, private_postgres
from tests.support.keys import HASH_KEY, SECRET_KEY

VENV_PYTHON = "/opt/referrals/.venv/bin/python"
UNITS = sorted((REPO / "deploy").glob("*.service"))
SECRETS = {"SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def procfile() -> dict[str, str]:
    entries = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def unit(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser["Service"]


def systemd_argv(exec_start: str, env: dict[str, str]) -> list[str]:
    """ExecStart as systemd runs it: ${VAR} from the environment file, %i the instance,
    the deployment's venv python is this one."""
    expanded = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], exec_start.replace("%i", "1"))
    argv = shlex.split(expanded)
    assert argv[0] == VENV_PYTHON, argv
    return [sys.executable, *argv[1:]]


@pytest.fixture(params=["sqlite", "postgresql"])
def deploy_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """What /etc/referrals/referrals.env holds, on a database nobody migrated yet."""
    base = {k: v for k, v in os.environ.items() if k not in ("SANDBOX", "VAR_DIR")}
    base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
    env = {**base, **SECRETS, "HOST": "127.0.0.1", "PORT": str(free_port()),
           "WEB_CONCURRENCY": "2", "BASE_URL": "https://refer.test", "TRUSTED_PROXIES": "1",
           "YANDEX_DIALOGS_URL": "http://127.0.0.1:9/"}
    if request.param == "sqlite":
        yield {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.db'}"}
        return
    if not postgres_configured():
        pytest.skip("PostgreSQL: set TEST_DATABASE_URL to run")
    with private_postgres() as url:
        yield {**env, "DATABASE_URL": url}


def wait_ready(proc: subprocess.Popen[bytes], port: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited with {proc.returncode}"
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # workers still booting
            pass
        time.sleep(0.25)
    raise AssertionError("never ready")


def _wait_started(proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """A job logs "... started" once its SIGTERM handler is in place; before that line a
    SIGTERM would just end a process that is still importing."""
    assert proc.stderr is not None
    seen: list[str] = []
    started = threading.Event()

    def read() -> None:
        for raw in proc.stderr:  # type: ignore[union-attr]
            seen.append(raw.decode(errors="replace"))
            if " started" in seen[-1]:
                started.set()

    threading.Thread(target=read, daemon=True).start()
    assert started.wait(timeout), "".join(seen)


def run_until_stopped(argv: list[str], env: dict[str, str], *, web: bool,
                      shell: bool = False) -> None:
    """A web process must answer readiness; any other long-running job must say it started
    and still be up a few seconds later. Both must stop cleanly on SIGTERM."""
    proc = subprocess.Popen(argv, cwd=REPO, env=env, shell=shell, start_new_session=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL if web else subprocess.PIPE)
    try:
        if web:
            wait_ready(proc, env["PORT"])
            assert requests.get(f"http://127.0.0.1:{env['PORT']}/livez", timeout=5).ok
        else:
            _wait_started(proc)
            time.sleep(2)
            assert proc.poll() is None
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        raise
    os.killpg(proc.pid, signal.SIGTERM)  # the group: `sh -c` and what it started
    code = proc.wait(timeout=45)
    # Our process exits 0 on SIGTERM; a Procfile's `sh -c` may itself die of the signal.
    assert code == 0 or (shell and code == -signal.SIGTERM)
    deadline = time.monotonic() + 45
    while _group_alive(proc.pid):
        assert time.monotonic() < deadline, "a process of the group outlived SIGTERM"
        time.sleep(0.1)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_every_procfile_command_comes_up_and_stops(deploy_env) -> None:
    entries = procfile()
    assert {"release", "web", "worker"} <= set(entries)
    release = subprocess.run(entries.pop("release"), shell=True, cwd=REPO, env=deploy_env,
                             capture_output=True, text=True, timeout=120)
    assert release.returncode == 0, release.stderr
    for name, command in entries.items():
        run_until_stopped(command, deploy_env, web=name == "web", shell=True)


def test_every_systemd_unit_comes_up_and_stops(deploy_env) -> None:
    names = {path.name for path in UNITS}
    assert {"referrals-web.service", "referrals-worker@.service",
            "referrals-migrate.service"} <= names
    services = {path.name: unit(path) for path in UNITS}
    for service in services.values():
        assert service["EnvironmentFile"] == "/etc/referrals/referrals.env"
        assert service["WorkingDirectory"] == "/opt/referrals"
    oneshots = [s for s in services.values() if s.get("Type") == "oneshot"]
    for service in oneshots:  # migrations first, as the units' ordering says
        done = subprocess.run(systemd_argv(service["ExecStart"], deploy_env), cwd=REPO,
                              env=deploy_env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    for name, service in services.items():
        if service.get("Type") != "oneshot":
            run_until_stopped(systemd_argv(service["ExecStart"], deploy_env), deploy_env,
                              web=name == "referrals-web.service")


def test_the_example_environment_file_names_every_variable_the_units_use() -> None:
    example = (REPO / "deploy" / "referrals.env.example").read_text()
    named = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    used = {m for path in UNITS for m in re.findall(r"\$\{(\w+)\}", unit(path)["ExecStart"])}
    assert used <= named
    assert {"DATABASE_URL", "SECRET_KEY", "HASH_KEY", "BASE_URL", "TRUSTED_PROXIES"} <= named


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_serve_is_gunicorn_with_the_asked_for_number_of_worker_processes(tmp_path) -> None:
    env = {**os.environ, **SECRETS, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    env.pop("SANDBOX", None)
    subprocess.run([sys.executable, "-m", "fulfillment", "db", "upgrade"], cwd=REPO, env=env,
                   check=True, capture_output=True, timeout=120)
    port = str(free_port())
    proc = subprocess.Popen([sys.executable, "-m", "fulfillment", "serve", "--bind",
                             f"127.0.0.1:{port}", "--workers", "3"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(proc, port)
        deadline = time.monotonic() + 30
        while len(_children(proc.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_children(proc.pid)) == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=45) == 0
    log = proc.stderr.read().decode() if proc.stderr else ""
    assert "Starting gunicorn" in log and "Using worker: gthread" in log


def test_the_embedded_server_is_one_process(tmp_path) -> None:
    out = subprocess.run([sys.executable, "-m", "fulfillment", "--embedded", "serve",
                          "--workers", "2"], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "VAR_DIR": str(tmp_path)}, timeout=60)
    assert out.returncode == 2 and "drop --embedded" in out.stderr


def test_liveness_needs_no_database_and_readiness_needs_the_migrated_schema(tmp_path) -> None:
    from core.config import Settings
    from core.migrate import upgrade
    from core.services import bootstrap
    from fulfillment.app import create_app

    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    settings = Settings(database_url=empty.url, secret_key=SECRETS["SECRET_KEY"],
                        hash_key=SECRETS["HASH_KEY"], embedded_worker=False)
    services = bootstrap(settings, db=empty, background_clicks=False)
    client = create_app(services=services).test_client()
    assert client.get("/livez").get_json() == {"status": "ok"}
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.get_json()["schema"] == "missing"
    upgrade(empty.url)
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok"}
    with empty.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    behind = client.get("/readyz")
    assert behind.status_code == 503 and behind.get_json()["schema"] == "behind"
    assert client.get("/healthz").status_code == 503  # the older name answers the same
    assert client.get("/livez").status_code == 200
    services.close()
    empty.dispose()


def _client(services, trusted_proxies: int):  # type: ignore[no-untyped-def]
    from fulfillment.app import create_app

    app = create_app(services=replace(services, settings=services.settings.with_(
        trusted_proxies=trusted_proxies)))
    app.add_url_rule("/_scheme", "scheme", lambda: request.scheme)
    return app.test_client()


def _click_ip_hash(services, client, demo, headers: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    client.get(f"/r/{codes.normalize(demo['code'])}", headers=headers)
    services.clicks.flush()
    with services.db.session() as session:
        return str(session.scalars(select(Click.ip_hash).order_by(Click.id.desc())).first())


def test_forwarded_headers_count_only_behind_a_trusted_proxy(services, demo) -> None:
    forged = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Forwarded-Proto": "https"}
    hash_key = services.settings.hash_key
    direct = _client(services, 0)
    assert _click_ip_hash(services, direct, demo, forged) == keyed_hash(hash_key, "127.0.0.1")
    assert direct.get("/_scheme", headers=forged).get_data(as_text=True) == "http"
    behind = _client(services, 1)
    # One proxy: its own entry (the last) is the client; the rest is the client's to forge.
    assert _click_ip_hash(services, behind, demo, forged) == keyed_hash(hash_key,
                                                                        "203.0.113.9")
    assert behind.get("/_scheme", headers=forged).get_data(as_text=True) == "https"


def test_ci_starts_no_service_the_product_does_not_use() -> None:
    """`.ci/run` started a Redis server nothing used (issue 26, item 15): every server it
    starts must be named by the product's requirements or code."""
    script = (REPO / ".ci" / "run").read_text()
    product = "\n".join(path.read_text() for path in [
        REPO / "requirements.txt", *sorted((REPO / "core").rglob("*.py")),
        *sorted((REPO / "fulfillment").rglob("*.py"))])
    started = set(re.findall(r"\b(redis|memcached|rabbitmq|mysql|mongo)\w*-server\b|"
                             r"\b(redis|memcached|rabbitmq|mysql|mongo)d\b", script))
    for match in started:
        name = next(part for part in match if part)
        assert re.search(rf"^\s*(import|from)\s+{name}|^{name}\b", product, re.MULTILINE), (
            f".ci/run starts {name}, which nothing in the product imports")
