"""Outbound webhooks per event type: a URL that resolves to loopback, private, link-local
or metadata addresses is refused when saved and again at every send (DNS rebinding), the
send goes to the checked address with the URL's name as Host, signed with the endpoint's
own secret, and the deliveries page shows what the shop answered and resends."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from core import outbound, webhook_settings
from core.errors import FieldErrors
from core.models import OutboundWebhook, Shop, StaffUser, WebhookEndpoint
from core.passwords import hash_password
from core.services import Services
from core.url_guard import UnsafeUrl, check_url, system_resolver
from core.webhook_signing import HEADER, verify
from tests.support.events import ShopBackend
from tests.support.http_servers import scripted_server
from tests.support.staff import sign_in_cookie

PUBLIC = "93.184.216.34"
REFUSED = ["https://127.0.0.1/hooks", "https://10.0.0.1/hooks",
           "https://169.254.169.254/latest/meta-data/", "https://[::1]/hooks",
           "https://localhost/hooks", "https://hooks.inside.test/hooks",
           "https://[::ffff:127.0.0.1]/hooks", "https://192.168.1.10/", "https://0.0.0.0/"]
# IPv6 forms that wrap a private IPv4 address (issue 26, item 12): IPv4-compatible, NAT64
# (RFC 6052 well-known and RFC 8215 local-use), 6to4 (RFC 3056), SIIT, Teredo's client.
WRAPPED = ["https://[::127.0.0.1]/hooks", "https://[::10.0.0.1]/", "https://[::169.254.169.254]/",
           "https://[64:ff9b::127.0.0.1]/", "https://[64:ff9b::a9fe:a9fe]/",
           "https://[64:ff9b:1::10.0.0.1]/", "https://[2002:7f00:1::1]/",
           "https://[2002:a00:1::]/", "https://[::ffff:0:127.0.0.1]/",
           "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/"]


class Names:
    """A resolver injected through Services: names the test decides, answers it can change
    between the save and the send (what DNS rebinding does)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host == "localhost":
            return system_resolver(host, port)  # the real thing: loopback, no network
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return list(self.table[host])


@pytest.fixture
def names(services: Services) -> Names:
    resolver = Names({"hooks.shop.test": [PUBLIC], "hooks.inside.test": ["127.0.0.1"]})
    services.resolve = resolver
    return resolver


def not_local(services: Services) -> None:
    """Outside local: not the sandbox (today's and the explicit SANDBOX switch)."""
    changes: dict[str, Any] = {"messaging_mode": "live"}
    if hasattr(services.settings, "sandbox"):
        changes["sandbox"] = False
    services.settings = services.settings.with_(**changes)


def demo_shop_id(services: Services) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(Shop.id).where(Shop.slug == "demo")))


@pytest.mark.parametrize("url", REFUSED)
def test_a_webhook_url_to_our_own_network_is_refused_when_saved(services, demo, names,
                                                                 url) -> None:
    shop_id = demo_shop_id(services)
    with pytest.raises(FieldErrors) as refused, services.db.session() as session:
        webhook_settings.save(session, services, shop_id=shop_id,
                              event_type="reward.approved", url=url)
    assert "loopback, private, link-local or metadata" in refused.value.fields[
        "url_reward.approved"]
    with services.db.session() as session:
        assert session.scalars(select(WebhookEndpoint)).all() == []


def test_http_is_refused_outside_local_and_https_to_a_public_name_is_kept(
        services, demo, names) -> None:
    not_local(services)
    shop_id = demo_shop_id(services)
    with pytest.raises(FieldErrors) as refused, services.db.session() as session:
        webhook_settings.save(session, services, shop_id=shop_id,
                              event_type="share.created", url="http://hooks.shop.test/x")
    assert "https" in refused.value.fields["url_share.created"]
    with services.db.session() as session:
        saved = webhook_settings.save(session, services, shop_id=shop_id,
                                      event_type="share.created",
                                      url="https://hooks.shop.test/x")
    assert saved.secret and saved.secret.startswith("whsec_")


@pytest.mark.parametrize("url", WRAPPED)
def test_ipv6_forms_wrapping_a_private_ipv4_address_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, resolve=system_resolver)
    host = url.split("[")[1].split("]")[0]
    with pytest.raises(UnsafeUrl):  # and as what a public-looking name resolves to
        check_url("https://hooks.shop.test/", resolve=lambda name, port: [host])


def test_ipv6_forms_wrapping_a_public_ipv4_address_still_pass() -> None:
    for host in ("64:ff9b::5db8:d822", "2002:5db8:d822::1"):  # 93.184.216.34
        assert check_url(f"https://[{host}]/", resolve=system_resolver).address == host


def test_the_guard_refuses_names_that_do_not_resolve_credentials_and_other_schemes() -> None:
    def resolve(host: str, port: int) -> list[str]:
        raise OSError("offline")

    for url, reason in (("https://nowhere.test/", "does not resolve"),
                        ("https://user:pw@hooks.shop.test/", "credentials"),
                        ("ftp://hooks.shop.test/", "https"), ("https:///path", "no host"),
                        ("https://hooks.shop.test:99999/", "not a valid URL")):
        with pytest.raises(UnsafeUrl) as refused:
            check_url(url, resolve=resolve)
        assert reason in refused.value.message, url


def _endpoint(services: Services, event_type: str, url: str) -> str:
    with services.db.session() as session:
        saved = webhook_settings.save(session, services, shop_id=demo_shop_id(services),
                                      event_type=event_type, url=url)
    assert saved.secret is not None
    return saved.secret


def _local_receiver(services: Services, names: Names, port: int) -> None:
    """The test's receiver listens on loopback: the operator allows exactly that address
    (OUTBOUND_ALLOW_NETWORKS), and the shop's name resolves to it."""
    services.settings = services.settings.with_(outbound_allow_networks=("127.0.0.1/32",))
    names.table["hooks.shop.test"] = ["127.0.0.1"]


def test_a_name_that_points_inside_at_send_time_is_refused_then_not_fetched(
        services, demo, names, client, clock) -> None:
    with scripted_server() as server:
        port = int(server.url.rsplit(":", 1)[1])
        _endpoint(services, "referral.created", f"https://hooks.shop.test:{port}/in")
        names.table["hooks.shop.test"] = ["127.0.0.1"]  # rebinding: now it points at us
        ShopBackend(client, demo["webhook_secret"], clock).signup(
            "f1", demo["code"], email="f1@example.org")
        assert outbound.deliver_due(services) == 0
        assert server.received == []
    with services.db.session() as session:
        hook = session.scalar(select(OutboundWebhook).where(
            OutboundWebhook.event_type == "referral.created"))
        assert hook.status == "pending" and hook.attempts == 1
        assert hook.last_error.startswith("refused: hooks.shop.test resolves to 127.0.0.1")


def test_each_event_goes_to_its_own_endpoint_signed_with_its_secret_at_the_checked_address(
        services, demo, names, client, clock) -> None:
    with scripted_server([500]) as server:
        port = int(server.url.rsplit(":", 1)[1])
        _local_receiver(services, names, port)
        secret = _endpoint(services, "referral.created", f"http://hooks.shop.test:{port}/ref")
        _endpoint(services, "conversion.created", f"http://hooks.shop.test:{port}/cnv")
        backend = ShopBackend(client, demo["webhook_secret"], clock)
        backend.signup("f1", demo["code"], email="f1@example.org")
        backend.order("f1", "o1", 6000)
        names.calls.clear()
        assert outbound.deliver_due(services) == 1  # the first answer was a 500
        assert names.calls == ["hooks.shop.test", "hooks.shop.test"]  # one lookup per send
        by_path = {r.path: r for r in server.received}
        assert set(by_path) == {"/ref", "/cnv"}
        ref = by_path["/ref"]
        assert ref.headers["Host"] == f"hooks.shop.test:{port}"
        assert ref.headers["X-Referral-Event"] == "referral.created"
        verify(ref.headers[HEADER], ref.body, [secret], clock().timestamp())
        assert ref.json()["type"] == "referral.created"
        assert ref.json()["friend_customer_id"] == "f1"
        with pytest.raises(Exception):  # noqa: B017 (the other endpoint's secret is not it)
            verify(by_path["/cnv"].headers[HEADER], by_path["/cnv"].body, [secret],
                   clock().timestamp())
    with services.db.session() as session:
        rows = {h.event_type: h for h in session.scalars(select(OutboundWebhook))}
    failed = next(h for h in rows.values() if h.status == "pending")
    assert failed.last_status_code == 500 and failed.last_error == "HTTP 500"
    delivered = next(h for h in rows.values() if h.status == "delivered")
    assert delivered.last_status_code == 200 and delivered.last_response == '{"ok": true}'
    assert "share.created" not in rows  # no endpoint for it, nothing queued


def _owner_session(client: Any, services: Services) -> None:
    with services.db.session() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
        owner = StaffUser(shop_id=shop_id, email="owner@demo.example", role="owner",
                          password_hash=hash_password("x" * 12),
                          email_verified_at=services.clock())
        session.add(owner)
        session.flush()
        owner_id = owner.id
    with client.session_transaction() as browser:
        sign_in_cookie(browser, services, owner_id, "tok")


def _post(client: Any, path: str, **data: str) -> Any:
    return client.post(path, data={"csrf_token": "tok", **data})


def test_the_webhooks_page_refuses_with_the_field_message_shows_the_secret_once_and_resends(
        services, demo, names, client, clock) -> None:
    _owner_session(client, services)
    page = _post(client, "/settings/demo/webhooks", event_type="reward.approved",
                 url="https://169.254.169.254/latest/meta-data/")
    assert page.status_code == 422
    assert "metadata address" in page.get_data(as_text=True)
    with scripted_server() as server:
        port = int(server.url.rsplit(":", 1)[1])
        _local_receiver(services, names, port)
        saved = _post(client, "/settings/demo/webhooks", event_type="share.created",
                      url=f"http://hooks.shop.test:{port}/s")
        shown = [s for s in re.findall(r"whsec_[\w-]+", saved.get_data(as_text=True))
                 if len(s) > 20]  # the whole secret; the page also lists its prefix
        assert len(shown) == 1
        again = client.get("/settings/demo/webhooks").get_data(as_text=True)
        assert shown[0] not in again and shown[0][:10] in again  # only the prefix now
        with services.db.session() as session:
            from core import referrals
            from core.models import Customer

            alex = session.scalar(select(Customer).where(Customer.external_id == "alex"))
            shop = session.get(Shop, alex.shop_id)
            referrals.record_share(session, services, shop=shop, customer=alex,
                                   code=referrals.ensure_code(session, alex),
                                   channel="sms", assistant="alexa")
        assert outbound.deliver_due(services) == 1
        with services.db.session() as session:
            hook_id = webhook_settings.deliveries(session, demo_shop_id(services))[0].id
        listing = client.get("/settings/demo/webhooks").get_data(as_text=True)
        assert f'id="delivery-{hook_id}"' in listing and "HTTP 200" in listing
        resent = _post(client, f"/settings/demo/webhooks/deliveries/{hook_id}/resend")
        assert resent.status_code == 302
        assert outbound.deliver_due(services) == 1
        assert [r.path for r in server.received] == ["/s", "/s"]
        verify(server.received[1].headers[HEADER], server.received[1].body, shown,
               clock().timestamp())


def test_a_delivery_of_another_shop_cannot_be_resent(services, demo, client) -> None:
    _owner_session(client, services)
    with services.db.session() as session:
        other = Shop(slug="other", name="Other", landing_url="https://o.example/")
        session.add(other)
        session.flush()
        hook = OutboundWebhook(shop_id=other.id, event_type="reward.approved",
                               idempotency_key="x", payload={}, status="delivered",
                               next_attempt_at=services.clock())
        session.add(hook)
        session.flush()
        hook_id = hook.id
    answer = _post(client, f"/settings/demo/webhooks/deliveries/{hook_id}/resend")
    assert answer.status_code == 404
    with services.db.session() as session:
        assert session.get(OutboundWebhook, hook_id).status == "delivered"


def test_every_event_type_can_have_an_endpoint(services, demo, names) -> None:
    from core.models import WEBHOOK_EVENT_TYPES

    for event_type in WEBHOOK_EVENT_TYPES:
        _endpoint(services, event_type, f"https://hooks.shop.test/{event_type}")
    with services.db.session() as session:
        assert sorted(webhook_settings.endpoints(session, demo_shop_id(services))) == sorted(
            WEBHOOK_EVENT_TYPES)
    assert len(WEBHOOK_EVENT_TYPES) == 7


def _tls_receiver(tmp_path: Any, san: str) -> tuple[Any, str, list[str], list[Any]]:
    """A real HTTPS server on loopback with a certificate for `san` from a private CA;
    records the SNI each client sent and the requests."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from fulfillment.simulator.sandbox_keys import key_pem, make_ca, make_leaf, pem

    ca, ca_key = make_ca()
    leaf, leaf_key = make_leaf(ca, ca_key, san=san)
    (tmp_path / "ca.pem").write_bytes(pem(ca))
    (tmp_path / "leaf.pem").write_bytes(pem(leaf))
    (tmp_path / "leaf.key").write_bytes(key_pem(leaf_key))
    sni: list[str] = []
    seen: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append((self.path, dict(self.headers),
                         self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(202)
            self.end_headers()
            self.wfile.write(b"thanks")

        def log_message(self, *args: Any) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    context.sni_callback = lambda sock, name, ctx: sni.append(name) and None
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, str(tmp_path / "ca.pem"), sni, seen


def test_https_goes_to_the_checked_address_with_the_names_sni_and_certificate(
        tmp_path) -> None:
    from core.url_guard import CheckedUrl

    server, ca_file, sni, seen = _tls_receiver(tmp_path, "hooks.shop.test")
    port = server.server_address[1]
    target = CheckedUrl(url=f"https://hooks.shop.test:{port}/in", scheme="https",
                        host="hooks.shop.test", port=port, address="127.0.0.1", target="/in")
    try:
        answer = outbound.post_to_checked_address(target, b"{}", {"X-T": "1"},
                                                  ca_certs=ca_file)
        wrong = CheckedUrl(url=f"https://other.shop.test:{port}/in", scheme="https",
                           host="other.shop.test", port=port, address="127.0.0.1",
                           target="/in")
        with pytest.raises(Exception, match=r"(?i)certificate|hostname"):
            outbound.post_to_checked_address(wrong, b"{}", {}, ca_certs=ca_file)
    finally:
        server.shutdown()
        server.server_close()
    assert (answer.status, answer.body) == (202, "thanks")
    assert sni[0] == "hooks.shop.test"  # no DNS lookup: the name only travels in TLS
    assert seen[0][0] == "/in" and seen[0][1]["Host"] == f"hooks.shop.test:{port}"
