"""Shop credentials: API keys (hashed, shown once) and webhook secrets (sealed, because
HMAC needs the secret itself). Two webhook secrets are live while one is rotated."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core import shops
from core.accounts import API_KEY_ROLES, Role, parse_role
from core.clock import Clock, as_utc, utcnow
from core.errors import FieldErrors
from core.hashing import token_hash
from core.models import Shop, ShopCredential
from core.prepared import Prepared
from core.secrets_box import SecretBox
from core.services import Services

API_KEY = "api_key"
WEBHOOK_SECRET = "webhook_secret"
ROTATION_OVERLAP = timedelta(days=7)
LABEL_LIMIT = 100


def new_api_key() -> str:
    return "rk_" + secrets.token_urlsafe(32)


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _live(query, clock: Clock):  # type: ignore[no-untyped-def]
    now = clock()
    return [
        c for c in query
        if c.revoked_at is None and (c.expires_at is None or as_utc(c.expires_at) > now)
    ]


def add_api_key(session: Session, shop: Shop, key: str | None = None, *,
                role: Role = Role.MANAGER, label: str = "") -> str:
    if role not in API_KEY_ROLES:
        raise ValueError(f"an API key cannot be {role}")
    key = key or new_api_key()
    session.add(ShopCredential(shop_id=shop.id, kind=API_KEY, key_hash=token_hash(key),
                               prefix=key[:8], role=role.value, label=label))
    return key


def api_key_role(cred: ShopCredential) -> Role:
    """Keys from before roles existed act as MANAGER (what every key could do then)."""
    return parse_role(cred.role) or Role.MANAGER


def api_key_holder(session: Session, key: str,
                   clock: Clock = utcnow) -> tuple[Shop, Role] | None:
    """The shop and the role a live API key acts with; None for unknown or revoked keys."""
    cred = session.scalar(select(ShopCredential).where(ShopCredential.key_hash == token_hash(key),
                                                       ShopCredential.kind == API_KEY))
    if cred is None or not _live([cred], clock):
        return None
    shop = session.get(Shop, cred.shop_id)
    return (shop, api_key_role(cred)) if shop is not None else None


def shop_for_api_key(session: Session, key: str, clock: Clock = utcnow) -> Shop | None:
    holder = api_key_holder(session, key, clock)
    return holder[0] if holder else None


def rotate_api_key(session: Session, shop: Shop, clock: Clock = utcnow) -> str:
    """The old keys stop at once: an API key is rotated because it may have leaked."""
    for cred in _live(_creds(session, shop, API_KEY), clock):
        cred.revoked_at = clock()
    return add_api_key(session, shop)


def add_webhook_secret(session: Session, shop: Shop, box: SecretBox,
                       secret: str | None = None) -> str:
    secret = secret or new_webhook_secret()
    session.add(ShopCredential(shop_id=shop.id, kind=WEBHOOK_SECRET,
                               secret_encrypted=box.seal(secret), prefix=secret[:10]))
    return secret


def webhook_secrets(session: Session, shop: Shop, box: SecretBox,
                    clock: Clock = utcnow) -> list[str]:
    opened = (box.open(c.secret_encrypted or "") for c in _live(_creds(session, shop,
                                                                        WEBHOOK_SECRET), clock))
    return [s for s in opened if s]


@dataclass(frozen=True)
class SigningShop:
    id: int
    secrets: list[str]


# Every signed event starts here: the shop and its secrets in one statement, on the
# tables' columns, run at the driver (core.prepared: SQLAlchemy's execution path cost more
# than the read itself).
_shops, _creds_table = Shop.__table__, ShopCredential.__table__
_SIGNING = Prepared(
    select(_shops.c.id, _creds_table.c.secret_encrypted, _creds_table.c.revoked_at,
           _creds_table.c.expires_at)
    .outerjoin(_creds_table, (_creds_table.c.shop_id == _shops.c.id)
               & (_creds_table.c.kind == WEBHOOK_SECRET))
    .where(_shops.c.slug == bindparam("slug")).order_by(_creds_table.c.id))


@dataclass(frozen=True)
class _SigningRow:
    id: int
    secret_encrypted: str | None
    revoked_at: datetime | None
    expires_at: datetime | None


def signing_shop(session: Session, slug: str, box: SecretBox,
                 clock: Clock = utcnow) -> SigningShop | None:
    """The shop `slug` names with its live webhook secrets (as webhook_secrets), or None."""
    rows = [_SigningRow(*row) for row in _SIGNING.rows(session, {"slug": slug})]
    if not rows:
        return None
    sealed = [r for r in rows if r.secret_encrypted is not None]
    opened = (box.open(r.secret_encrypted or "") for r in _live(sealed, clock))
    return SigningShop(rows[0].id, [s for s in opened if s])


def rotate_webhook_secret(session: Session, shop: Shop, box: SecretBox,
                          clock: Clock = utcnow) -> str:
    """The old secret keeps working for ROTATION_OVERLAP so the shop can switch over."""
    for cred in _live(_creds(session, shop, WEBHOOK_SECRET), clock):
        if cred.expires_at is None:
            cred.expires_at = clock() + ROTATION_OVERLAP
    return add_webhook_secret(session, shop, box)


def _creds(session: Session, shop: Shop, kind: str) -> list[ShopCredential]:
    query = select(ShopCredential).where(
        ShopCredential.shop_id == shop.id, ShopCredential.kind == kind
    )
    return list(session.scalars(query.order_by(ShopCredential.id)))


# --- use cases: one call each, scoped to the shop, opening their own unit of work --------

@dataclass(frozen=True)
class KeyHolder:
    """Who a live API key speaks for."""

    shop_id: int
    shop_slug: str
    role: Role


def authenticate(services: Services, key: str) -> KeyHolder | None:
    """The shop and role of a live API key; None for an unknown or revoked one."""
    with services.db.session() as uow:
        holder = api_key_holder(uow, key, services.clock)
        if holder is None:
            return None
        shop, role = holder
        return KeyHolder(shop.id, shop.slug, role)


def issue_api_key(services: Services, shop_id: int, *, role: object, label: object) -> str:
    """A new key next to the live ones (shown once). Takes the values as a form or a request
    sent them, so every caller refuses the same roles and labels (FieldErrors)."""
    chosen, text = parse_role(role), str(label or "").strip()
    errors = {}
    if chosen not in API_KEY_ROLES:
        errors["role"] = "Choose manager (read and write) or support (read only)."
    if len(text) > LABEL_LIMIT:
        errors["label"] = f"Use at most {LABEL_LIMIT} characters."
    if errors or chosen is None:
        raise FieldErrors(errors)
    with services.db.session() as uow:
        return add_api_key(uow, shops.get(uow, shop_id), role=chosen, label=text)


def replace_api_key(services: Services, shop_id: int) -> str:
    """rotate_api_key for the shop: a new key, the old ones revoked at once."""
    with services.db.session() as uow:
        return rotate_api_key(uow, shops.get(uow, shop_id), services.clock)


def replace_webhook_secret(services: Services, shop_id: int) -> str:
    """rotate_webhook_secret for the shop: the old secret lives on for the overlap."""
    with services.db.session() as uow:
        return rotate_webhook_secret(uow, shops.get(uow, shop_id), services.box,
                                     services.clock)


class KeyState(StrEnum):
    LIVE = "live"
    EXPIRING = "expiring"  # a rotated webhook secret inside its overlap
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class KeyLine:
    id: int
    kind: str  # API_KEY | WEBHOOK_SECRET
    prefix: str
    label: str
    role: Role | None  # API keys only
    created_at: datetime
    state: KeyState
    expires_at: datetime | None


def key_lines(services: Services, shop_id: int) -> list[KeyLine]:
    """The shop's API keys and webhook secrets, newest first, with their state now."""
    now = services.clock()
    with services.db.session() as uow:
        rows = uow.scalars(select(ShopCredential).where(
            ShopCredential.shop_id == shop_id,
            ShopCredential.kind.in_((API_KEY, WEBHOOK_SECRET)))
            .order_by(ShopCredential.id.desc()))
        return [KeyLine(r.id, r.kind, r.prefix, r.label,
                        api_key_role(r) if r.kind == API_KEY else None, r.created_at,
                        _state(r, now), r.expires_at) for r in rows]


def _state(cred: ShopCredential, now: datetime) -> KeyState:
    if cred.revoked_at:
        return KeyState.REVOKED
    if cred.expires_at is None:
        return KeyState.LIVE
    return KeyState.EXPIRING if as_utc(cred.expires_at) > now else KeyState.EXPIRED


def revoke(services: Services, shop_id: int, key_id: int) -> bool:
    """Revoke one of the shop's keys or secrets (again is a no-op); False: no such key in
    this shop."""
    with services.db.session() as uow:
        cred = uow.get(ShopCredential, key_id)
        if cred is None or cred.shop_id != shop_id:
            return False
        if cred.revoked_at is None:
            cred.revoked_at = services.clock()
        return True
