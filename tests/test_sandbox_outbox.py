"""The sandbox outbox (issue 26, item 2): it showed every shop's reset and invitation links
to anyone, even with live SMTP configured (an anonymous takeover: ask a reset for another
shop's owner, read the link there). Now it shows only what the sandbox channel captured,
only the signed-in staff member's shop (and a browser's own sign-up), and nothing at all
once a real channel is configured."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.config import SmtpSettings
from core.messaging.worker import Worker
from core.models import Message, StaffUser
from tests.support.staff import PASSWORD, last_link, post, sign_in, sign_up

OWNER_A, OWNER_B = "anna@books.example", "ben@bikes.example"


@pytest.fixture
def two_shops(app, services):  # type: ignore[no-untyped-def]
    """Two verified shops, signed up in browsers of their own."""
    services.settings = services.settings.with_(allow_signup=True, sandbox=True)
    for name, slug, email in (("Anna's Books", "annas-books", OWNER_A),
                              ("Ben's Bikes", "bens-bikes", OWNER_B)):
        browser = app.test_client()
        sign_up(browser, name=name, slug=slug, email=email)
        browser.get(last_link(services, "staff_verify", email))
    return services


def _links(client) -> str:  # type: ignore[no-untyped-def]
    return client.get("/sandbox/outbox").get_data(as_text=True)


def _reset_for(app, services, email: str) -> str:  # type: ignore[no-untyped-def]
    asker = app.test_client()
    post(asker, "/password/forgot", {"email": email}, page="/password/forgot")
    Worker(services).run_once()
    with services.db.session() as session:
        return session.scalars(select(Message.context).where(
            Message.kind == "staff_reset", Message.recipient == email)).all()[-1]["link"]


def test_an_anonymous_visitor_reads_no_reset_link(app, two_shops) -> None:
    link = _reset_for(app, two_shops, OWNER_A)
    attacker = app.test_client()
    page = _links(attacker)
    assert link not in page and OWNER_A not in page


def test_staff_read_only_their_own_shops_account_mails(app, two_shops) -> None:
    link = _reset_for(app, two_shops, OWNER_A)
    other_shop, own_shop = app.test_client(), app.test_client()
    sign_in(other_shop, OWNER_B)
    sign_in(own_shop, OWNER_A)
    assert link not in _links(other_shop)  # shop B's owner cannot take over shop A
    assert link in _links(own_shop)


def test_a_browser_reads_its_own_sign_ups_verification_but_nothing_else(app, two_shops) -> None:
    link = _reset_for(app, two_shops, OWNER_A)
    newcomer = app.test_client()
    sign_up(newcomer, name="Cleo's Cakes", slug="cleos-cakes", email="cleo@cakes.example")
    Worker(two_shops).run_once()
    page = _links(newcomer)
    assert last_link(two_shops, "staff_verify", "cleo@cakes.example") in page
    assert link not in page and OWNER_A not in page and OWNER_B not in page


def test_with_a_real_channel_configured_there_is_no_sandbox_outbox(app, two_shops) -> None:
    link = _reset_for(app, two_shops, OWNER_A)
    owner = app.test_client()
    sign_in(owner, OWNER_A)
    assert link in _links(owner)
    two_shops.settings = two_shops.settings.with_(smtp=SmtpSettings(
        host="mail.example", user="u", password="p"), messaging_mode="sandbox")
    answer = owner.get("/sandbox/outbox")
    assert answer.status_code == 404 and link not in answer.get_data(as_text=True)
    check = post(app.test_client(), "/password/forgot", {"email": OWNER_A},
                 page="/password/forgot")
    assert "sandbox outbox" not in check.get_data(as_text=True)


def test_only_what_the_sandbox_channel_captured_is_shown(app, two_shops) -> None:
    link = _reset_for(app, two_shops, OWNER_A)
    with two_shops.db.session() as session:  # as if a real channel had carried it
        session.execute(update(Message).where(Message.kind == "staff_reset")
                        .values(provider_message_id="<1@mail.example>"))
    owner = app.test_client()
    sign_in(owner, OWNER_A)
    assert link not in _links(owner)


def test_operator_staff_read_every_shops_account_mails(app, two_shops) -> None:
    link = _reset_for(app, two_shops, OWNER_B)
    with two_shops.db.session() as session:
        session.execute(update(StaffUser).where(StaffUser.email == OWNER_A)
                        .values(shop_id=None))
    operator = app.test_client()
    assert sign_in(operator, OWNER_A, PASSWORD).status_code == 302
    assert link in _links(operator)
