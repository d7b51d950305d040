"""Connect Salute: the page shows the shop's secret webhook URL and takes the SmartApp Studio
project id; rotating the token makes a new URL and the old one is refused at once, with the
reason on the live status; the try-it box and the simulator speak through the secret URL;
the export names the URL and the project for Studio."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fulfillment.simulator.turns import Simulator
from tests.test_connect_assistant import csrf, status
from tests.test_dashboard import sign_in
from tests.test_simulate_cli import demo_env, run  # noqa: F401  (a fixture)
from voice.platforms.salute import grammar

PROJECT = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def _url_on(page: str) -> str:
    found = re.search(r'<code id="endpoint">(https?://[^<]+)</code>', page)
    assert found, page
    return found.group(1)


def test_rotating_the_token_refuses_the_old_url_and_says_why(client: Any, demo: dict[str, Any],
                                                             app: Any, services: Any) -> None:
    sign_in(client, demo)
    page = client.get("/connect/demo/salute").get_data(as_text=True)
    old = _url_on(page)
    assert old == demo["salute"]["webhook_url"] and demo["salute"]["project_id"] in page

    token = csrf(client, "/connect/demo/salute")
    saved = client.post("/connect/demo/salute", data={
        "csrf_token": token, "salute_project_id": PROJECT, "rotate_token": "1"})
    assert saved.status_code == 200
    new = _url_on(saved.get_data(as_text=True))
    assert new != old and new.rsplit("/", 1)[0] == old.rsplit("/", 1)[0]

    simulator = Simulator(app, services)
    conv = simulator.start("salute", "demo", "ru-RU")
    assert conv.skill_id == PROJECT and new.endswith("/" + conv.path_token)
    assert simulator.say(conv, "как работает программа").status == 200
    assert status(client, "salute")["state"] == "ok"

    stale = conv.__class__(**{**conv.__dict__, "path_token": old.rsplit("/", 1)[1]})
    assert simulator.say(stale, "помощь").status == 403
    red = status(client, "salute")
    assert red["state"] == "refused" and "wrong path token" in red["refused"]["reason"]


def test_a_project_id_that_is_no_uuid_is_refused_with_a_reason(client: Any,
                                                               demo: dict[str, Any]) -> None:
    sign_in(client, demo)
    answer = client.post("/connect/demo/salute", data={
        "csrf_token": csrf(client, "/connect/demo/salute"), "salute_project_id": "my app"})
    assert answer.status_code == 422 and "SmartApp Studio project id" in \
        answer.get_data(as_text=True)


def test_try_it_speaks_through_the_secret_url(client: Any, demo: dict[str, Any]) -> None:
    sign_in(client, demo)
    answer = client.post("/connect/demo/salute/try", json={"text": "какой у меня баланс"},
                         headers={"X-CSRF-Token": csrf(client, "/connect/demo/salute")})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    out = answer.get_json()
    assert out["status"] == 200 and out["intent"] == "RewardBalance"
    assert out["response"]["messageName"] == "ANSWER_TO_USER"


def test_the_export_names_the_secret_url_and_the_project(demo: dict[str, Any], services: Any,
                                                         tmp_path: Path) -> None:
    from fulfillment.cli.export import shop_voice_info
    from voice.exports import exporter

    info = shop_voice_info(services, "demo")
    written = exporter("salute")(info, tmp_path)
    settings = json.loads(next(p for p in written if p.suffix == ".json").read_text())
    assert settings["webhook_url"] == demo["salute"]["webhook_url"]
    assert settings["project_id"] == demo["salute"]["project_id"]
    readme = next(p for p in written if p.name == "README.md").read_text()
    assert "SmartApp API" in readme and demo["salute"]["webhook_url"] in readme


def test_every_self_reference_in_the_russian_catalog_has_a_masculine_form() -> None:
    """Сбер is male: a new «я …ла» in the catalog without a form here would be said wrong."""
    catalog = Path(__file__).resolve().parent.parent / "voice" / "locale" / "ru"
    said = set()
    for po in catalog.rglob("*.po"):
        for line in po.read_text(encoding="utf-8").splitlines():
            if line.startswith("msgstr"):
                said |= {m.group(1).lower() for m in re.finditer(
                    r"(?:\b[Яя]|\bне|\bуже)\s+(\w+(?:ла|лась))\b", line)}
    assert said and said <= set(grammar.MASCULINE), said - set(grammar.MASCULINE)


def test_demo_json_and_simulate_cli_speak_salute(demo_env: dict[str, str]) -> None:  # noqa: F811
    """`demo --json` prints salute.{webhook_url, project_id} and voice_users.salute;
    `simulate --platform salute` keeps the dialog between turns (Salute itself carries none)."""
    shown = json.loads(run(demo_env, "demo", "--json").stdout)
    assert set(shown["salute"]) == {"webhook_url", "project_id"}
    assert shown["voice_users"]["salute"]
    out = run(demo_env, "simulate", "--platform", "salute", "--json",
              stdin="поделись реферальной программой\nда\n")
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [line["intent"] for line in lines] == ["ShareProgram", "Yes"], out.stderr
    assert "Назовите номер телефона" in lines[1]["speech"]
    assert lines[0]["response"]["messageName"] == "ANSWER_TO_USER"


def test_the_console_speaks_salute_and_keeps_its_session(client: Any,
                                                         demo: dict[str, Any]) -> None:
    from tests.test_console import signed_in

    headers = {"X-CSRF-Token": signed_in(client, demo)}
    say = {"shop": "demo", "platform": "salute", "locale": "ru-RU", "user": "alex",
           "screen": True}
    first = client.post("/console/api/say", headers=headers, json={
        **say, "text": "поделись реферальной программой", "new": True}).get_json()
    assert first["intent"] == "ShareProgram" and first["qr"] == demo["qr_png"], first
    assert first["response"]["messageName"] == "ANSWER_TO_USER"
    second = client.post("/console/api/say", headers=headers, json={**say, "text": "да"})
    assert "Назовите номер телефона" in second.get_json()["speech"]


def test_the_dashboard_export_zip_holds_the_studio_instructions(client: Any,
                                                                demo: dict[str, Any]) -> None:
    import io
    import zipfile

    sign_in(client, demo)
    response = client.get("/dashboard/demo/export/salute.zip")
    assert response.status_code == 200
    files = zipfile.ZipFile(io.BytesIO(response.get_data()))
    readme = next(n for n in files.namelist() if n.endswith("README.md"))
    assert demo["salute"]["webhook_url"] in files.read(readme).decode()
