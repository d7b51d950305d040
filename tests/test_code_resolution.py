"""A friend types the code as they heard it — ALEKS455839, АЛЕКС 455 839, or 455839 — and
it resolves to the one code meant, never to another customer's: on `/r/`, on a signup's
`ref`, and wherever core.referrals.find_code is asked (checkout codes)."""

from __future__ import annotations

import random
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from core import codes, names, referrals
from core.errors import NotFound
from core.models import Customer, ReferralCode, Shop
from tests.support.heard_codes import heard_spellings, people, typos

MIN_RESOLVED = 0.97


def _customers(services, count_each: int = 110) -> list[tuple[str, str, int]]:
    """(name, code, shop id) for English names in an en-US shop and Russian ones in a
    ru-RU shop."""
    made = []
    with services.db.session() as session:
        shops = {lang: Shop(slug=f"heard-{lang}", name=f"Heard {lang}", locale=locale,
                            landing_url="https://shop.example/landing")
                 for lang, locale in (("en", "en-US"), ("ru", "ru-RU"))}
        session.add_all(shops.values())
        session.flush()
        for n, name in enumerate(people(count_each)):
            shop = shops["ru" if names.is_cyrillic(name) else "en"]
            customer = Customer(shop_id=shop.id, external_id=f"c{n}", name=name)
            session.add(customer)
            session.flush()
            code = referrals.ensure_code(session, customer)
            made.append((name, code.code, shop.id))
    return made


def measure(services, made: list[tuple[str, str, int]]) -> dict[str, float]:
    rng = random.Random(13)
    tried = resolved = wrong = typo_resolved = typo_tried = 0
    with services.db.session() as session:
        for name, code, _ in made:
            for spelling in heard_spellings(name, code, rng):
                tried += 1
                try:
                    row = referrals.find_code(session, spelling)
                except (codes.InvalidCode, NotFound):
                    continue
                resolved += row.code == code
                wrong += row.code != code
            for typo in typos(code, rng):
                typo_tried += 1
                try:
                    referrals.find_code(session, typo)
                    typo_resolved += 1
                except (codes.InvalidCode, NotFound):
                    pass
    return {"codes": len(made), "spellings": tried, "resolved": resolved / tried,
            "wrong": wrong / tried, "typos": typo_tried, "typos_resolved": typo_resolved}


def test_heard_spellings_of_220_english_and_russian_names_resolve_and_never_to_another_code(
        services, capsys):
    made = _customers(services)
    assert len(made) >= 220
    figures = measure(services, made)
    with capsys.disabled():
        print(f"\ncode resolution: {figures}")
    assert figures["wrong"] == 0
    assert figures["typos_resolved"] == 0
    assert figures["resolved"] >= MIN_RESOLVED, figures


def test_any_spelling_of_the_name_case_separators_or_the_digits_alone_resolve(services):
    made = _customers(services, count_each=1)
    (_, alex_code, _), (_, alexandr_code, ru_shop) = made
    digits = codes.split(alex_code).digits
    groups = " ".join(codes.split(alex_code).digit_groups)
    with services.db.session() as session:
        for typed in (f"ALEKS{digits}", f"aleks-{digits}", f"АЛЕКС {groups}",
                      f"Alex, {groups}", digits, groups):
            assert referrals.find_code(session, typed).code == alex_code, typed
        word = codes.split(alexandr_code).word  # Александр -> ALEKSANDR
        assert word == "ALEKSANDR"
        rest = codes.split(alexandr_code).digits
        for typed in (f"АЛЕКСАНДР{rest}", f"ALEXANDR {rest}", f"Aleksandr-{rest}"):
            assert referrals.find_code(session, typed).code == alexandr_code, typed
        assert referrals.find_code(session, rest, shop_id=ru_shop).code == alexandr_code


def test_a_name_that_is_not_the_codes_or_a_mistyped_digit_finds_nothing(services):
    [(_, code, shop_id)] = _customers(services, count_each=1)[:1]
    digits = codes.split(code).digits
    with services.db.session() as session:
        with pytest.raises(NotFound):
            referrals.find_code(session, f"BORIS{digits}")
        typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)
        with pytest.raises(codes.CodeChecksumError):
            referrals.find_code(session, f"ALEX{typo}")
        with pytest.raises(NotFound):  # another shop never gets this shop's code
            referrals.find_code(session, digits, shop_id=shop_id + 1000)


def test_digits_are_unique_across_shops_so_the_digits_alone_identify_a_code(services):
    made = _customers(services, count_each=40)
    with services.db.session() as session:
        rows = session.scalars(select(ReferralCode)).all()
    assert len({r.digits for r in rows}) == len(rows) == len(made)
    assert all(r.digits == codes.split(r.code).digits for r in rows)


def test_a_code_made_before_the_digits_had_their_own_check_still_resolves_by_any_name(
        services):
    body = "ALEX4271"
    legacy = body + codes.check_digits(body)
    with services.db.session() as session:
        shop = Shop(slug="legacy", name="Legacy", landing_url="https://shop.example/")
        session.add(shop)
        session.flush()
        customer = Customer(shop_id=shop.id, external_id="old", name="Alex")
        session.add(customer)
        session.flush()
        session.add(ReferralCode(code=legacy, digits=codes.split(legacy).digits,
                                 shop_id=shop.id, customer_id=customer.id,
                                 spoken_name="Alex"))
    with services.db.session() as session:
        assert referrals.find_code(session, legacy).code == legacy
        assert referrals.find_code(session, "aleks-" + legacy[4:]).code == legacy
        with pytest.raises((NotFound, codes.InvalidCode)):  # older digits: no check of their own
            referrals.find_code(session, legacy[4:])


def test_the_invite_link_redirects_for_a_heard_spelling_and_says_typo_for_a_wrong_digit(
        client, services, demo):
    compact = codes.normalize(demo["code"])
    digits = codes.split(compact).digits
    for typed in (f"ALEKS{digits}", digits, f"%D0%90%D0%9B%D0%95%D0%9A%D0%A1{digits}"):
        response = client.get(f"/r/{typed}")
        assert response.status_code == 302, typed
        assert parse_qs(urlsplit(response.headers["Location"]).query)["ref"] == [compact]
    typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    response = client.get(f"/r/ALEKS{typo}")
    assert response.status_code == 404 and b"check the code" in response.data


def test_a_russian_shop_says_and_shows_the_name_in_cyrillic(services):
    made = _customers(services, count_each=1)
    with services.db.session() as session:
        ru_shop = session.scalar(select(Shop).where(Shop.slug == "heard-ru"))
        alex = session.scalar(select(ReferralCode).where(ReferralCode.code == made[0][1]))
        invite = referrals.invite_for(ru_shop, alex, "https://ref.example")
        assert invite.spoken_name == "Алекс"
        assert invite.display == "АЛЕКС-" + codes.split(alex.code).digits
        assert invite.link.endswith(alex.code) or alex.code in invite.link  # links stay Latin
        english = referrals.invite_for(ru_shop, alex, "https://ref.example", locale="en-US")
        assert english.spoken_name == "Alex" and english.display.startswith("ALEX-")
