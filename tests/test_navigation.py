"""One navigation drawn by role: every link a role is shown opens (no 403 behind a link),
support is never shown the manager's pages, and a refused page is an HTML sentence on
every people's page (the connect and program pages answered raw JSON before)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from core.models import Shop, StaffUser
from core.passwords import hash_password
from tests.support.staff import sign_in_cookie


def _staff(client: Any, services: Any, role: str) -> Any:
    with services.db.session() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
        row = StaffUser(shop_id=shop_id, email=f"{role}@demo.example", role=role,
                        display_name=role.title(), password_hash=hash_password("x" * 12),
                        email_verified_at=services.clock())
        session.add(row)
        session.flush()
        staff_id = row.id
    with client.session_transaction() as browser:
        sign_in_cookie(browser, services, staff_id, "tok")
    return client


def _nav(page: str) -> dict[str, str]:
    bar = page[page.index('<nav class="mainnav"'):]
    bar = bar[:bar.index("</nav>")]
    return {key: href for href, key in re.findall(r'href="([^"]+)" id="nav-([\w-]+)"', bar)}


@pytest.mark.parametrize(("role", "shown", "hidden"), [
    ("owner", {"home", "program", "assistants", "kpis", "console", "settings", "team"}, set()),
    ("manager", {"home", "program", "assistants", "kpis", "console", "settings"}, {"team"}),
    ("support", {"home", "kpis", "console"}, {"program", "assistants", "settings", "team",
                                               "store"}),
])
def test_each_role_sees_only_links_it_may_open(client, services, demo, role, shown,
                                               hidden) -> None:
    _staff(client, services, role)
    home = client.get("/")
    assert home.status_code == 200
    links = _nav(home.get_data(as_text=True))
    assert shown <= set(links) and not hidden & set(links)
    for key, href in links.items():
        opened = client.get(href)
        assert opened.status_code == 200, (key, href, opened.status_code)
        assert 'aria-current="page"' in opened.get_data(as_text=True), key


@pytest.mark.parametrize("path", ["/program/demo", "/connect/demo/alexa", "/settings/demo"])
def test_a_refused_page_is_a_sentence_not_json(client, services, demo, path) -> None:
    _staff(client, services, "support")
    refused = client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    text = refused.get_data(as_text=True)
    assert "You can't open this page" in text and "needs the manager role" in text
    assert 'id="nav-console"' in text  # the navigation stays, so the way on is visible


def test_a_pages_script_still_gets_json_errors(client, services, demo) -> None:
    _staff(client, services, "support")
    answer = client.get("/connect/demo/alexa/status", headers={"Accept": "application/json"})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"


def test_a_visitor_sees_what_the_product_does_and_the_way_in(client, services) -> None:
    page = client.get("/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "share your shop by voice" in text
    assert 'id="cta-signin"' in text and 'id="nav-signin"' in text
