"""The merchant pages in the staff member's language (issue 27): the back office pages and
the navigation render in German and Russian with no English left (the visible text of each
page is compared with its English rendering and with the catalog's English messages); the
staff member's own choice wins over the browser's Accept-Language."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from babel.numbers import get_currency_name
from sqlalchemy import select

from core.models import StaffUser
from fulfillment.web.i18n import LANGUAGE_NAMES, LOCALE_DIR
from tests.support.events import ShopBackend
from tests.test_dashboard import sign_in

# Pages whose every word is the shop's language (the rest of the merchant side: see
# docs/merchants.md, "Languages").
PAGES = ("/dashboard", "/dashboard/demo", "/program/demo", "/review/demo", "/referrals/demo",
         "/customers/demo/alex", "/customers/demo", "/customers/demo/nobody", "/settings/demo",
         "/settings/demo/keys", "/settings/demo/webhooks", "/settings/demo/team",
         "/settings/demo/delete")
# Data, not words: shop and customer names, ids, codes, brand names.
DATA = re.compile(r"Demo Shop|Demo Owner|Alex|alex|ALEX-?\d+|Alexa|Google|Alice|Dialogflow|Salute|"
                  r"WhatsApp|"
                  r"Telegram|UTC|"
                  r"English|Deutsch|URL|[\w-]+…|\b[0-9a-f]{12}\b|\b[\w-]+(?:\.[\w-]+)+\b|"
                  r"CSV|JSON|SMS|QR|IP|[\w.+*-]+@[\w.-]+|https?://\S+|/r/<code>|#\d+")
WORD = re.compile(r"[A-Za-z]{3,}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "svg", "textarea"):  # textarea: the shop's own words
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg", "textarea"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.nodes.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.nodes


def _messages(language: str) -> tuple[set[str], set[str]]:
    """The catalog's English messages this language says differently, and those it says
    the same ("Team" in German)."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "merchant.po").open("rb") as fh:
        catalog = read_po(fh, locale=language)
    found = [m for m in catalog if m.id and isinstance(m.id, str) and m.string]
    return ({m.id for m in found if m.string != m.id and len(m.id) > 3},
            {m.id for m in found if m.string == m.id})


def _currency_in(node: str, language: str) -> bool:
    """"EUR — Euro": a currency as Babel names it in this language (the same in German)."""
    found = re.fullmatch(r"([A-Z]{3}) — (.+)", node)
    return bool(found) and get_currency_name(found.group(1), locale=language) == found.group(2)


@pytest.fixture
def traffic(client, demo, clock):  # type: ignore[no-untyped-def]
    backend = ShopBackend(client, demo["webhook_secret"], clock)
    backend.signup("f1", demo["code"], email="f1@example.org")
    backend.signup("temp", demo["code"], email="x@mailinator.com")  # flagged
    backend.order("f1", "o-1", 6000)


def _page(client, path: str, language: str) -> str:  # type: ignore[no-untyped-def]
    answer = client.get(path, headers={"Accept-Language": language})
    assert answer.status_code in (200, 404), (path, answer.status_code)
    return str(answer.get_data(as_text=True))


@pytest.mark.parametrize("language", ["de", "ru"])
def test_every_back_office_page_has_no_english_left(client, demo, traffic, language):
    sign_in(client, demo)
    english, same = _messages(language)
    assert len(english) > 100
    for path in PAGES:
        shown = visible_text(_page(client, path, language))
        original = set(visible_text(_page(client, path, "en")))
        left = []
        for node in shown:
            words = WORD.findall(DATA.sub(" ", node))
            if words and all(w in same for w in words):
                continue  # only words this language says as English does ("Webhooks")
            if node in same or node in LANGUAGE_NAMES.values() or _currency_in(node, language):
                continue  # a word this language says as English does; a language's own name
            if node in original and len(words) >= 1:
                left.append(node)  # the same words in English and in this language
            elif any(node == m or (len(m) > 12 and m in node) for m in english):
                left.append(node)
        assert not left, f"{path} in {language} still says: {left}"


def test_the_staff_members_choice_wins_over_the_browser(client, demo, services):
    sign_in(client, demo)
    assert "Kennzahlen" in _page(client, "/dashboard/demo", "de")
    page = client.get("/dashboard/demo").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    chosen = client.post("/language", data={"csrf_token": token, "language": "ru",
                                            "next": "/dashboard/demo"})
    assert chosen.status_code in (302, 303) and chosen.headers["Location"].endswith(
        "/dashboard/demo")
    with services.db.session() as session:
        assert session.scalar(select(StaffUser.language).where(
            StaffUser.email == demo["staff"]["email"])) == "ru"
    ru = _page(client, "/dashboard/demo", "de")  # the browser still asks for German
    assert "Показатели" in ru and "Kennzahlen" not in ru and '<html lang="ru">' in ru
    refused = client.post("/language", data={"csrf_token": token, "language": "xx"})
    assert refused.status_code == 422
