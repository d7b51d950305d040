"""Every share counts, whatever the channel (issue 27): five shares where the code was only
spoken show as five on the KPIs, a share on a screen counts as "screen", the link a screen
or an app card shows carries its own channel (not the message's `c=sms`), and signups and
orders split by where the friend came from."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from core import analytics, referrals
from core.models import Customer, Referral, Share
from core.services import Services
from tests.support.events import ShopBackend
from tests.test_dashboard import sign_in
from voice.dialog import handle
from voice.turn import Turn

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


def _unconfirm_alex(services: Services) -> None:
    """No confirmed phone or email: the code can only be spoken."""
    with services.db.session() as session:
        alex = session.scalar(select(Customer).where(Customer.external_id == "alex"))
        alex.phone_confirmed_at = alex.email_confirmed_at = None


def _share(services: Services, demo: dict[str, Any], *, screen: bool = False,
           assistant: str = "alexa") -> Any:
    return handle(Turn(assistant, "en-US", "demo", demo["voice_users"][assistant],
                       "ShareProgram", has_screen=screen), services)


def _kpis(services: Services) -> analytics.Kpis:
    with services.db.session() as session:
        shop = referrals.shop_by_slug(session, "demo")
        return analytics.kpis(session, shop.id, today=services.clock().date())


def test_five_voice_shares_show_as_five(services, demo, client):
    _unconfirm_alex(services)
    for _ in range(5):
        reply = _share(services, demo)
        assert "write the code down" in reply.speech.to_plain() and not reply.message_ids
    data = _kpis(services)
    assert data.shares_total == 5 and data.shares == {"voice": 5}
    assert data.by_assistant["alexa"].shares == 5
    sign_in(client, demo)
    page = client.get("/dashboard/demo").get_data(as_text=True)
    assert re.search(r'id="k-shares">\s*5\s*<', page), page


def test_a_screen_share_counts_as_screen_and_its_link_says_screen(services, demo):
    _unconfirm_alex(services)
    reply = _share(services, demo, screen=True)
    assert parse_qs(urlsplit(reply.link_url).query)["c"] == ["screen"]
    with services.db.session() as session:
        assert [s.channel for s in session.scalars(select(Share))] == ["screen"]


def test_a_card_beside_a_text_carries_the_cards_channel_not_the_texts(services, demo):
    reply = _share(services, demo)  # Alex has a confirmed phone: the link is texted too
    assert reply.message_ids
    assert parse_qs(urlsplit(reply.link_url).query) == {"c": ["card"], "a": ["alexa"]}
    with services.db.session() as session:
        assert [s.channel for s in session.scalars(select(Share))] == ["sms"]


def test_signups_and_orders_split_by_where_the_friend_came_from(services, demo, client, clock):
    _unconfirm_alex(services)
    screen_link = _share(services, demo, screen=True).link_url
    parts = urlsplit(screen_link)
    assert client.get(f"{parts.path}?{parts.query}",
                      headers={"User-Agent": BROWSER}).status_code == 302
    services.clicks.flush()
    shop = ShopBackend(client, demo["webhook_secret"], clock)
    assert shop.signup("f1", demo["code"], email="f1@example.org").status_code == 200  # bare
    assert shop.signup("f2", "https://x.example/r/" + demo["code"] + "?c=qr",
                       email="f2@example.org").status_code == 200
    assert shop.order("f1", "o1", 6000).status_code == 200
    with services.db.session() as session:
        sources = {r.friend_id: (r.channel, r.assistant)
                   for r in session.scalars(select(Referral))}
    assert sorted(sources.values(), key=str) == [("qr", None), ("screen", "alexa")]
    data = _kpis(services)
    assert (data.by_channel["screen"].signups, data.by_channel["screen"].conversions) == (1, 1)
    assert (data.by_channel["qr"].signups, data.by_channel["qr"].conversions) == (1, 0)
    assert data.by_assistant["alexa"].signups == 1 and data.by_assistant["none"].signups == 1
