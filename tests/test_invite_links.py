"""A friend clicks or scans an invite: redirected to the shop, the click counted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from core import codes, qr, referrals
from core.models import Click, Customer, ReferralCode, Shop
from tests.support.keys import HASH_KEY, SECRET_KEY
from tests.support.qr_decode import decode_png, decode_svg


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_a_click_redirects_to_the_landing_page_with_the_code_and_is_recorded(
    client, services, demo
) -> None:
    compact = codes.normalize(demo["code"])
    response = client.get(f"/r/{compact}?c=sms", headers={"User-Agent": "Mozilla/5.0 Firefox"})
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/demo/landing"
    assert parse_qs(target.query) == {
        "ref": [compact], "utm_source": ["referral"], "utm_medium": ["sms"]
    }
    # Recorded after the answer, not during it:
    with services.db.session() as s:
        assert s.scalar(select(func.count(Click.id))) == 0
    assert services.clicks.flush() == 1
    with services.db.session() as s:
        click = s.scalars(select(Click)).one()
    assert (click.channel, click.is_bot) == ("sms", False)
    assert click.ip_hash and "127.0.0.1" not in click.ip_hash


def test_a_link_preview_bot_is_counted_but_flagged(client, services, demo) -> None:
    client.get(_path(demo["link"]), headers={"User-Agent": "WhatsApp/2.23"})
    services.clicks.flush()
    with services.db.session() as s:
        assert s.scalars(select(Click.is_bot)).one() is True


def test_an_unknown_channel_is_recorded_as_web(client, services, demo) -> None:
    client.get(f"/r/{codes.normalize(demo['code'])}?c=<script>")
    services.clicks.flush()
    with services.db.session() as s:
        assert s.scalars(select(Click.channel)).one() == "web"


def test_a_code_with_a_typo_gets_a_page_asking_to_check_it(client, demo) -> None:
    compact = codes.normalize(demo["code"])
    typo = compact[:-1] + ("0" if compact[-1] != "0" else "1")
    response = client.get(f"/r/{typo}")
    assert response.status_code == 404
    assert b"check the code" in response.data
    assert response.mimetype == "text/html"


def test_an_unknown_but_well_formed_code_gets_a_friendly_404(client, demo) -> None:
    response = client.get(f"/r/{codes.generate('Zed')}")
    assert response.status_code == 404
    assert b"does not exist" in response.data


def test_garbage_in_the_code_never_causes_a_500(client, demo) -> None:
    for junk in ["%00", "a" * 500, "ALEX-%E2%80%8B", "../../etc/passwd", "💥"]:
        assert client.get(f"/r/{junk}").status_code == 404
        assert client.get(f"/qr/{junk}.png").status_code == 404


def test_the_qr_png_decodes_to_the_invite_link_marked_as_scanned(client, demo) -> None:
    response = client.get(_path(demo["qr_png"]))
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert 1024 <= len(response.data) <= 1024 * 1024
    assert "max-age" in response.headers["Cache-Control"]
    compact = codes.normalize(demo["code"])
    assert decode_png(response.data) == [f"https://refer.test/r/{compact}?c=qr"]


def test_the_qr_svg_decodes_to_the_same_link(client, demo) -> None:
    response = client.get(_path(demo["qr_svg"]))
    assert response.mimetype == "image/svg+xml"
    assert decode_svg(response.data) == [f"https://refer.test/r/{codes.normalize(demo['code'])}?c=qr"]


def test_the_qr_size_is_bounded_and_a_repeat_request_is_a_304(client, demo) -> None:
    path = _path(demo["qr_png"])
    huge = client.get(path + "?size=100000")
    small = client.get(path + "?size=1")
    assert len(decode_png(huge.data)) == 1 and len(decode_png(small.data)) == 1
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_qr_images_are_rendered_once_per_link_and_size() -> None:
    qr.png.cache_clear()
    qr.png("https://refer.test/r/X?c=qr")
    qr.png("https://refer.test/r/X?c=qr")
    assert qr.png.cache_info().hits == 1


def test_clicks_queued_at_shutdown_are_written_not_lost(client, services, demo) -> None:
    for _ in range(25):
        client.get(_path(demo["link"]))
    services.clicks.close()
    with services.db.session() as s:
        assert s.scalar(select(func.count(Click.id))) == 25


def test_healthz_answers_once_the_database_is_reachable(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_an_unknown_api_route_answers_json_with_a_reason(client) -> None:
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def _new_customer(services, name: str = "Maria") -> int:
    with services.db.session() as s:
        shop = Shop(slug="s1", name="S", landing_url="https://s.test/")
        s.add(shop)
        s.flush()
        customer = Customer(shop_id=shop.id, name=name)
        s.add(customer)
        s.flush()
        return customer.id


def test_a_customer_keeps_one_active_code(services) -> None:
    customer_id = _new_customer(services)
    with services.db.session() as s:
        first = referrals.ensure_code(s, s.get(Customer, customer_id)).code
    with services.db.session() as s:
        assert referrals.ensure_code(s, s.get(Customer, customer_id)).code == first


def test_twenty_threads_creating_one_customers_code_end_with_one_code(pg_database) -> None:
    from core.config import Settings
    from core.services import bootstrap

    svc = bootstrap(Settings(database_url=pg_database.url, secret_key=SECRET_KEY,
                             hash_key=HASH_KEY), db=pg_database,
                    background_clicks=False)
    customer_id = _new_customer(svc, "Concurrent")

    def create() -> str:
        with svc.db.session() as s:
            return referrals.ensure_code(s, s.get(Customer, customer_id)).code

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: create(), range(20)))
    with svc.db.session() as s:
        rows = s.scalars(select(ReferralCode).where(ReferralCode.customer_id == customer_id)).all()
    assert len(rows) == 1
    assert set(results) == {rows[0].code}
