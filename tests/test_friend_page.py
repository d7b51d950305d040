"""The friend's page at the invite link: a brand-new shop's links work from the first minute
(sign-up no longer sends friends to the server root, a 404), say who invited the friend
(first name only) and what they get in the shop's words and currency, in the shop's and the
visitor's language, with the code, the QR, preview tags and a button that applies the code
on Shopify; an unknown or erased code gets a kind page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from core import codes, customers, programs, referrals, staff_accounts
from core.models import Customer, ReferralCode, Shop, StoreConnection
from tests.support.staff import PASSWORD


def _new_shop(services: Any, name: str, slug: str, locale: str = "en-US") -> int:
    with services.db.session() as db:
        created = staff_accounts.sign_up(db, services, name=name, slug=slug,
                                         email=f"owner@{slug}.example", password=PASSWORD,
                                         locale=locale)
    return created.shop_id


def _code_for(services: Any, shop_id: int, name: str = "Alex Morgan") -> str:
    customers.save(services, shop_id, "c1", {"name": name, "email": "alex@example.com"})
    with services.db.session() as db:
        customer = db.scalars(select(Customer).where(Customer.shop_id == shop_id)).one()
        return referrals.ensure_code(db, customer).code


def test_a_new_shops_invite_link_opens_the_friend_page(client, services) -> None:
    shop_id = _new_shop(services, "Crumb & Co Bakery", "crumb")
    programs.publish(services, shop_id, {"friend_reward_kind": "fixed_discount",
                                         "friend_reward_amount": 500,
                                         "terms": {"en": "Fresh bread every morning."}})
    code = _code_for(services, shop_id)
    page = client.get(f"/r/{code}?c=sms", headers={"Accept-Language": "en-US,en;q=0.9"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="title">Alex invited you to Crumb &amp; Co Bakery<' in text
    assert "Morgan" not in text  # the first name only
    assert 'id="offer">You get $5 off with your first order.<' in text
    assert "Fresh bread every morning." in text
    assert f'id="code">{code}<' in text and f'src="/qr/{code}.svg"' in text
    assert '<meta property="og:title" content="Alex invited you to Crumb &amp; Co Bakery">' \
        in text
    assert 'name="twitter:card" content="summary"' in text
    assert f'property="og:image" content="https://refer.test/qr/{code}.png"' in text
    assert 'property="og:description" content="You get $5 off' in text
    assert 'id="no-shop-button"' in text  # no store, no landing page: "enter it at checkout"
    assert services.clicks.flush() == 1  # the visit counts as the click
    forged = client.get(f"/r/{code}", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in forged  # previews never take the request's Host


@pytest.mark.parametrize(("locales", "accept", "title", "offer"), [
    (["en-US", "de-DE"], "de-DE,de;q=0.9,en;q=0.5", "Alex hat Sie zu Crumb &amp; Co Bakery "
     "eingeladen", "Sie erhalten"),
    (["en-US"], "de-DE,de;q=0.9", "Alex invited you", "You get"),  # not a shop language
    (["ru-RU"], "en-US", "Alex приглашает вас в Crumb &amp; Co Bakery", "Вы получите"),
])
def test_the_page_speaks_the_visitors_language_when_the_shop_does(
        client, services, locales, accept, title, offer) -> None:
    shop_id = _new_shop(services, "Crumb & Co Bakery", "crumb", locale=locales[0])
    with services.db.session() as db:
        shop = db.get(Shop, shop_id)
        assert shop is not None
        shop.settings = {**shop.settings, "locales": locales}
    code = _code_for(services, shop_id)
    text = client.get(f"/r/{code}", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert title in text and f'id="offer">{offer}' in text


def test_a_cyrillic_shop_name_and_roubles(client, services) -> None:
    shop_id = _new_shop(services, "Пекарня «Крошка»", "kroshka", locale="ru-RU")
    with services.db.session() as db:
        shop = db.get(Shop, shop_id)
        assert shop is not None
        shop.currency = "RUB"
    programs.publish(services, shop_id, {"friend_reward_kind": "fixed_discount",
                                         "friend_reward_amount": 30000, "currency": "RUB"})
    code = _code_for(services, shop_id, name="Алексей Смирнов")
    text = client.get(f"/r/{code}").get_data(as_text=True)
    assert "Алексей приглашает вас в Пекарня «Крошка»" in text and "Смирнов" not in text
    assert re.search(r"300\s₽", text), text


def test_on_shopify_the_button_applies_the_code(client, services) -> None:
    shop_id = _new_shop(services, "Crumb & Co Bakery", "crumb")
    code = _code_for(services, shop_id)
    with services.db.session() as db:
        db.add(StoreConnection(shop_id=shop_id, platform="shopify",
                               store_url="crumb.myshopify.com", credentials_sealed="",
                               webhook_secret_sealed=""))
    text = client.get(f"/r/{code}").get_data(as_text=True)
    assert (f'id="shop-button" href="https://crumb.myshopify.com/discount/{code}'
            '?redirect=%2F"') in text
    assert ">Shop with your code<" in text


def test_a_shop_with_its_own_landing_page_still_gets_the_redirect(client, services) -> None:
    shop_id = _new_shop(services, "Crumb & Co Bakery", "crumb")
    with services.db.session() as db:
        shop = db.get(Shop, shop_id)
        assert shop is not None
        shop.landing_url = "https://crumb.example/welcome"
    code = _code_for(services, shop_id)
    answer = client.get(f"/r/{code}")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(f"https://crumb.example/welcome?ref={code}")


def test_an_erased_or_unknown_code_gets_a_kind_page_in_the_visitors_language(
        client, services) -> None:
    shop_id = _new_shop(services, "Crumb & Co Bakery", "crumb")
    code = _code_for(services, shop_id)
    with services.db.session() as db:
        db.scalars(select(ReferralCode)).one().active = False  # what erasure does
    services.codes.forget(code)
    unknown = codes.generate("Nobody")  # well formed, never issued
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    for path, accept, words in ((f"/r/{code}", "de", "Diese Einladung gibt es nicht"),
                                (f"/r/{unknown}", "ru", "Такого приглашения нет"),
                                (f"/r/{unknown}", "en", "This invite does not exist"),
                                (f"/r/{typo}", "de", "Bitte prüfen Sie den Code")):
        answer = client.get(path, headers={"Accept-Language": accept})
        assert answer.status_code == 404 and answer.mimetype == "text/html"
        assert words in answer.get_data(as_text=True)


def test_the_shops_logo_and_brand_colour_reach_the_page(client, services) -> None:
    shop_id = _new_shop(services, "Crumb & Co Bakery", "crumb")
    with services.db.session() as db:
        shop = db.get(Shop, shop_id)
        assert shop is not None
        shop.settings = {**shop.settings, "logo_url": "https://crumb.example/logo.png",
                         "brand_colour": "#aa3300"}
    code = _code_for(services, shop_id)
    text = client.get(f"/r/{code}").get_data(as_text=True)
    assert 'src="https://crumb.example/logo.png"' in text
    assert 'href="/brand/crumb.css"' in text
    assert client.get("/brand/crumb.css").get_data(as_text=True) == ":root { --brand: #aa3300; }\n"
    assert "#2457d6" in client.get("/brand/nobody.css").get_data(as_text=True)  # a safe default


def test_a_colour_that_is_not_a_colour_never_reaches_the_stylesheet(client, services) -> None:
    shop_id = _new_shop(services, "Crumb & Co Bakery", "crumb")
    with services.db.session() as db:
        shop = db.get(Shop, shop_id)
        assert shop is not None
        shop.settings = {**shop.settings, "brand_colour": "red; } body { display: none"}
    assert client.get("/brand/crumb.css").get_data(as_text=True) == \
        ":root { --brand: #2457d6; }\n"


def test_the_demo_shops_landing_page_says_who_invited_and_what_the_friend_gets(
        client, demo) -> None:
    from urllib.parse import urlsplit

    landing = urlsplit(client.get(f"/r/{codes.normalize(demo['code'])}?c=sms").location)
    followed = client.get(f"{landing.path}?{landing.query}")
    text = followed.get_data(as_text=True)
    assert followed.status_code == 200 and "Alex invited you to Demo Shop" in text
    assert 'id="offer">You get' in text and f'id="code">{codes.normalize(demo["code"])}' in text
