"""The demo shop, seeded idempotently: running it twice changes nothing but what the
current server base URL implies. Demo secrets (API key, webhook secret, staff password, ...)
are random per database, made at the first seed and kept sealed with SECRET_KEY in the shop's
settings so `demo --json` can print them again; the API key is also stored hashed like any
shop's, and nothing is derived from a known value."""

from __future__ import annotations

import json
import secrets as random_secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import assistant_setup, credentials, referrals
from core.accounts import Role
from core.contacts import canonical_email, normalize_email, normalize_phone
from core.hashing import token_hash
from core.models import Customer, Program, Shop, ShopCredential, StaffUser, VoiceIdentity
from core.passwords import hash_password, verify_password
from core.services import Services

SLUG = "demo"
VOICE_USERS = {
    "alexa": "amzn1.ask.account.DEMO-ALEX",
    "google": "demo-google-user-alex",
    "alice": "DEMO-ALICE-USER-ALEX",
    "salute": "DEMO-SALUTE-SUB-ALEX",
}
VOICE_USERS_UNLINKED = {
    "alexa": "amzn1.ask.account.DEMO-NEW-VISITOR",
    "google": "demo-google-user-new",
    "alice": "DEMO-ALICE-USER-NEW",
    "salute": "DEMO-SALUTE-SUB-NEW",
}
SKILL_IDS = {
    "alexa": "amzn1.ask.skill.00000000-0000-4000-8000-0000000000de",
    "alice": "00000000-0000-4000-8000-00000000a11c",
    "salute": "00000000-0000-4000-8000-000000005a1e",
}
STAFF_EMAIL = "support@demo-shop.example"
# The shop's own words, sent with every invite; said after the terms built from the
# program only as far as they fit (voice.dialog.info: under 8 seconds).
TERMS = {
    "en": "Rewards are store credit for the demo shop.",
    "de": "Prämien sind Guthaben im Demo-Shop.",
    "ru": "Награды — это бонусы на счёте в демо-магазине.",
}


SECRETS_SETTING = "demo_secrets"  # sealed JSON in the demo shop's settings
API_KEY_PREFIX, WEBHOOK_PREFIX = "rk_demo_", "whsec_demo_"


def _new_secrets() -> dict[str, str]:
    token = random_secrets.token_urlsafe
    return {
        "api_key": API_KEY_PREFIX + token(24),
        "webhook_secret": WEBHOOK_PREFIX + token(24),
        "staff_password": token(12),
        "dialogflow_es_secret": token(24),
        "alice_oauth_token": "y0_demo_" + token(24),
    }


def _opened(shop: Shop | None, services: Services) -> dict[str, str] | None:
    sealed = (shop.settings or {}).get(SECRETS_SETTING) if shop is not None else None
    plain = services.box.open(sealed) if isinstance(sealed, str) else None
    return json.loads(plain) if plain else None


def demo_secrets(services: Services) -> dict[str, str]:
    """The demo shop's secrets as seeded in this database ({} before the first seed)."""
    with services.db.session() as session:
        return _opened(session.scalar(select(Shop).where(Shop.slug == SLUG)), services) or {}


def _revoke_old_demo_credentials(session: Session, shop: Shop, services: Services) -> None:
    """New secrets (first seed, or SECRET_KEY changed): the demo's earlier keys stop, above
    all those an older version derived from a public default."""
    for cred in session.scalars(select(ShopCredential).where(
            ShopCredential.shop_id == shop.id, ShopCredential.revoked_at.is_(None))):
        if (cred.prefix or "").startswith((API_KEY_PREFIX, WEBHOOK_PREFIX[:10])):
            cred.revoked_at = services.clock()


def _secrets_for(session: Session, shop: Shop, services: Services) -> dict[str, str]:
    found = _opened(shop, services)
    if found is not None:
        return found
    made = _new_secrets()
    _revoke_old_demo_credentials(session, shop, services)
    shop.settings = {**(shop.settings or {}),
                     SECRETS_SETTING: services.box.seal(json.dumps(made))}
    return made


def _upsert_shop(session: Session, services: Services) -> tuple[Shop, dict[str, str]]:
    shop = session.scalar(select(Shop).where(Shop.slug == SLUG))
    if shop is None:
        shop = Shop(slug=SLUG, name="Demo Shop", landing_url="")
        session.add(shop)
    shop.name = "Demo Shop"
    shop.invocation_name = "demo shop"
    shop.locale, shop.timezone, shop.currency = "en-US", "America/New_York", "USD"
    shop.landing_url = f"{services.base_url}/demo/landing"
    session.flush()
    secrets = _secrets_for(session, shop, services)
    shop.settings = {
        **(shop.settings or {}),
        "alexa_skill_id": SKILL_IDS["alexa"],
        "alice_skill_id": SKILL_IDS["alice"],
        "salute_project_id": SKILL_IDS["salute"],
        "dialogflow_audience": f"{services.base_url}/dialogflow/{SLUG}",
        "dialogflow_service_agent": (
            "service-123456789012@gcp-sa-dialogflow.iam.gserviceaccount.com"
        ),
        "dialogflow_es_header": "X-Dialogflow-Secret",
        "dialogflow_es_secret_hash": token_hash(secrets["dialogflow_es_secret"]),
        "invocation_names": {"ru": "магазин демо", "de": "demo laden", "en": "demo shop"},
        "telegram_bot": "DemoShopReferralsBot",
    }
    if services.box.open(shop.settings.get("alice_oauth_token") or "") != \
            secrets["alice_oauth_token"]:
        shop.settings = {**shop.settings,
                         "alice_oauth_token": services.box.seal(secrets["alice_oauth_token"])}
    if not assistant_setup.path_token(shop.settings, services.box, "salute"):
        # Salute's secret URL: random per database, like the other demo secrets
        shop.settings = {**shop.settings, assistant_setup.path_token_setting("salute"):
                         services.box.seal(random_secrets.token_urlsafe(24))}
    session.flush()
    return shop, secrets


def _ensure_program(session: Session, shop: Shop) -> Program:
    program = session.scalar(select(Program).where(Program.shop_id == shop.id,
                                                   Program.active.is_(True)))
    if program is None:
        program = Program(
            shop_id=shop.id, version=1, active=True,
            referrer_reward_kind="fixed_discount", referrer_reward_amount=1000,
            friend_reward_kind="percent_discount", friend_reward_amount=10,
            currency="USD", min_order_amount=2000, hold_days=14, terms=TERMS,
        )
        session.add(program)
    return program


def _ensure_alex(session: Session, shop: Shop, services: Services) -> Customer:
    alex = session.scalar(select(Customer).where(Customer.shop_id == shop.id,
                                                 Customer.external_id == "alex"))
    if alex is None:
        now = services.clock()
        email = normalize_email("alex@example.com")
        alex = Customer(
            shop_id=shop.id, external_id="alex", name="Alex", email=email,
            email_canonical=canonical_email(email),
            phone=normalize_phone("+15555550100", allow_fictional=True),
            locale="en-US", timezone="America/New_York",
            email_confirmed_at=now, phone_confirmed_at=now,
            consent_email=True, consent_sms=True, signed_up_at=now,
        )
        session.add(alex)
        session.flush()
    for assistant, user_id in VOICE_USERS.items():
        found = session.scalar(select(VoiceIdentity).where(
            VoiceIdentity.shop_id == shop.id, VoiceIdentity.assistant == assistant,
            VoiceIdentity.assistant_user_id == user_id))
        if found is None:
            session.add(VoiceIdentity(shop_id=shop.id, assistant=assistant,
                                      assistant_user_id=user_id, customer_id=alex.id,
                                      linked_at=services.clock()))
    return alex


def _ensure_credentials(session: Session, shop: Shop, services: Services,
                        secrets: dict[str, str]) -> None:
    if session.scalar(select(ShopCredential).where(
            ShopCredential.key_hash == token_hash(secrets["api_key"]))) is None:
        credentials.add_api_key(session, shop, secrets["api_key"])
    if secrets["webhook_secret"] not in credentials.webhook_secrets(session, shop, services.box):
        credentials.add_webhook_secret(session, shop, services.box, secrets["webhook_secret"])
    staff = session.scalar(select(StaffUser).where(StaffUser.email == STAFF_EMAIL))
    if staff is None:
        session.add(StaffUser(shop_id=shop.id, email=STAFF_EMAIL, display_name="Demo Owner",
                              role=Role.OWNER.value, email_verified_at=services.clock(),
                              password_hash=hash_password(secrets["staff_password"])))
    else:
        if not verify_password(secrets["staff_password"], staff.password_hash):
            staff.password_hash = hash_password(secrets["staff_password"])
        staff.role = Role.OWNER.value  # a database seeded before roles existed
        staff.email_verified_at = staff.email_verified_at or services.clock()


def seed(services: Services) -> dict[str, Any]:
    with services.db.session() as session:
        shop, secrets = _upsert_shop(session, services)
        _ensure_program(session, shop)
        alex = _ensure_alex(session, shop, services)
        _ensure_credentials(session, shop, services, secrets)
        code = referrals.ensure_code(session, alex)
        invite = referrals.invite_for(shop, code, services.base_url, channel="voice")
        return {
            "shop": shop.slug,
            "shop_name": shop.name,
            "customer": {"external_id": alex.external_id, "name": alex.name,
                         "email": alex.email, "phone": alex.phone},
            "code": invite.display,
            "link": invite.link,
            "qr_png": invite.qr_png,
            "qr_svg": invite.qr_svg,
            "api_key": secrets["api_key"],
            "webhook_secret": secrets["webhook_secret"],
            "voice_users": dict(VOICE_USERS),
            "voice_users_unlinked": dict(VOICE_USERS_UNLINKED),
            "skill_ids": dict(SKILL_IDS),
            "dialogflow": {
                "es_header": shop.setting("dialogflow_es_header"),
                "es_secret": secrets["dialogflow_es_secret"],
                "audience": shop.setting("dialogflow_audience"),
                "service_agent": shop.setting("dialogflow_service_agent"),
            },
            "salute": {
                "webhook_url": assistant_setup.endpoint_url(
                    services.base_url, shop.slug, "salute",
                    assistant_setup.path_token(shop.settings, services.box, "salute") or ""),
                "project_id": shop.setting("salute_project_id"),
            },
            "staff": {"email": STAFF_EMAIL, "password": secrets["staff_password"]},
            "console": f"{services.base_url}/console",
        }
