"""No field value makes a form answer 500: hypothesis posts arbitrary text (NUL, lone
surrogate escapes, right-to-left marks, 10k characters, repeated fields) to every POST form
of the sign-up, account and settings pages, found from app.url_map (a new form is covered
without editing this file), signed in as the shop's owner with a valid CSRF token."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core.models import Shop, StaffUser
from core.passwords import hash_password
from tests.support.staff import sign_in_cookie

FIELDS = ["name", "slug", "email", "password", "confirm", "display_name", "role", "label",
          "currency", "timezone", "landing_url", "link_base_url", "locales", "invocation_en",
          "invocation_de", "invocation_ru", "event_type", "url", "confirm", "next"]
text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["\x00", "https://127.0.0.1/", "https://[::1]:0/", "http://[", "https://a:b@c/",
                     "a" * 10_000, "\u202eevil", "owner", "support", "reward.approved",
                     "EUR", "Europe/Berlin", "en-US", "https://hooks.example.com/x",
                     "%00", "../../etc/passwd", "{{7*7}}", "<script>alert(1)</script>"]))
form = st.lists(st.tuples(st.sampled_from(FIELDS), text), max_size=12)


def _form_routes(app) -> list[str]:  # type: ignore[no-untyped-def]
    paths = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint.split(".")[0] in ("web", "settings"):
            path = rule.rule
            for arg, value in (("slug", "demo"), ("token", "x.y"), ("key_id", "1"),
                               ("staff_id", "1"), ("delivery_id", "1")):
                path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, path)
            assert "<" not in path, f"{rule.rule}: give this test a sample value"
            paths.append(path)
    return sorted(paths)


def test_no_form_value_makes_a_500(app, client, services, demo) -> None:
    services.settings = services.settings.with_(allow_signup=True)
    with services.db.session() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
        owner = StaffUser(shop_id=shop_id, email="owner@demo.example", role="owner",
                          password_hash=hash_password("x" * 12),
                          email_verified_at=services.clock())
        session.add(owner)
        session.flush()
        owner_id = owner.id
    paths = _form_routes(app)
    assert len(paths) >= 15
    # the shop must survive the run to keep testing its pages: deleting needs "demo" typed
    paths.remove("/settings/demo/delete")

    @settings(max_examples=15, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(fields=form)
    def check(path: str, fields: list[tuple[str, str]]) -> None:
        with client.session_transaction() as browser:
            sign_in_cookie(browser, services, owner_id, "tok")
        data: Any = MultiDict([("csrf_token", "tok"), *fields])
        answer = client.post(path, data=data)
        assert answer.status_code < 500, (path, fields, answer.status_code)

    for path in paths:
        check(path)
