"""One customer who touched every table: a friend who signed up with a link (IP, event),
ordered, paired a speaker by a spoken code, shared their own link, was clicked, brought a
friend of their own, opted out of texts, and set a reminder and the digest. The values are
distinctive so a search of the whole database can tell whether any survived. They also
signed in to the shop's MCP server from Claude (a one-time code, then tokens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core import oauth_grants
from core.hashing import keyed_hash
from core.models import (
    ConsoleSession,
    ConsoleTurn,
    DigestSubscription,
    ExternalImage,
    Message,
    ReferralCode,
    Reminder,
    Shop,
    StaffUser,
    Suppression,
    VoiceIdentity,
    VoiceSession,
)
from core.models.stores import StoreJob, StoreWebhook
from core.rewards import release_due as release_once
from core.services import Services
from core.voice_sessions import caller_key
from tests.support.events import ShopBackend
from voice.dialog import handle
from voice.turn import Reply, Turn

EXTERNAL_ID = "zq-7731"
NAME = "Zoltan Quibbleworth"
EMAIL = "zoltan.quibbleworth@example.org"
PHONE = "+4930901877"
IP = "203.0.113.177"
USER_AGENT = "QuibbleBrowser/7.1 (ZoltanPhone)"
VOICE_USER = "ALICE-USER-ZOLTAN-QUIBBLEWORTH"
MCP_SUBJECT = "oauth:ZOLTAN-QUIBBLEWORTH-SIGN-IN"  # as fulfillment/mcp/routes.py names one
MCP_ACCESS, MCP_REFRESH = "zq-access-token-for-claude", "zq-refresh-token-for-claude"


@dataclass
class Talk:
    services: Services
    user: str
    locale: str = "en-US"
    assistant: str = "alice"
    attributes: dict[str, Any] = field(default_factory=dict)
    reply: Reply | None = None

    def hear(self, utterance: str) -> str:
        """As the console does: the local NLU picks the intent and slots."""
        from voice.nlu import understand

        understood = understand(utterance, self.locale)
        return self.say(understood.intent, utterance, **understood.slots)

    def say(self, intent: str, utterance: str = "", **slots: str) -> str:
        turn = Turn(assistant=self.assistant, locale=self.locale, shop_slug="demo",  # type: ignore[arg-type]
                    voice_user_id=self.user, intent=intent, slots=slots,
                    utterance=utterance, session=self.attributes)
        self.reply = handle(turn, self.services)
        self.attributes = self.reply.session
        return self.reply.speech.to_plain().replace("\xa0", " ")


def newest(services: Services, kind: str) -> Message:
    with services.db.session() as session:
        return session.scalars(select(Message).where(Message.kind == kind)
                               .order_by(Message.id.desc())).first()


def seed_customer(services: Services, client: Any, demo: dict[str, Any], clock: Any) -> dict:
    """Drive the real flows; returns the customer's code and the values to look for."""
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        shop.settings = {**shop.settings, "webhook_url": "https://shop.example/hooks"}
    backend = ShopBackend(client, demo["webhook_secret"], clock)
    assert backend.signup(EXTERNAL_ID, demo["code"], name=NAME, email=EMAIL, phone=PHONE,
                          ip=IP).status_code == 200
    assert backend.order(EXTERNAL_ID, "order-zq-1", 9000).status_code == 200
    clock.advance(days=15)
    release_once(services)  # approved: reward.approved webhooks name the customer
    talk = Talk(services, VOICE_USER)
    talk.say("LinkAccount")
    talk.say("ProvideContact", email=EMAIL)
    pin = newest(services, "pairing_code").context["pairing_code"]
    assert "linked" in talk.say("ProvideCode", pin=pin)
    talk.say("ShareProgram")
    with services.db.session() as session:
        code = session.scalar(select(ReferralCode).join(ReferralCode.customer).where(
            ReferralCode.active.is_(True), ReferralCode.customer.has(external_id=EXTERNAL_ID)))
        session.add(ExternalImage(shop_id=code.shop_id, platform="alice", code=code.code,
                                  image_id="1652229/zq"))
        customer_id, shop_id = code.customer_id, code.shop_id
        session.add(Suppression(shop_id=code.shop_id, channel="sms", reason="stop",
                                recipient_hash=keyed_hash(services.settings.hash_key, PHONE)))
        session.add(Reminder(shop_id=code.shop_id, customer_id=customer_id, weekday=4,
                             local_time="10:00", timezone="Europe/Berlin",
                             evidence={"utterance": "remind me every friday", "by": NAME}))
        session.add(DigestSubscription(shop_id=code.shop_id, customer_id=customer_id,
                                       channel="email", evidence={"utterance": "yes"}))
        compact = code.code
        staff_id = session.scalar(select(StaffUser.id).limit(1))
        session.add(ConsoleSession(key="console-key-zq", staff_id=staff_id, shop_slug="demo",
                                   user=VOICE_USER, conversation={"turns": [
                                       {"said": f"my number is {PHONE}"}]}))
        session.flush()
        session.add(ConsoleTurn(session_key="console-key-zq", result={
            "utterance": f"text my invite to {PHONE}", "speech": f"Okay {NAME}"}))
        session.add(StoreJob(shop_id=code.shop_id, kind="friend_discount",
                             key=f"friend_discount:{code.code}", customer_id=customer_id,
                             code=code.code, result={"for": EMAIL}))
        # A Salute caller not yet linked, pairing the customer's address (core.voice_sessions)
        session.add(VoiceSession(shop_id=code.shop_id, assistant="salute",
                                 caller=caller_key(services.settings.hash_key, "salute",
                                                   "zq-salute-sub"),
                                 session_id="zq-salute-session", updated_at=clock.now,
                                 state={"dialog": {"awaiting": "pair_code", "contact": {
                                     "kind": "email", "value": EMAIL}}}))
        session.add(StoreWebhook(shop_id=code.shop_id, platform="shopify", delivery_id="zq-1",
                                 topic="orders/paid", result={"customer": EXTERNAL_ID,
                                                              "email": EMAIL}))
    with services.db.session() as session:  # the rows an MCP sign-in from Claude leaves
        claude, _ = oauth_grants.register_client(
            session, name="Claude", redirect_uris=[oauth_grants.HOST_CALLBACKS["claude"][0]],
            grant_types=["authorization_code", "refresh_token"], auth_method="none")
        session.add(VoiceIdentity(shop_id=shop_id, assistant="claude",
                                  assistant_user_id=MCP_SUBJECT, customer_id=customer_id,
                                  linked_at=clock()))
        sign_in = oauth_grants.save_code(
            session, clock(), client=claude, code="zq-one-time-code",
            shop_id=shop_id, assistant="claude", subject=MCP_SUBJECT,
            redirect_uri=claude.redirect_uris[0], scope=oauth_grants.SCOPE,
            challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", method="S256")
        sign_in.used_at = clock()
        oauth_grants.save_tokens(session, clock(), client=claude, access=MCP_ACCESS,
                                 refresh=MCP_REFRESH, shop_id=shop_id,
                                 assistant="claude", subject=MCP_SUBJECT,
                                 scope=oauth_grants.SCOPE, code_id=sign_in.id)
    assert client.get(f"/r/{compact}?c=sms", headers={"User-Agent": USER_AGENT,
                                                      "X-Forwarded-For": IP}).status_code in (
        301, 302, 303, 307)
    services.clicks.flush()
    assert backend.signup("zq-friend-1", compact, name="Wilhelmina Fairweather",
                          email="wilhelmina.fw@example.org").status_code == 200
    return {"code": compact, "customer_id": customer_id,
            "values": [EXTERNAL_ID, NAME, "Zoltan", "Quibbleworth", EMAIL, PHONE, PHONE[1:],
                       IP, USER_AGENT, VOICE_USER, MCP_SUBJECT, compact]}
