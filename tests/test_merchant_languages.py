"""The merchant pages in the staff member's language (issue 27): every page a person opens
on the merchant side (the routes are read from the app's url_map, so a new page cannot be
forgotten: it fails here until it is translated or listed in NOT_PAGES with its reason)
renders in German and Russian with no English left (the visible text and the placeholder,
aria-label, title and data-said-* (its script's words) attributes of each page are compared
with its English rendering and with the catalog's English messages); the staff member's own
choice wins over the browser's Accept-Language."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from babel.numbers import get_currency_name
from sqlalchemy import select

from core.assistant_setup import PLATFORMS
from core.config import Settings
from core.models import Shop, StaffUser
from core.passwords import hash_password
from fulfillment.web.i18n import LANGUAGE_NAMES, LOCALE_DIR
from tests.support.events import ShopBackend
from tests.support.staff import sign_in_cookie
from tests.test_dashboard import sign_in

# Routes that are not merchant pages, each with why (GET routes only; everything else in the
# url_map is rendered below, signed out and signed in, and must come out with no English).
# A key ending in "/" covers every route under it.
NOT_PAGES = {
    # machines: JSON APIs, metadata, health checks, the console's and connect page's scripts
    "/api/": "JSON API (errors are {code, message} for programs, not people)",
    "/.well-known/": "OAuth metadata (JSON)", "/healthz": "health check",
    "/livez": "health check", "/readyz": "health check",
    "/console/api/": "the console's JSON calls",
    "/connect/<slug>/<platform>/status": "the live status the connect page polls (JSON)",
    # downloads: files, not pages
    "/static/": "files", "/web/static/": "files", "/console/static/": "files",
    "/connect/static/": "files", "/brand/<slug>.css": "the shop's CSS",
    "/qr/<code>.<fmt>": "a QR image", "/dashboard/<slug>/kpis.csv": "CSV download",
    "/dashboard/<slug>/customer-export": "JSON download",
    "/dashboard/<slug>/export/<platform>.zip": "skill/agent package download",
    "/referrals/<slug>/referrals.csv": "CSV download",
    "/connect/<slug>/shopify/shopify.app.toml": "Shopify CLI config download",
    # redirects to the store (no page of ours)
    "/shopify/install": "redirects to Shopify's consent screen",
    "/shopify/callback": "redirects back to the Shopify connect page",
    # the customer's side: in the customer's language (voice catalogs), not the shop staff's
    "/r/<code>": "the friend page (voice/locale; tests/test_friend_page*.py)",
    "/oauth/authorize": "the customer's MCP sign-in (voice/locale; tests/test_mcp_oauth*.py)",
    "/u/<token>": "a customer's unsubscribe link (customer side)",
    "/demo/landing": "the demo shop's own landing page: a stand-in for the merchant's site",
}
# Concrete values for each route's arguments (the demo shop, a customer with traffic).
ARGUMENTS = {"slug": ["demo"], "platform": list(PLATFORMS), "external_id": ["alex", "nobody"],
             "token": ["not-a-valid-token"], "code": ["NOPE-1"]}
# Pages only a POST shows: (path, form), sent with the session's CSRF token.
POSTED = (("/program/demo", {"friend_reward_amount": "x", "currency": "DOL"}),
          ("/settings/demo", {"name": "", "currency": "DOL", "timezone": "Mars/Base",
                              "landing_url": "http://127.0.0.1:8000/"}),
          ("/settings/demo/keys/api", {"role": "support", "label": "k1"}),
          ("/settings/demo/keys/api", {"role": "owner", "label": "k2"}),
          ("/settings/demo/keys/webhook-secret", {}),
          ("/settings/demo/webhooks", {"event_type": "referral.created",
                                       "url": "https://10.0.0.1/hook"}),
          ("/settings/demo/webhooks", {"event_type": "referral.created",
                                       "url": "https://hooks.example/in"}),
          ("/connect/demo/woocommerce", {"store_url": "https://10.0.0.1", "consumer_key": "ck",
                                         "consumer_secret": "cs"}),
          ("/connect/demo/shopify", {"action": "install", "shop_domain": "not a domain"}),
          ("/connect/demo/alexa", {"alexa_skill_id": "nope"}),
          ("/connect/demo/alice", {"alice_skill_id": "nope", "alice_oauth_token": "x"}),
          ("/connect/demo/dialogflow-es", {"dialogflow_es_header": "Host",
                                           "dialogflow_basic_user": "a b"}),
          ("/connect/demo/dialogflow-cx", {"dialogflow_audience": "x",
                                           "dialogflow_service_agent": "x"}),
          ("/connect/demo/salute", {"salute_project_id": "nope"}),
          ("/signup", {"name": "", "slug": "Bad Slug", "email": "x", "password": "short"}),
          ("/password/forgot", {"email": "nobody@example.org"}),
          ("/verify/resend", {"email": "nobody@example.org"}),
          ("/login", {"email": "nobody@example.org", "password": "wrong-password"}))

# Data, not words: shop and customer names, ids, codes, brand names.
DATA = re.compile(r"Demo Shop|Demo Owner|Alex|alex|ALEX-?\d+|Alexa|Google|Alice|Dialogflow|Salute|"
                  r"WhatsApp|Shopify|WooCommerce|ChatGPT|Claude|cloudflared|ngrok|SmartApp Studio|"
                  r"X-Dialogflow-Secret|tools/list|\b[a-z]+_[a-z_]+\b|"
                  r"\b(?:dialogflow-es|dialogflow-cx|alexa|alice|salute|mcp)\b|"
                  r"Telegram|UTC|"
                  r"English|Deutsch|URL|[\w-]+…|\b[0-9a-f]{12}\b|\b[\w-]+(?:\.[\w-]+)+\b|"
                  r"CSV|JSON|SMS|QR|IP|[\w.+*-]+@[\w.-]+|https?://\S+|/r/<code>|#\d+")
WORD = re.compile(r"[A-Za-z]{3,}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    # textarea: the shop's own words; code: literal values (URLs, ids, commands); em: the
    # names of menus and buttons on another product's screen (Alexa's console, ChatGPT's).
    SKIPPED = ("script", "style", "svg", "textarea", "code", "em")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skip += 1
        for name, value in attrs:
            shown = name in ("placeholder", "aria-label", "title") or name.startswith(
                "data-said-")  # data-said-*: words a page's script shows (connect.js)
            if shown and value and value.strip():
                self.nodes.append(" ".join(value.split()))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
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
def settings(settings: Settings) -> Settings:
    """Sign-up open, so its page and the visitor's call to it are rendered too."""
    return dataclasses.replace(settings, allow_signup=True)


@pytest.fixture
def traffic(client, demo, clock):  # type: ignore[no-untyped-def]
    backend = ShopBackend(client, demo["webhook_secret"], clock)
    backend.signup("f1", demo["code"], email="f1@example.org")
    backend.signup("temp", demo["code"], email="x@mailinator.com")  # flagged
    backend.order("f1", "o-1", 6000)


def _page(client, path: str, language: str) -> str:  # type: ignore[no-untyped-def]
    answer = client.get(path, headers={"Accept-Language": language})
    assert answer.status_code in (200, 400, 403, 404), (path, answer.status_code)
    return str(answer.get_data(as_text=True))


def merchant_pages(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every GET route of the app that is a page, with its arguments filled in."""
    paths: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or any(
                rule.rule == skip or (skip.endswith("/") and rule.rule.startswith(skip))
                for skip in NOT_PAGES):
            continue
        filled = [rule.rule]
        for name in rule.arguments:
            assert name in ARGUMENTS, f"{rule.rule}: give ARGUMENTS a {name} (or NOT_PAGES)"
            filled = [f.replace(f"<{name}>", value).replace(f"<path:{name}>", value)
                      for f in filled for value in ARGUMENTS[name]]
        paths += [f.rstrip("/") or "/" for f in filled]  # /console/ is /console
    return sorted(set(paths))


def _english_left(html: str, original: list[str], language: str) -> list[str]:
    english, same = _messages(language)
    left = []
    for node in visible_text(html):
        words = WORD.findall(DATA.sub(" ", node))
        if not words or all(w in same for w in words):
            continue  # data only, or words this language says as English does ("Webhooks")
        if node in same or node in LANGUAGE_NAMES.values() or _currency_in(node, language):
            continue  # a word this language says as English does; a language's own name
        if node in original:
            left.append(node)  # the same words in English and in this language
        elif any(node == m or (len(m) > 12 and m in node) for m in english):
            left.append(node)
    return left


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/account").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def _sign_in_as_support(client, services) -> None:  # type: ignore[no-untyped-def]
    """A support member: the pages above a support role answer with the refusal page."""
    with services.db.session() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
        row = StaffUser(shop_id=shop_id, email="sam@demo.example", role="support",
                        password_hash=hash_password("x" * 12),
                        email_verified_at=services.clock())
        session.add(row)
        session.flush()
        staff_id = row.id
    with client.session_transaction() as browser:
        sign_in_cookie(browser, services, staff_id, "tok")


@pytest.mark.parametrize("language", ["de", "ru"])
def test_every_merchant_page_has_no_english_left(app, client, services, demo, traffic,
                                                 language):
    assert len(_messages(language)[0]) > 300
    pages = merchant_pages(app)
    assert "/connect/demo/alexa" in pages and "/console/login" in pages and "/" in pages
    rendered: set[str] = set()
    found: dict[str, list[str]] = {}
    refused: set[str] = set()
    for who in ("signed out", "owner", "support"):
        if who == "owner":
            sign_in(client, demo)
        elif who == "support":
            _sign_in_as_support(client, services)
        for path in pages:
            english = client.get(path, headers={"Accept-Language": "en"})
            if english.status_code in (301, 302, 303, 307, 308):
                continue  # signed out: the sign-in page, rendered on its own
            assert english.status_code in (200, 400, 403, 404), (path, english.status_code)
            rendered.add(path)
            if english.status_code == 403:
                refused.add(path)
            left = _english_left(_page(client, path, language),
                                 visible_text(english.get_data(as_text=True)), language)
            if left:
                found[f"{path} ({who})"] = left
    assert "/settings/demo" in refused  # the refusal page was among them
    sign_in(client, demo)
    for path, form in POSTED:
        answers = {}
        for lang in ("en", language):
            answers[lang] = client.post(path, data={**form, "csrf_token": _csrf(client)},
                                        headers={"Accept-Language": lang})
            assert answers[lang].status_code < 500, path
        left = _english_left(answers[language].get_data(as_text=True),
                             visible_text(answers["en"].get_data(as_text=True)), language)
        if left:
            found[f"POST {path} {sorted(form.items())}"] = left
    # The set-password form behind a valid link: the reset mail the sandbox outbox shows.
    client.post("/password/forgot", data={"email": demo["staff"]["email"],
                                          "csrf_token": _csrf(client)})
    outbox = client.get("/sandbox/outbox").get_data(as_text=True)
    link = re.search(r'class="mail-link" href="https?://[^/"]+(/password/reset/[^"]+)"', outbox)
    assert link, "no reset mail in the sandbox outbox"
    form_page = _page(client, link.group(1), language)
    assert 'name="confirm"' in form_page  # the form, not the refusal
    left = _english_left(form_page, visible_text(_page(client, link.group(1), "en")), language)
    if left:
        found["the set-password form"] = left
    assert not set(pages) - rendered, f"never rendered: {set(pages) - rendered}"
    assert not found, f"in {language}, English left: {found}"


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


def test_the_program_preview_is_framed_in_the_staff_members_language(client, demo):
    """The live preview's JSON: block titles, "no such locale" and field errors in the
    staff member's language (the customer's words inside stay in each locale's own)."""
    from tests.test_program_editor import FORM, csrf

    sign_in(client, demo)
    token = csrf(client, "/program/demo")
    answers = {lang: client.post("/program/demo/preview", json=FORM, headers={
        "X-CSRF-Token": token, "Accept-Language": lang}).get_json() for lang in ("en", "ru")}
    en, ru = (answers[lang]["preview"]["ru-RU"]["blocks"] for lang in ("en", "ru"))
    assert [b.get("title") for b in en if b.get("title")][:1] != [
        b.get("title") for b in ru if b.get("title")][:1]
    assert any(b.get("title") == "Алиса (текст на экране)" for b in ru)
    assert any(b.get("absent", "").startswith("У Alexa нет языка") for b in ru)
    bad = client.post("/program/demo/preview", json={**FORM, "hold_days": "5"},
                      headers={"X-CSRF-Token": token, "Accept-Language": "de"}).get_json()
    assert bad["errors"]["hold_days"] == "0, 7, 14, 30, 60 oder 90 Tage."
