"""Shop API routes for the referrer digest: on/off, cadence, day and hour, how many
referrers would get it now, and a preview in each locale. Same `api` declaration (auth,
validation, OpenAPI) as the rest of /api/v1, on a blueprint of its own."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from core import digest
from core.digest import PREVIEW_LOCALES
from fulfillment.api.shop import INT, STR, _obj, api
from fulfillment.context import services

bp = Blueprint("digest_api", __name__, url_prefix="/api/v1")
SETTINGS_IN = {"type": "object", "additionalProperties": False, "properties": {
    "enabled": {"type": "boolean"},
    "cadence": {"enum": list(digest.CADENCES)},
    "weekday": {"type": "integer", "minimum": 0, "maximum": 6,
                "description": "0 Monday .. 6 Sunday, in each referrer's own time zone"},
    "hour": {"type": "integer", "minimum": 0, "maximum": 23}}}
SETTINGS_OUT = _obj(["enabled", "cadence", "weekday", "hour", "recipients"],
                    enabled={"type": "boolean"}, cadence={"enum": list(digest.CADENCES)},
                    weekday=INT, hour=INT,
                    recipients={**INT, "description": "referrers the next digest would "
                                "reach now: opted in, address confirmed, not opted out"})
PREVIEW = _obj(["locale", "subject", "text", "html", "sms", "sms_segments"], locale=STR,
               subject=STR, text=STR, html=STR, sms=STR, sms_segments=INT)


def _settings(settings: digest.DigestSettings) -> dict[str, Any]:
    return {"enabled": settings.enabled, "cadence": settings.cadence,
            "weekday": settings.weekday, "hour": settings.hour,
            "recipients": settings.recipients}


@api("GET", "/digest", "The digest settings and how many referrers it would reach now.",
     response=SETTINGS_OUT, errors=(400, 401), blueprint=bp)
def get_digest() -> ResponseReturnValue:
    return jsonify(_settings(digest.shop_settings(services(), g.shop_id)))


@api("PUT", "/digest", "Turn the digest on or off, set its cadence, weekday and hour.",
     body=SETTINGS_IN, response=SETTINGS_OUT, errors=(400, 401, 422), blueprint=bp)
def put_digest(data: dict[str, Any]) -> ResponseReturnValue:
    return jsonify(_settings(digest.change_settings(services(), g.shop_id, data)))


@api("GET", "/digest/preview", "The digest as a referrer would get it (example numbers), "
     "in ?locale= (en-US, en-GB, de-DE, ru-RU).",
     query={"locale": {"enum": list(PREVIEW_LOCALES)}}, response=PREVIEW,
     errors=(400, 401, 422), blueprint=bp)
def preview_digest() -> ResponseReturnValue:
    shown = digest.preview_for(services(), g.shop_id, request.args.get("locale") or None)
    rendered = shown.rendered
    return jsonify({"locale": shown.locale, "subject": rendered.subject, "text": rendered.text,
                    "html": rendered.html, "sms": rendered.sms,
                    "sms_segments": rendered.sms_segments})
