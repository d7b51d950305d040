"""Message text from Jinja2 templates per language (core/messaging/templates/<lang>/<kind>.j2,
each with subject / sms / text / html blocks); escaping on for HTML, off for the rest."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from core.messaging import sms_segments

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("en", "de", "ru")


@dataclass(frozen=True)
class Rendered:
    subject: str
    sms: str
    text: str
    html: str
    sms_encoding: str
    sms_segments: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=2)
def _env(autoescape: bool) -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                       autoescape=select_autoescape(default=autoescape, default_for_string=False),
                       keep_trailing_newline=False)


def _language(locale: str) -> str:
    language = (locale or "en").split("-")[0].lower()
    return language if language in LANGUAGES else "en"


def _block(template: Template, name: str, context: dict[str, Any]) -> str:
    ctx = template.new_context(context)
    return "".join(template.blocks[name](ctx)).strip()


def render(kind: str, locale: str, context: dict[str, Any]) -> Rendered:
    path = f"{_language(locale)}/{kind}.j2"
    values = {"referrer_name": "", "terms": "", "shop_name": "", "unsubscribe_url": "",
              "qr_cid": "qr", "code": "", "link": "", "pairing_code": "", "reward": "",
              "telegram_link": "",
              **context}
    plain, html = _env(False).get_template(path), _env(True).get_template(path)
    sms = _block(plain, "sms", values)
    count = sms_segments.count(sms)
    return Rendered(subject=_block(plain, "subject", values), sms=sms,
                    text=_block(plain, "text", values), html=_block(html, "html", values),
                    sms_encoding=count.encoding, sms_segments=count.segments)
