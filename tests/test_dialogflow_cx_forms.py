"""Dialogflow CX form pages (issue 25): where the dialog asks for one value alone
(voice/model/intents.yaml `dialog_slots` elicit: SetReminder's weekday, ProvideCode's pin) the
CX agent asks with its own form filling, as Alexa gets Dialog.ElicitSlot and ES a required
parameter. The exported page is checked against Google's published schema (the
dialogflowcx_v3 protobufs, unknown fields refused) and the JSON package layout
(https://cloud.google.com/dialogflow/cx/docs/reference/json-export; Page:
https://cloud.google.com/dialogflow/cx/docs/reference/rest/v3/projects.locations.agents.flows.pages);
the webhook reads a page's request (WebhookRequest.pageInfo.formInfo, sessionInfo.parameters:
https://cloud.google.com/dialogflow/cx/docs/reference/rpc/google.cloud.dialogflow.cx.v3#webhookrequest)
into the Turn the intent route gives; and a conversation run through the exported agent's own
routes and page ("remind me" -> the page asks the day -> "friday" filled by CX -> our webhook)
sets the reminder."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from google.cloud.dialogflowcx_v3.types import (
    Page,
    TransitionRoute,
    WebhookRequest,
    WebhookResponse,
)
from google.protobuf import json_format
from sqlalchemy import select

from core.models import Reminder
from core.services import Services
from fulfillment.app import create_app
from tests.support.cx_package import without_message_languages
from tests.support.google_tokens import GoogleKeys
from voice import model as language_model
from voice.exports import ShopVoiceInfo
from voice.i18n import translator
from voice.platforms.dialogflow import adapter, export_cx
from voice.turn import Reply, Speech

SHOP = ShopVoiceInfo(slug="demo", name="Demo Shop", base_url="https://refer.test",
                     invocation_names={"en": "demo shop"}, skill_ids={})
FLOW = f"flows/{export_cx.START_FLOW}"
AGENT = "projects/p/locations/global/agents/a"
ELICITED = [(intent, slot) for intent, d in language_model.load().dialog_slots.items()
            for slot in d.elicit]


def _strict(document: dict[str, Any], message: Any) -> Any:
    return json_format.ParseDict(document, message.pb()(), ignore_unknown_fields=False)


def _page_of(files: dict[str, Any], intent: str) -> dict[str, Any]:
    [route] = [r for r in files[f"{FLOW}/{export_cx.START_FLOW}.json"]["transitionRoutes"]
               if r["intent"] == intent]
    assert "triggerFulfillment" not in route  # the page calls the webhook, once
    return files[f"{FLOW}/pages/{route['targetPage']}.json"]


def test_the_elicited_slots_are_the_ones_the_issue_names():
    assert ELICITED == [("SetReminder", "weekday"), ("ProvideCode", "pin")]


@pytest.mark.parametrize(("intent", "slot"), ELICITED)
def test_each_elicited_slot_has_a_form_page_cx_reads(intent: str, slot: str):
    files = export_cx.agent_files(SHOP)
    page = _page_of(files, intent)
    _strict(without_message_languages(page), Page)
    [parameter] = page["form"]["parameters"]
    declared = {p["id"]: p["entityType"]
                for p in files[f"intents/{intent}/{intent}.json"]["parameters"]}
    assert (parameter["displayName"], parameter["required"]) == (slot, True)
    assert parameter["entityType"] == declared[slot]  # the intent's own entity type
    assert parameter["entityType"] == {"weekday": "@weekday", "pin": "@sys.number"}[slot]
    if parameter["entityType"].startswith("@sys."):
        assert parameter["entityType"] == "@sys.number"
    else:
        entity = parameter["entityType"][1:]
        assert f"entityTypes/{entity}/{entity}.json" in files
    fill = parameter["fillBehavior"]
    asked = {m["languageCode"]: m["text"]["text"]
             for m in fill["initialPromptFulfillment"]["messages"]}
    question, reask = {"weekday": ("On which day of the week should I remind you?",
                                   "Please say a day of the week, for example Friday."),
                       "pin": ("Please say the six digits of the code.",
                               "What is the six-digit code?")}[slot]
    assert asked == {"en": [question], "de": [translator("de-DE")._(question)],
                     "ru": [translator("ru-RU")._(question)]}
    assert asked["de"] != asked["en"] != asked["ru"]  # translated, not the English
    handlers = {h["event"]: h["triggerFulfillment"]["messages"]
                for h in fill["repromptEventHandlers"]}
    assert {m["languageCode"]: m["text"]["text"] for m in handlers["sys.no-match-default"]} \
        == {"en": [reask], "de": [translator("de-DE")._(reask)],
            "ru": [translator("ru-RU")._(reask)]}
    [done] = page["transitionRoutes"]
    assert done["condition"] == '$page.params.status = "FINAL"'
    assert done["triggerFulfillment"] == {"webhook": "referrals", "tag": intent}
    assert files["webhooks/referrals.json"]["displayName"] == "referrals"
    assert done["targetPage"] == "Start Page"  # back where every intent is heard


def test_every_route_of_the_flow_is_a_cx_route_to_a_page_that_exists():
    files = export_cx.agent_files(SHOP)
    pages = {c["displayName"] for n, c in files.items() if n.startswith(f"{FLOW}/pages/")}
    assert pages == {"SetReminder weekday", "ProvideCode pin"}
    routes = [*files[f"{FLOW}/{export_cx.START_FLOW}.json"]["transitionRoutes"],
              *(r for n, c in files.items() if n.startswith(f"{FLOW}/pages/")
                for r in c["transitionRoutes"])]
    for route in routes:
        _strict(route, TransitionRoute)
        assert route["targetPage"] in pages | {"Start Page"}, route
        if "intent" in route:
            assert f"intents/{route['intent']}/{route['intent']}.json" in files


# A WebhookRequest as CX sends it from the page's FINAL route, in the documented shape:
# pageInfo.currentPage + displayName + formInfo.parameterInfo (displayName, required, state,
# value, justCollected), the filled value also a session parameter.
def _page_request(tag: str, slot: str, value: Any, text: str,
                  state: str = "FILLED") -> dict[str, Any]:
    return {"detectIntentResponseId": str(uuid.uuid4()), "languageCode": "en", "text": text,
            "fulfillmentInfo": {"tag": tag},
            "pageInfo": {"currentPage": f"{AGENT}/flows/{uuid.UUID(int=0)}/pages/{tag}",
                         "displayName": f"{tag} {slot}",
                         "formInfo": {"parameterInfo": [
                             {"displayName": slot, "required": True, "state": state,
                              "value": value, "justCollected": True}]}},
            "sessionInfo": {"session": f"{AGENT}/sessions/s-1",
                            "parameters": {slot: value}}}


def _intent_request(intent: str, slot: str, value: Any, text: str) -> dict[str, Any]:
    return {"detectIntentResponseId": str(uuid.uuid4()), "languageCode": "en", "text": text,
            "fulfillmentInfo": {"tag": intent},
            "intentInfo": {"lastMatchedIntent": f"{AGENT}/intents/1", "displayName": intent,
                           "confidence": 0.9, "parameters": {
                               slot: {"originalValue": str(value), "resolvedValue": value}}},
            "sessionInfo": {"session": f"{AGENT}/sessions/s-1", "parameters": {}}}


@pytest.mark.parametrize(("intent", "slot", "value", "want"), [
    ("SetReminder", "weekday", "friday", "friday"),
    ("ProvideCode", "pin", 482917, "482917"),
    ("ProvideCode", "pin", 482917.0, "482917"),  # a protobuf Value number reads as a double
])
def test_a_page_request_is_the_turn_the_intent_route_gives(intent, slot, value, want):
    page = _page_request(intent, slot, value, str(value))
    _strict(page, WebhookRequest)  # the shape is Google's, unknown fields refused
    from_page = adapter.to_turn(page, "demo")
    from_route = adapter.to_turn(_intent_request(intent, slot, value, f"x {value}"), "demo")
    assert (from_page.intent, from_page.slots) == (from_route.intent, from_route.slots) \
        == (intent, {slot: want})
    assert from_page.platform["kind"] == "cx" and from_page.utterance == str(value)


def test_a_value_cx_marked_invalid_is_not_a_slot():
    body = _page_request("ProvideCode", "pin", 12, "twelve", state="INVALID")
    body["sessionInfo"]["parameters"] = {}
    assert adapter.to_turn(body, "demo").slots == {}


def test_the_answer_clears_the_filled_parameter_from_the_session():
    turn = adapter.to_turn(_page_request("SetReminder", "weekday", "friday", "friday"), "demo")
    out = adapter.cx_response(Reply(speech=Speech.of("ok")), turn)
    _strict(out, WebhookResponse)
    assert out["sessionInfo"]["parameters"]["weekday"] is None  # null removes it (CX docs)


class CxAgent:
    """The exported agent run the way CX runs it, for the parts these pages use: the start
    flow's intent routes, a page's form (filled from the session, else asked with its
    initial prompt, else from the utterance by the exported entity entries, reprompted on no
    match), the FINAL route, the flow's no-match handler, and our webhook called with the
    documented WebhookRequest. Which intent CX's NLU matches is given by the test."""

    def __init__(self, client: Any, token: Any, language: str, user: str) -> None:
        self.files = export_cx.agent_files(SHOP)
        self.flow = self.files[f"{FLOW}/{export_cx.START_FLOW}.json"]
        self.client, self.token, self.language, self.user = client, token, language, user
        self.session = f"{AGENT}/sessions/{uuid.uuid4()}"
        self.params: dict[str, Any] = {}
        self.page: dict[str, Any] | None = None  # None: the start page
        self.webhook_calls: list[dict[str, Any]] = []

    def say(self, text: str, intent: str | None = None, **params: Any) -> str:
        if intent is not None:
            [route] = [r for r in self.flow["transitionRoutes"] if r["intent"] == intent]
            self.params.update(params)  # intent parameters become session parameters
            return self._route(route, text, intent, params)
        if self.page is not None:
            parameter = self._open()
            assert parameter is not None
            value = self._entity(parameter["entityType"], text)
            if value is None:
                return self._speak(next(
                    h for h in parameter["fillBehavior"]["repromptEventHandlers"]
                    if h["event"] == "sys.no-match-default")["triggerFulfillment"])
            self.params[parameter["displayName"]] = value
            return self._enter(self.page, text)
        [handler] = [h for h in self.flow["eventHandlers"]
                     if h["event"] == "sys.no-match-default"]
        return self._route(handler, text, None, {})

    def _route(self, route: dict[str, Any], text: str, intent: str | None,
               params: dict[str, Any]) -> str:
        said = ""
        target = route.get("targetPage")
        if "triggerFulfillment" in route:
            said, target = self._webhook(route["triggerFulfillment"]["tag"], text, intent,
                                         params, target)
        if target == "Start Page":
            self.page = None
        elif target is not None:
            self.page = self.files[f"{FLOW}/pages/{target}.json"]
            said = " ".join(filter(None, [said, self._enter(self.page, text, intent,
                                                            params)]))
        return said

    def _open(self) -> dict[str, Any] | None:
        assert self.page is not None
        return next((p for p in self.page["form"]["parameters"]
                     if p["required"] and self.params.get(p["displayName"]) is None), None)

    def _enter(self, page: dict[str, Any], text: str, intent: str | None = None,
               params: dict[str, Any] | None = None) -> str:
        parameter = self._open()
        if parameter is not None:
            return self._speak(parameter["fillBehavior"]["initialPromptFulfillment"])
        [final] = page["transitionRoutes"]
        assert final["condition"] == '$page.params.status = "FINAL"'
        return self._route(final, text, intent, params or {})

    def _speak(self, fulfillment: dict[str, Any]) -> str:
        return " ".join(t for m in fulfillment["messages"]
                        if m["languageCode"] == self.language for t in m["text"]["text"])

    def _entity(self, entity_type: str, text: str) -> Any:
        if entity_type == "@sys.number":
            digits = "".join(ch for ch in text if ch.isdigit())
            return int(digits) if digits else None
        name = entity_type[1:]
        entries = self.files[f"entityTypes/{name}/entities/{self.language}.json"]["entities"]
        return next((e["value"] for e in entries
                     if text.lower().strip() in {s.lower() for s in e["synonyms"]}), None)

    def _webhook(self, tag: str, text: str, intent: str | None, params: dict[str, Any],
                 target: str | None) -> tuple[str, str | None]:
        body: dict[str, Any] = {
            "detectIntentResponseId": str(uuid.uuid4()), "languageCode": self.language,
            "text": text, "fulfillmentInfo": {"tag": tag},
            "sessionInfo": {"session": self.session, "parameters": dict(self.params)},
            "payload": {"userId": self.user}}
        if intent is not None:
            body["intentInfo"] = {"lastMatchedIntent": f"{AGENT}/intents/{intent}",
                                  "displayName": intent, "confidence": 0.9, "parameters": {
                                      k: {"originalValue": str(v), "resolvedValue": v}
                                      for k, v in params.items()}}
        if self.page is not None:
            body["pageInfo"] = {
                "currentPage": f"{AGENT}/flows/{self.flow['name']}/pages/{self.page['name']}",
                "displayName": self.page["displayName"],
                "formInfo": {"parameterInfo": [
                    {"displayName": p["displayName"], "required": p["required"],
                     "state": "EMPTY" if self.params.get(p["displayName"]) is None
                     else "FILLED", **({"value": self.params[p["displayName"]]}
                                       if self.params.get(p["displayName"]) is not None
                                       else {})}
                    for p in self.page["form"]["parameters"]]}}
        _strict(body, WebhookRequest)
        self.webhook_calls.append(body)
        answer = self.client.post("/dialogflow/demo", data=json.dumps(body),
                                  content_type="application/json",
                                  headers={"Authorization": f"Bearer {self.token()}"})
        assert answer.status_code == 200, answer.get_json()
        out = answer.get_json()
        _strict(out, WebhookResponse)
        for key, value in out["sessionInfo"]["parameters"].items():
            if value is None:
                self.params.pop(key, None)  # null removes a session parameter
            else:
                self.params[key] = value
        said = " ".join(" ".join(m["text"]["text"])
                        for m in out["fulfillmentResponse"]["messages"] if "text" in m)
        return said, out.get("targetPage") or target


@pytest.fixture
def cx(services: Services, demo: dict[str, Any]):  # type: ignore[no-untyped-def]
    keys = GoogleKeys()
    services.adapters.google_certs_fetcher = keys.fetch
    client = create_app(services=services).test_client()

    def agent(language: str) -> CxAgent:
        return CxAgent(client, lambda: keys.token(audience=demo["dialogflow"]["audience"]),
                       language, demo["voice_users"]["google"])
    return agent


@pytest.mark.parametrize(("language", "friday", "every", "nonsense"), [
    ("en", "friday", "every Friday", "purple"),
    ("de", "Freitag", "jeden Freitag", "lila"),
    ("ru", "в пятницу", "каждую пятницу", "фиолетовый")])
def test_remind_me_then_the_page_asks_the_day_and_the_webhook_sets_it(
        cx, services: Services, language: str, friday: str, every: str,
        nonsense: str) -> None:
    agent = cx(language)
    locale = {"en": "en-US", "de": "de-DE", "ru": "ru-RU"}[language]
    t = translator(locale)
    asked = agent.say("remind me", intent="SetReminder")
    assert asked == t._("On which day of the week should I remind you?")
    assert agent.webhook_calls == [] and agent.page is not None  # CX asked, on its page
    reasked = agent.say(nonsense)
    assert reasked == t._("Please say a day of the week, for example Friday.")
    assert agent.webhook_calls == []
    offer = agent.say(friday)  # CX fills the form; the FINAL route calls us
    [call] = agent.webhook_calls
    assert call["fulfillmentInfo"]["tag"] == "SetReminder" and "intentInfo" not in call
    assert call["sessionInfo"]["parameters"]["weekday"] == "friday"
    assert call["pageInfo"]["formInfo"]["parameterInfo"][0]["value"] == "friday"
    assert every in offer and agent.page is None
    assert "weekday" not in agent.params  # cleared by our answer
    agent.say({"en": "yes", "de": "ja", "ru": "да"}[language])  # no intent of ours: no-match
    with services.db.session() as session:
        [reminder] = session.scalars(select(Reminder)).all()
        assert reminder.weekday == 4
    again = agent.say("remind me", intent="SetReminder")  # last week's day is not kept
    assert again == t._("On which day of the week should I remind you?")


def test_a_day_said_with_the_intent_fills_the_page_in_the_same_turn(cx) -> None:
    agent = cx("en")
    offer = agent.say("remind me on friday", intent="SetReminder", weekday="friday")
    [call] = agent.webhook_calls
    assert call["intentInfo"]["displayName"] == "SetReminder"
    assert call["pageInfo"]["displayName"] == "SetReminder weekday"
    assert "every Friday" in offer and agent.page is None


def test_a_change_of_subject_on_the_page_leaves_it(cx) -> None:
    agent = cx("en")
    agent.say("remind me", intent="SetReminder")
    agent.say("how many friends joined", intent="MyReferrals")
    [call] = agent.webhook_calls
    assert call["fulfillmentInfo"]["tag"] == "MyReferrals" and agent.page is None
