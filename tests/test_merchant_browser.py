"""A merchant's walk in a real browser (Debian's Chromium through Playwright): write the
program and hear the spoken preview, connect Alexa (a sandbox-signed request through the
real webhook turns the status green; one for another skill id shows the refusal reason),
then simulated traffic (shares through the webhooks, clicks in the browser, signed signups,
orders and a refund) and the KPI numbers and charts match the hand-computed expectation.
Screenshots go to var/screenshots/."""

from __future__ import annotations

import dataclasses
import json

import pytest
import requests

from fulfillment.simulator.sandbox_keys import sandbox_keys
from fulfillment.simulator.turns import Simulator
from tests.support.browser import SCREENSHOTS, LiveServer, launch_chromium, needs_chromium
from tests.support.events import ShopBackend
from voice.simulation.requests import Utterance, build

pytestmark = [pytest.mark.browser, needs_chromium]
NEW_SKILL = "amzn1.ask.skill.7e57a11e-0000-4000-8000-00000000c0de"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


class Http:
    """ShopBackend's client, over real HTTP to the live server."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, data: bytes, headers: dict[str, str]) -> requests.Response:
        return requests.post(self.base + path, data=data, headers=headers, timeout=10)


def test_a_merchant_writes_the_program_connects_alexa_and_reads_the_kpis(
        live_server: LiveServer):
    from playwright.sync_api import expect, sync_playwright

    base, demo = live_server.base, live_server.demo
    services, app = live_server.services, live_server.app
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/console/login")
        page.fill("input[name=email]", demo["staff"]["email"])
        page.fill("input[name=password]", demo["staff"]["password"])
        page.click("button[type=submit]")

        # 1. The program, with the spoken preview as the merchant types.
        page.goto(f"{base}/program/demo")
        page.select_option("#f-friend_reward_kind", "gift_card")
        page.fill("#f-friend_reward_amount", "5.00")
        page.select_option("#f-referrer_reward_kind", "fixed_discount")
        page.fill("#f-referrer_reward_amount", "15.00")
        page.fill("#f-min_order_amount", "0")
        page.fill("#f-terms-en", "Credit & gift cards never expire.")
        expect(page.locator("#pv-alexa")).to_contain_text(
            "<speak>Your friend gets a $5 gift card on their first order; you get $15 off")
        expect(page.locator("#pv-alexa")).to_contain_text("Credit &amp; gift cards never expire.")
        expect(page.locator("#pv-sms")).to_contain_text("Reply STOP")
        page.fill("#f-friend_reward_amount", "five")
        expect(page.locator('.error[data-field="friend_reward_amount"]')).to_be_visible()
        page.fill("#f-friend_reward_amount", "5.00")
        expect(page.locator('.error[data-field="friend_reward_amount"]')).to_be_hidden()
        page.select_option("#preview-locale", "de-DE")
        expect(page.locator("#pv-alexa")).to_contain_text("<speak>")
        page.select_option("#preview-locale", "en-US")
        page.screenshot(path=str(SCREENSHOTS / "10-program-preview.png"), full_page=True)
        page.click("#publish")
        expect(page.locator("#saved")).to_contain_text("is live")

        # 2. Connect Alexa: save the skill id, a signed request turns the status green.
        page.goto(f"{base}/connect/demo/alexa")
        expect(page.locator("#endpoint")).to_have_text(f"{base}/alexa/demo")
        expect(page.locator("#status")).to_have_attribute("data-state", "waiting")
        page.fill("#f-alexa_skill_id", NEW_SKILL)
        page.click("#connect-form button[type=submit]")
        expect(page.locator("#saved")).to_be_visible()
        page.fill("#try-text", "how does the referral program work")
        page.click("#try-form button")
        expect(page.locator("#try-result .speech")).to_contain_text(
            "Credit & gift cards never expire.")
        expect(page.locator("#status")).to_have_attribute("data-state", "ok", timeout=8000)
        expect(page.locator("#status-ok")).to_contain_text("ExplainProgram")
        page.screenshot(path=str(SCREENSHOTS / "11-connect-alexa-green.png"), full_page=True)

        simulator = Simulator(app, services)
        conv = dataclasses.replace(simulator.start("alexa", "demo", "en-US"),
                                   skill_id=demo["skill_ids"]["alexa"])  # the old id
        raw = json.dumps(build(conv, Utterance("help", "AMAZON.HelpIntent", {}),
                               services.clock())).encode()
        keys = sandbox_keys(services)
        assert keys is not None
        refused = requests.post(f"{base}/alexa/demo", data=raw, timeout=10, headers={
            **keys.alexa_headers(raw), "Content-Type": "application/json"})
        assert refused.status_code == 400
        expect(page.locator("#status")).to_have_attribute("data-state", "refused",
                                                          timeout=8000)
        expect(page.locator("#refusal-reason")).to_have_text(
            f"skill id mismatch: the request is for {demo['skill_ids']['alexa']}, "
            f"this shop has {NEW_SKILL}")
        page.screenshot(path=str(SCREENSHOTS / "12-connect-alexa-refused.png"), full_page=True)

        # 3. Traffic: two shares through the webhooks, five clicks in a browser, four
        # signups, two orders and a refund of one.
        shared = simulator.say(simulator.start("alexa", "demo", "en-US", user="alex"),
                               "share the referral program")
        friend = simulator.start("dialogflow-es", "demo", "en-US", user="alex")
        for said in ("send my invite to a friend", "my number is 555 555 0123", "yes"):
            sent = simulator.say(friend, said)
        links = [shared.messages[0]["context"]["link"], sent.messages[0]["context"]["link"]]
        visitor = browser.new_page(user_agent=DESKTOP)
        for link, times in zip(links, (3, 2), strict=True):
            for _ in range(times):
                visitor.goto(link.replace("https://refer.test", base))
        visitor.close()
        shop = ShopBackend(Http(base), demo["webhook_secret"], services.clock)
        for n in range(1, 5):
            assert shop.signup(f"f{n}", demo["code"],
                               email=f"friend{n}@example.org").status_code == 200
        shop.order("f1", "o1", 6000)
        shop.order("f2", "o2", 4000)
        shop.refund("o2", 4000)
        services.clicks.flush()

        # 4. The KPIs and their charts.
        page.goto(f"{base}/dashboard/demo")
        for cell, value in (("#k-shares", "2"), ("#k-clicks", "5"), ("#k-ctr", "250.0 %"),
                            ("#k-signups", "4"), ("#k-signup-rate", "80.0 %"),
                            ("#k-conversions", "2"), ("#k-conversion-rate", "50.0 %"),
                            ("#k-revenue", "$60.00"), ("#k-rewards-pending", "$20.00"),
                            ("#k-rewards-reversed", "$20.00"), ("#k-rewards-net", "$20.00")):
            expect(page.locator(cell)).to_have_text(value)
        funnel = page.locator("svg.bars").first.locator("rect.bar")
        assert [funnel.nth(i).get_attribute("data-value") for i in range(4)] == [
            "2", "5", "4", "2"]
        series = {g.get_attribute("data-series"): g.get_attribute("data-total")
                  for g in page.locator("svg.lines g.series").all()}
        assert series == {"shares": "2", "clicks": "5", "signups": "4", "conversions": "2"}
        expect(page.locator("#by-assistant")).to_contain_text("Alexa")
        expect(page.locator("#top-referrers")).to_contain_text("alex")
        page.screenshot(path=str(SCREENSHOTS / "13-kpis.png"), full_page=True)
        browser.close()
