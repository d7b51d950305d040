"""Sber Salute through POST /salute/<shop>/<token> as the SmartApp API sends it (requests
built from developers.sber.ru examples, tests/fixtures/protocol-samples/salute/README.md
names each page): the answer echoes messageId/sessionId/uuid/device, has no null and no line
break, shows the QR card only on a screen, and speaks in the character's gender; a request
to a wrong URL token or naming another project is refused and writes nothing."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text

from core import assistant_status
from core.models import Message, VoiceIdentity
from core.services import Services
from tests.conftest import PROTOCOL_SAMPLES

SAMPLES = PROTOCOL_SAMPLES / "salute"


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    return loaded


def addressed(body: dict[str, Any], demo: dict[str, Any], *, user: str | None = None,
              text_said: str | None = None) -> dict[str, Any]:
    """A sample as it reaches the demo shop: its project id, and (optionally) a user and
    phrase of ours."""
    body = copy.deepcopy(body)
    body["payload"]["app_info"]["projectId"] = demo["salute"]["project_id"]
    if user is not None:
        body["uuid"]["sub"] = user
    if text_said is not None:
        body["payload"]["message"]["original_text"] = text_said
    return body


def url(demo: dict[str, Any]) -> str:
    return "/" + str(demo["salute"]["webhook_url"]).split("/", 3)[3]


def post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(body, ensure_ascii=False).encode(),
                       content_type="application/json")


def has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(has_null(v) for v in value)
    return False


def rows(services: Services) -> dict[str, int]:
    with services.db.engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()
                for t in inspect(conn).get_table_names()}


def test_demo_prints_the_salute_webhook_and_a_linked_user(demo: dict[str, Any]) -> None:
    assert re.fullmatch(r"https?://[^/]+/salute/demo/[A-Za-z0-9_-]{32}",
                        demo["salute"]["webhook_url"])
    assert demo["salute"]["project_id"] and demo["voice_users"]["salute"]


def test_share_on_a_screen_echoes_ids_and_shows_the_qr_card(client: Any,
                                                             demo: dict[str, Any]) -> None:
    body = addressed(sample("message_to_skill_share_screen.json"), demo,
                     user=demo["voice_users"]["salute"])
    response = post(client, url(demo), body)
    assert response.status_code == 200, response.get_data(as_text=True)
    raw = response.get_data()
    assert b"\n" not in raw and b"\r" not in raw
    out = response.get_json()
    assert not has_null(out)
    assert out["messageName"] == "ANSWER_TO_USER"
    assert b'"messageId":1615272218988870000' in raw.replace(b" ", b"")  # exact, no float
    assert (out["sessionId"], out["uuid"]) == (body["sessionId"], body["uuid"])
    assert out["payload"]["device"] == body["payload"]["device"]
    payload = out["payload"]
    assert payload["pronounceTextType"] == "application/ssml"
    digits = re.sub(r"\D", "", demo["code"])
    assert payload["pronounceText"].startswith("<speak>")
    assert digits in re.sub(r"\D", "", re.sub(r"<[^>]+>", "", payload["pronounceText"]))
    bubbles = [i["bubble"]["text"] for i in payload["items"] if "bubble" in i]
    assert all(len(b) <= 250 for b in bubbles)
    link = demo["link"].split("?")[0]
    assert any(link in b and "a=salute" in b for b in bubbles)  # clicks count for Salute
    card = next(i["card"] for i in payload["items"] if "card" in i)
    assert card["type"] == "list_card"
    image = card["cells"][0]
    assert image["type"] == "image_cell_view" and image["content"]["url"].endswith(".png")
    assert isinstance(payload["finished"], bool) and isinstance(payload["auto_listening"], bool)


def test_speaker_gets_speech_only(client: Any, demo: dict[str, Any]) -> None:
    body = addressed(sample("message_to_skill_share_speaker.json"), demo,
                     user=demo["voice_users"]["salute"])
    out = post(client, url(demo), body).get_json()
    assert out["payload"]["items"] == []
    assert "на экране" not in out["payload"]["pronounceText"]
    assert out["messageId"] == body["messageId"] and out["uuid"]["userId"] == 123


def _say(client: Any, demo: dict[str, Any], phrase: str, gender: str) -> str:
    body = addressed(sample("message_to_skill_share_speaker.json"), demo,
                     user=demo["voice_users"]["salute"], text_said=phrase)
    body["payload"]["character"] = {"id": "sber" if gender == "male" else "athena",
                                    "name": "Сбер" if gender == "male" else "Афина",
                                    "gender": gender, "appeal": "official"}
    body["payload"]["new_session"] = True
    return str(post(client, url(demo), body).get_json()["payload"]["pronounceText"])


def test_the_assistant_speaks_of_itself_in_its_own_gender(client: Any,
                                                          demo: dict[str, Any]) -> None:
    """«я отправила» from Афина, «я отправил» from Сбер (payload.character.gender)."""
    female = _say(client, demo, "пришли мне ссылку на почту", "female")
    male = _say(client, demo, "пришли мне ссылку на почту", "male")
    assert re.search(r"\bотправ(ила|ляла)\b", female), female
    assert re.search(r"\bотправ(ил|лял)\b", male) and not re.search(r"отправ\w*ла\b", male)


def test_launch_by_voice_greets_instead_of_parsing_the_launch_phrase(
        client: Any, demo: dict[str, Any]) -> None:
    body = addressed(sample("message_to_skill_launch_by_voice.json"), demo)
    response = post(client, url(demo), body)
    assert response.status_code == 200
    out = response.get_json()
    assert out["payload"]["finished"] is False and out["payload"]["auto_listening"] is True
    assert not has_null(out)


def test_close_app_is_answered_without_the_dialog(client: Any, demo: dict[str, Any]) -> None:
    body = addressed(sample("close_app_speaker.json"), demo)
    response = post(client, url(demo), body)
    assert response.status_code == 200
    assert response.get_json()["payload"]["finished"] is True


def test_anonymous_user_is_known_by_user_id_when_there_is_no_sub(
        client: Any, demo: dict[str, Any], services: Services) -> None:
    body = addressed(sample("message_to_skill_share_speaker.json"), demo)
    del body["uuid"]["sub"]
    assert post(client, url(demo), body).status_code == 200
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(VoiceIdentity).where(
            VoiceIdentity.assistant == "salute",
            VoiceIdentity.assistant_user_id == "d2d6da62-6bdd-452b-b5dd-a145090075ba")) == 0


@pytest.mark.parametrize("forge", ["token", "project", "no_token"])
def test_forged_or_misaddressed_request_is_refused_and_writes_nothing(
        client: Any, demo: dict[str, Any], services: Services, forge: str) -> None:
    body = addressed(sample("message_to_skill_share_screen.json"), demo,
                     user=demo["voice_users"]["salute"])
    path = url(demo)
    if forge == "token":
        path = path.rsplit("/", 1)[0] + "/" + "A" * 32
    elif forge == "project":
        body["payload"]["app_info"]["projectId"] = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    else:
        path = path.rsplit("/", 1)[0]
    before = rows(services)
    response = post(client, path, body)
    assert response.status_code == (404 if forge == "no_token" else 403)
    assert rows(services) == before
    if forge != "no_token":
        assert response.get_json()["error"]["code"] == f"wrong_{forge}"
        assistant_status.recorder(services).flush()
        status = assistant_status.statuses(services, _shop_id(services))["salute"].as_dict()
        assert ("token" if forge == "token" else "projectId") in json.dumps(status)


def _shop_id(services: Services) -> int:
    from core.models import Shop

    with services.db.session() as session:
        return int(session.scalar(select(Shop.id).where(Shop.slug == "demo")) or 0)


def test_unknown_message_name_is_a_clear_400(client: Any, demo: dict[str, Any]) -> None:
    body = addressed(sample("message_to_skill_share_screen.json"), demo)
    body["messageName"] = "GET_STATE"
    response = post(client, url(demo), body)
    assert response.status_code == 400
    assert "messageName" in response.get_json()["error"]["message"]


def test_read_back_survives_between_turns(client: Any, demo: dict[str, Any],
                                          services: Services) -> None:
    """Salute carries no state: ours keeps the read-back from one turn to the next."""
    base = addressed(sample("message_to_skill_share_speaker.json"), demo,
                     user=demo["voice_users"]["salute"])
    said = []
    for i, phrase in enumerate(["отправь приглашение другу", "+7 912 345 67 89", "да"]):
        body = copy.deepcopy(base)
        body["payload"]["new_session"] = i == 0
        body["payload"]["message"]["original_text"] = phrase
        body["messageId"] = 10 + i
        said.append(post(client, url(demo), body).get_json()["payload"]["pronounceText"])
    with services.db.session() as session:
        sent = session.scalars(select(Message).where(Message.kind == "invite_friend")).all()
    assert [m.recipient for m in sent] == ["+79123456789"], said


def test_shares_and_clicks_are_attributed_to_salute(client: Any, demo: dict[str, Any],
                                                   services: Services) -> None:
    """The KPIs' by-assistant split counts the Salute share, and a click on the link the
    screen shows counts for Salute."""
    from core import analytics, referrals
    from core.models import Click

    body = addressed(sample("message_to_skill_share_screen.json"), demo,
                     user=demo["voice_users"]["salute"])
    out = post(client, url(demo), body).get_json()
    link = next(m.group(0) for i in out["payload"]["items"] if "bubble" in i
                for m in [re.search(r"https?://\S+", i["bubble"]["text"])] if m)
    client.get("/" + link.split("/", 3)[3], headers={"User-Agent": "Mozilla/5.0 Chrome/120"})
    services.clicks.flush()
    with services.db.session() as session:
        shop = referrals.shop_by_slug(session, "demo")
        kpis = analytics.kpis(session, shop.id, today=services.clock().date())
        clicks = list(session.scalars(select(Click.assistant)))
    assert kpis.by_assistant["salute"].shares == 1
    assert clicks == ["salute"]


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.json")
                                        if not p.name.startswith(("answer", "nothing", "error"))))
def test_every_request_sample_is_answered_on_one_line_without_null(
        client: Any, demo: dict[str, Any], name: str) -> None:
    body = addressed(sample(name), demo)
    response = post(client, url(demo), body)
    assert response.status_code == 200, response.get_data(as_text=True)
    raw = response.get_data()
    out = response.get_json()
    assert b"\n" not in raw and not has_null(out)
    assert (out["messageId"], out["sessionId"]) == (body["messageId"], body["sessionId"])
    expected = "NOTHING_FOUND" if body["messageName"] == "SERVER_ACTION" else "ANSWER_TO_USER"
    assert out["messageName"] == expected  # a button we did not make: nothing to do


def test_our_screen_answer_uses_only_the_documented_fields(client: Any,
                                                           demo: dict[str, Any]) -> None:
    """Every key we send appears in the documented answer sample (RESPONSES, ELEMENTS,
    JSRESP pages): nothing invented, the card built from the same cells."""
    documented = sample("answer_to_user_screen_qr_card.json")
    body = addressed(sample("message_to_skill_share_screen.json"), demo,
                     user=demo["voice_users"]["salute"])
    ours = post(client, url(demo), body).get_json()
    assert set(ours) == set(documented)
    assert set(ours["payload"]) <= set(documented["payload"]), set(ours["payload"])

    def card(answer: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = next(i["card"] for i in answer["payload"]["items"] if "card" in i)
        return found

    assert card(ours)["type"] == card(documented)["type"]
    kinds = {c["type"]: set(c) | set(c["content"]) for c in card(documented)["cells"]}
    for cell in card(ours)["cells"]:
        assert set(cell) | set(cell["content"]) <= kinds[cell["type"]], cell
    bubble_keys = {k for i in documented["payload"]["items"] if "bubble" in i for k in i["bubble"]}
    assert all(set(i["bubble"]) <= bubble_keys for i in ours["payload"]["items"] if "bubble" in i)
