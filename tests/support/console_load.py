"""Two shops' support staff using /console at the same time, over real HTTP: what each of
them saw that was not theirs (foreign messages), replies that were not the answer to their own
turn (wrong replies) and conversations that forgot their first turn (lost states)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy import select

from core.models import Customer, Program, Shop, StaffUser
from core.passwords import hash_password
from core.services import Services

PLATFORMS = ("alexa", "dialogflow-es", "alice")
SECOND_SHOP = {"slug": "north", "name": "North Shop", "staff": "support@north.example",
               "password": "north-staff-password"}


def seed_second_shop(services: Services) -> dict[str, Any]:
    """A second shop like the demo one (skills, Dialogflow agent, program), with its own
    support staff who may use only it."""
    base = services.base_url
    with services.db.session() as session:
        shop = Shop(slug=SECOND_SHOP["slug"], name=SECOND_SHOP["name"],
                    landing_url=f"{base}/demo/landing", settings={
                        "alexa_skill_id": "amzn1.ask.skill.00000000-0000-4000-8000-00000000n0r7",
                        "alice_skill_id": "00000000-0000-4000-8000-0000000n0r7h",
                        "dialogflow_audience": f"{base}/dialogflow/north",
                        "dialogflow_service_agent":
                            "service-210987654321@gcp-sa-dialogflow.iam.gserviceaccount.com"})
        session.add(shop)
        session.flush()
        session.add(Program(shop_id=shop.id, version=1, active=True,
                            referrer_reward_kind="fixed_discount", referrer_reward_amount=500,
                            friend_reward_kind="percent_discount", friend_reward_amount=15,
                            currency="USD", min_order_amount=0, hold_days=0,
                            terms={"en": "North friends get 15% off; you get $5."}))
        session.add(StaffUser(shop_id=shop.id, email=SECOND_SHOP["staff"],
                              display_name="North Support",
                              email_verified_at=services.clock(),
                              password_hash=hash_password(SECOND_SHOP["password"])))
    return {"shop": SECOND_SHOP["slug"], "shop_name": SECOND_SHOP["name"],
            "staff": {"email": SECOND_SHOP["staff"], "password": SECOND_SHOP["password"]}}


def add_customers(services: Services, slug: str, count: int) -> list[str]:
    """`count` customers with a confirmed email each, so every first share queues a
    message (one invite per customer per channel per day)."""
    now = services.clock()
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == slug))
        assert shop is not None
        ids = [f"{slug}-c{i:03d}" for i in range(count)]
        session.add_all(Customer(shop_id=shop.id, external_id=external, name=f"C{i}",
                                 email=f"{external}@{slug}.example", locale="en-US",
                                 email_confirmed_at=now, consent_email=True)
                        for i, external in enumerate(ids))
    return ids


@dataclass
class Tally:
    turns: int = 0
    foreign_messages: int = 0
    wrong_replies: int = 0
    lost_states: int = 0
    missing_messages: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"turns": self.turns, "foreign_messages": self.foreign_messages,
                "wrong_replies": self.wrong_replies, "lost_states": self.lost_states,
                "missing_messages": self.missing_messages}


class ConsoleStaff:
    """One member of staff in their own browser-like HTTP session."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base
        self.http = requests.Session()
        page = self.http.get(f"{base}/console/login", timeout=30).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        response = self.http.post(f"{base}/console/login", data={
            "email": email, "password": password, "csrf_token": token},
            allow_redirects=False, timeout=30)
        assert response.status_code == 302, response.text
        page = self.http.get(f"{base}/console", timeout=30).text
        self.csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    def say(self, **body: Any) -> dict[str, Any]:
        response = self.http.post(f"{self.base}/console/api/say", json=body,
                                  headers={"X-CSRF-Token": self.csrf}, timeout=60)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def outbox(self, shop: str) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.base}/console/api/outbox", params={"shop": shop},
                                 timeout=30)
        assert response.status_code == 200, response.text
        return list(response.json())


def _session_id(request: dict[str, Any]) -> tuple[bool, str]:
    """(is new, platform session id) of a simulated platform request."""
    if "meta" in request:  # Alice
        return bool(request["session"]["new"]), str(request["session"]["session_id"])
    if "request" in request:  # Alexa
        return bool(request["session"]["new"]), str(request["session"]["sessionId"])
    return not request["queryResult"].get("outputContexts"), str(request["session"])


def run_pairs(staff: ConsoleStaff, shop: str, customers: list[str], offset: int,
              tally: Tally) -> None:
    """Two-turn conversations, one per customer: a share (a new message for that customer,
    never another's) and 'repeat' (which needs the first turn's state)."""
    for i, user in enumerate(customers):
        platform = PLATFORMS[(i + offset) % len(PLATFORMS)]
        common = {"shop": shop, "platform": platform, "locale": "en-US", "user": user}
        first = staff.say(**common, text="share the referral program", new=True)
        second = staff.say(**common, text="repeat")
        tally.turns += 2
        own = f"{user}@{shop}.example"
        for result in (first, second):
            tally.foreign_messages += sum(m["to"] != own for m in result["messages"])
        if [m["to"] for m in first["messages"]] != [own]:
            tally.missing_messages += 1
        if first["handled_intent"] != "ShareProgram" or first["status"] != 200:
            tally.wrong_replies += 1
        if second["handled_intent"] != "Repeat" or second["status"] != 200:
            tally.wrong_replies += 1
        new_first, id_first = _session_id(first["request"])
        new_second, id_second = _session_id(second["request"])
        if not new_first or new_second or id_first != id_second \
                or second["speech"] != first["speech"]:
            tally.lost_states += 1
        if i % 10 == 9:
            tally.foreign_messages += sum(not m["to"].endswith(f"@{shop}.example")
                                          for m in staff.outbox(shop))


def two_shops_at_once(base: str, shops: list[tuple[dict[str, Any], list[str]]]) -> list[Tally]:
    """Each shop's staff in a thread of their own, all at the same time."""
    tallies = [Tally() for _ in shops]
    staffs = [ConsoleStaff(base, info["staff"]["email"], info["staff"]["password"])
              for info, _ in shops]
    start = threading.Barrier(len(shops))

    def work(n: int) -> None:
        info, customers = shops[n]
        start.wait()
        try:
            run_pairs(staffs[n], info["shop"], customers, n, tallies[n])
        except Exception as exc:  # reported, not swallowed: the test asserts no errors
            tallies[n].errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(shops))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tallies

