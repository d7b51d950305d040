"""KPIs under their written definitions, against a hand-computed expectation: two shares
(Alexa and Dialogflow, through the real webhooks), five clicks and a bot, four signups, two
orders and a full refund of one. Checked in core, in GET /api/v1/kpis, on the dashboard
page, in its SVG charts and in the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from core import analytics, programs, referrals
from fulfillment.simulator.turns import Simulator
from tests.support.events import ShopBackend
from tests.test_dashboard import sign_in

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"
REFERRER_REWARD, FRIEND_REWARD = 1500, 500  # both money kinds: they count in the sums


@pytest.fixture
def traffic(app, client, services, demo, clock):  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        programs.save_version(session, referrals.shop_by_slug(session, "demo"), {
            "referrer_reward_kind": "fixed_discount", "referrer_reward_amount": REFERRER_REWARD,
            "friend_reward_kind": "gift_card", "friend_reward_amount": FRIEND_REWARD,
            "min_order_amount": 0, "hold_days": 14})
    services.shops.forget("demo")
    simulator = Simulator(app, services)
    links = {}
    conv = simulator.start("alexa", "demo", "en-US", user="alex")
    result = simulator.say(conv, "share the referral program")  # a share for myself
    assert result.status == 200 and result.messages, result.response
    links["alexa"] = result.messages[0]["context"]["link"]
    conv = simulator.start("dialogflow-es", "demo", "en-US", user="alex")
    for said in ("send my invite to a friend", "my number is 555 555 0123", "yes"):
        result = simulator.say(conv, said)  # the second: sent to a friend
    assert result.status == 200 and result.messages, result.response
    links["dialogflow-es"] = result.messages[0]["context"]["link"]
    assert "a=alexa" in links["alexa"] and "a=google" in links["dialogflow-es"]
    for platform, times in (("alexa", 3), ("dialogflow-es", 2)):
        parts = urlsplit(links[platform])
        for _ in range(times):
            answer = client.get(f"{parts.path}?{parts.query}", headers={"User-Agent": BROWSER})
            assert answer.status_code == 302
    client.get(urlsplit(links["alexa"]).path, headers={"User-Agent": "curl/8.0"})  # a bot
    services.clicks.flush()
    shop = ShopBackend(client, demo["webhook_secret"], clock)
    for n in range(1, 5):
        assert shop.signup(f"f{n}", demo["code"], email=f"friend{n}@example.org").status_code \
            == 200
    shop.order("f1", "o1", 6000)
    shop.order("f2", "o2", 4000)
    shop.refund("o2", 4000)
    return {"channel": result.messages[0]["channel"]}


def _expected_totals() -> dict[str, object]:
    return {"shares_total": 2, "clicks": 5, "click_through_rate": 2.5, "signups": 4,
            "signup_rate": 0.8, "conversions": 2, "conversion_rate": 0.5,
            "revenue_minor": 6000, "refunded_minor": 4000,
            "rewards_minor": {"pending": REFERRER_REWARD + FRIEND_REWARD, "held": 0,
                              "approved": 0, "reversed": REFERRER_REWARD + FRIEND_REWARD,
                              "net": REFERRER_REWARD + FRIEND_REWARD}}


def test_kpis_follow_their_written_definitions(services, traffic, clock):
    with services.db.session() as session:
        shop = referrals.shop_by_slug(session, "demo")
        data = analytics.kpis(session, shop.id, today=clock().date()).as_dict()
    assert {k: data[k] for k in _expected_totals()} == _expected_totals()
    # the signups came with the bare code: each is the code's latest human click's (the
    # Dialogflow link's), and so are their orders
    assert data["by_assistant"] == {
        "alexa": {"shares": 1, "clicks": 3, "click_through_rate": 3.0, "signups": 0,
                  "conversions": 0},
        "google": {"shares": 1, "clicks": 2, "click_through_rate": 2.0, "signups": 4,
                   "conversions": 2}}
    assert data["by_channel"] == {traffic["channel"]: {
        "shares": 2, "clicks": 5, "click_through_rate": 2.5, "signups": 4, "conversions": 2}}
    assert [(s["step"], s["count"], s["rate"]) for s in data["funnel"]] == [
        ("shares", 2, None), ("clicks", 5, 2.5), ("signups", 4, 0.8), ("conversions", 2, 0.5)]
    assert data["top_referrers"] == [{"customer": "alex", "name": "Alex", "signups": 4,
                                      "conversions": 2, "revenue_minor": 6000}]
    today = [b for b in data["series"] if b["start"] == clock().date().isoformat()]
    assert today == [{"start": clock().date().isoformat(), "shares": 2, "clicks": 5,
                      "signups": 4, "conversions": 2}]
    assert len(data["series"]) == 30 and sum(b["clicks"] for b in data["series"]) == 5


def test_a_range_before_the_traffic_counts_nothing_and_weeks_sum_the_days(services, traffic,
                                                                          clock):
    day = clock().date()
    with services.db.session() as session:
        shop = referrals.shop_by_slug(session, "demo")
        before = analytics.kpis(session, shop.id, today=day, period=analytics.Period(
            day - timedelta(days=10), day - timedelta(days=1)))
        weeks = analytics.kpis(session, shop.id, today=day, interval="week",
                               period=analytics.Period(day - timedelta(days=20), day))
    assert (before.shares_total, before.clicks, before.signups, before.conversions) == (0, 0,
                                                                                        0, 0)
    assert before.conversion_rate is None and before.rewards_minor["net"] == 0
    assert sum(b.clicks for b in weeks.series) == 5 and len(weeks.series) in (3, 4)
    assert all(b.start.weekday() == 0 for b in weeks.series)


def test_the_api_keeps_its_keys_and_adds_the_definitions(client, demo, traffic):
    auth = {"Authorization": f"Bearer {demo['api_key']}"}
    data = client.get("/api/v1/kpis", headers=auth).get_json()
    for old in ("shares", "clicks", "signups", "flagged", "conversions", "revenue_minor",
                "rewards_minor_by_status", "conversion_rate"):
        assert old in data
    assert {k: data[k] for k in _expected_totals()} == _expected_totals()
    assert data["rewards_minor_by_status"]["reversed"] == REFERRER_REWARD + FRIEND_REWARD
    assert all(v >= 0 for v in data["rewards_minor_by_status"].values())
    assert data["definitions"]["conversion_rate"] == "conversions ÷ signups."
    bad = client.get("/api/v1/kpis?from=yesterday", headers=auth)
    assert bad.status_code == 422 and bad.get_json()["error"]["details"]["fields"] == ["from"]
    assert client.get("/api/v1/kpis?interval=hour", headers=auth).status_code == 422
    assert client.get("/api/v1/kpis?from=2026-01-02&to=2026-01-01",
                      headers=auth).status_code == 422


def test_the_dashboard_shows_the_numbers_charts_and_csv(client, demo, traffic):
    sign_in(client, demo)
    page = client.get("/dashboard/demo").get_data(as_text=True)
    assert re.search(r'id="k-clicks">5<', page) and re.search(r'id="k-signups">4<', page)
    assert 'id="k-conversion-rate">50.0 %<' in page and 'id="k-ctr">250.0 %<' in page
    assert 'id="k-rewards-reversed">$20.00<' in page and 'id="k-rewards-net">$20.00<' in page
    assert "conversions ÷ signups" in page and "clicks ÷ shares" in page
    bars = re.findall(r'class="bar" data-label="(\w+)" data-value="(\d+)"', page)
    assert bars[:4] == [("shares", "2"), ("clicks", "5"), ("signups", "4"),
                        ("conversions", "2")]
    totals = dict(re.findall(r'data-series="(\w+)" data-total="(\d+)"', page))
    assert totals == {"shares": "2", "clicks": "5", "signups": "4", "conversions": "2"}
    assert "<script" not in page.split("</main>")[0]
    rows = {r[0]: r[1] for r in csv.reader(io.StringIO(
        client.get("/dashboard/demo/kpis.csv").get_data(as_text=True)))}
    assert (rows["clicks"], rows["signups"], rows["conversion_rate"], rows["signup_rate"]) == (
        "5", "4", "0.5", "0.8")
    assert rows["rewards_minor.net"] == "2000" and rows["by_assistant.alexa.clicks"] == "3"
    assert client.get("/dashboard/demo?from=nonsense").status_code == 422


def test_kpi_pages_need_a_signed_in_staff_member_of_that_shop(client, demo):
    assert client.get("/dashboard/demo").status_code == 302
    assert client.get("/dashboard/demo/kpis.csv").status_code == 302
    sign_in(client, demo)
    assert client.get("/dashboard/other").status_code == 403


def test_a_click_keeps_a_known_assistant_and_drops_anything_else(client, services, demo):
    from sqlalchemy import select

    from core import codes
    from core.models import Click

    compact = codes.normalize(demo["code"])
    for tail in ("c=sms&a=alice", "c=sms&a=<script>", "c=sms"):
        client.get(f"/r/{compact}?{tail}", headers={"User-Agent": BROWSER})
    services.clicks.flush()
    with services.db.session() as session:
        assert list(session.scalars(select(Click.assistant).order_by(Click.id))) == [
            "alice", None, None]


@pytest.mark.parametrize("query", [
    "interval=day&to=0001-01-01", "interval=week&to=0001-01-03",
    "interval=day&from=9999-12-25&to=9999-12-31", "interval=week&from=9999-12-01&to=9999-12-31",
    "interval=week&from=0001-01-01&to=9999-12-31"])
def test_ranges_at_the_ends_of_the_calendar_answer_instead_of_overflowing(client, demo, query):
    """A date the schema allows is a range like any other (these were 500s: the default
    start 30 days before year 1, a bucket after 9999-12-31)."""
    auth = {"Authorization": f"Bearer {demo['api_key']}"}
    response = client.get(f"/api/v1/kpis?{query}", headers=auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    series = response.get_json()["series"]
    assert series and all(row["shares"] == 0 for row in series)
