"""Shops and their staff: creating a shop with its owner, email verification, password
reset, invitations, sign-in checks. Each use case runs in the caller's unit of work and
returns a typed outcome; emails go through the outbox (the sandbox keeps them).

Links in emails carry signed, expiring tokens (core.signed_tokens) that work once: each
token holds a mark of the state it changes (the password hash, the verified email), so
after use it no longer matches."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, delete, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from core import (
    accounts,
    cache_invalidation,
    login_throttle,
    password_policy,
    rate_limits,
    signed_tokens,
)
from core.accounts import Role
from core.contacts import normalize_email
from core.errors import FieldErrors, InvalidInput
from core.hashing import token_hash
from core.messaging import outbox, rendering
from core.messaging.purpose import Purpose
from core.models import Message, Program, Shop, StaffSession, StaffUser
from core.passwords import DUMMY_HASH, hash_password, verify_password
from core.sandbox import is_sandbox
from core.services import Services

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"admin", "api", "console", "dashboard", "settings", "signup",
                            "login", "static", "demo"})
VERIFY_TTL = timedelta(days=2)
RESET_TTL = timedelta(hours=1)
INVITE_TTL = timedelta(days=7)
WELCOME_TTL = timedelta(days=1)
PATHS = {"verify": "/verify/", "reset": "/password/reset/", "invite": "/invite/",
         "welcome": "/welcome/"}
STAFF_KINDS = ("staff_verify", "staff_reset", "staff_invite")


@dataclass(frozen=True)
class StaffMember:
    """A staff account as pages see it (no password hash)."""

    id: int
    shop_id: int | None  # None: the operator's staff (their role holds in every shop)
    role: Role
    email: str
    display_name: str
    language: str | None = None  # the pages' language they chose (None: their browser's)

    def can(self, need: Role) -> bool:
        return accounts.allows(self.role, need)

    def sees_shop(self, shop_id: int) -> bool:
        return self.shop_id is None or self.shop_id == shop_id


@dataclass(frozen=True)
class Grant:
    """What a web session keeps after a sign-in: whom, and the random token of its server
    side session (core.models.StaffSession): the cookie holds nothing else that counts."""

    staff_id: int
    session_token: str


SESSION_TTL = timedelta(days=30)  # a session ends at the latest this long after sign-in


def password_mark(password_hash: str) -> str:
    """A short fingerprint of the hash a session was signed in with."""
    return token_hash(password_hash)[:16]


def _grant(session: Session, services: Services, staff: StaffUser) -> Grant:
    """A new server-side session for `staff`, in the caller's unit of work."""
    token = secrets.token_urlsafe(32)
    now = services.clock()
    session.add(StaffSession(key=token_hash(token), staff_id=staff.id, created_at=now,
                             expires_at=now + SESSION_TTL,
                             password_mark=password_mark(staff.password_hash)))
    return Grant(staff.id, token)


def signed_in(services: Services, staff_id: int, token: str | None) -> StaffMember | None:
    """The staff member a session names, while its server-side session exists and has not
    expired, and the account exists with a role and a password; None otherwise. One query:
    the session row and the account together."""
    if not token:
        return None
    with services.db.session() as session:
        found = session.execute(
            select(StaffUser, StaffSession.password_mark)
            .join(StaffSession, StaffSession.staff_id == StaffUser.id)
            .where(StaffSession.key == token_hash(token), StaffUser.id == staff_id,
                   StaffSession.expires_at > services.clock())).first()
        if found is None:
            return None
        row, mark = found
        role = accounts.parse_role(row.role)
        if role is None or not row.password_hash or mark != password_mark(row.password_hash):
            return None
        return StaffMember(row.id, row.shop_id, role, row.email, row.display_name,
                           row.language)


def sign_out(services: Services, token: str | None) -> None:
    """End this one session (the cookie that holds `token` no longer signs anybody in)."""
    if token:
        with services.db.session() as session:
            session.execute(delete(StaffSession).where(StaffSession.key == token_hash(token)))


def end_sessions(session: Session, staff_id: int) -> None:
    """End every session of this staff member, on every device."""
    session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id))


def sign_out_everywhere(services: Services, staff_id: int) -> None:
    with services.db.session() as session:
        end_sessions(session, staff_id)


def _mark(value: str) -> str:
    return token_hash(value)[:16]


def clean_email(raw: object) -> str:
    try:
        return normalize_email(str(raw or "")).lower()
    except InvalidInput as exc:
        raise FieldErrors({"email": "Enter a valid email address."}) from exc


def check_password(password: object, email: str, field: str = "password") -> str:
    text = str(password or "")
    found = password_policy.problems(text, email)
    if found:
        raise FieldErrors({field: found[0]})
    return text


def _link(services: Services, purpose: str, token: str) -> str:
    return f"{services.base_url}{PATHS[purpose]}{token}"


def _token(services: Services, purpose: str, staff: StaffUser, mark: str,
           ttl: timedelta) -> str:
    return signed_tokens.make(services.settings.secret_key, f"staff-{purpose}",
                              {"s": staff.id, "m": _mark(mark)}, services.clock(), ttl)


def _email(session: Session, services: Services, staff: StaffUser, shop: Shop, kind: str,
           link: str, **context: str) -> None:
    outbox.enqueue(session, hash_key=services.settings.hash_key, shop_id=shop.id, kind=kind,
                   purpose=Purpose.TRANSACTIONAL,
                   channel="email", recipient=staff.email, locale=staff.language or shop.locale,
                   idempotency_key=f"{kind}:{staff.id}:{secrets.token_hex(8)}",
                   context={"link": link, "shop_name": shop.name, **context},
                   now=services.clock())


# --- creating a shop -------------------------------------------------------------------

@dataclass(frozen=True)
class ShopCreated:
    shop_id: int
    slug: str
    owner_id: int
    link: str  # the verification link (sign-up) or the one-time sign-in link (CLI)


def _check_new_shop(session: Session, name: object, slug: object,
                    email: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    name_text = str(name or "").strip()
    slug_text = str(slug or "").strip().lower()
    if not name_text or len(name_text) > 200:
        errors["name"] = "Give the shop a name (up to 200 characters)."
    if not SLUG.match(slug_text):
        errors["slug"] = ("Use 1-64 lowercase letters, digits and dashes "
                          "(not starting or ending with a dash).")
    elif slug_text in RESERVED_SLUGS or session.scalar(
            select(Shop.id).where(Shop.slug == slug_text)) is not None:
        errors["slug"] = "That address is taken; choose another."  # reserved ones too
    if session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == email)):
        errors["email"] = "An account with this email exists; sign in or reset the password."
    if errors:
        raise FieldErrors(errors)
    return name_text, slug_text


def _new_shop(session: Session, services: Services, name: str, slug: str,
              locale: str) -> Shop:
    shop = Shop(slug=slug, name=name, invocation_name=name.lower()[:100], locale=locale,
                landing_url="", settings={"locales": [locale]})  # "": our friend page
    session.add(shop)
    session.flush()
    session.add(Program(shop_id=shop.id, version=1, active=True, currency=shop.currency))
    return shop


def sign_up(session: Session, services: Services, *, name: object, slug: object,
            email: object, password: object, locale: str = "en-US") -> ShopCreated:
    """A new shop and its owner (who must verify the email before signing in)."""
    errors: dict[str, str] = {}
    try:
        address = clean_email(email)
    except FieldErrors as exc:
        errors.update(exc.fields)
        address = ""
    try:
        name_text, slug_text = _check_new_shop(session, name, slug, address)
    except FieldErrors as exc:
        errors.update(exc.fields)
    try:
        secret = check_password(password, address)
    except FieldErrors as exc:
        errors.update(exc.fields)
    if errors:
        raise FieldErrors(errors)
    password_hash = hash_password(secret)
    try:
        with session.begin_nested():  # a double-clicked form: the second finds it taken
            shop = _new_shop(session, services, name_text, slug_text, locale)
            owner = StaffUser(shop_id=shop.id, email=address, password_hash=password_hash,
                              role=Role.OWNER.value, display_name="")
            session.add(owner)
            session.flush()
    except IntegrityError:
        _check_new_shop(session, name_text, slug_text, address)  # names what is taken now
        raise FieldErrors({"slug": "That address is taken; choose another."}) from None
    link = send_verification(session, services, owner)
    return ShopCreated(shop.id, shop.slug, owner.id, link)


def create_shop(session: Session, services: Services, *, name: object, slug: object,
                owner_email: object, locale: str = "en-US") -> ShopCreated:
    """The CLI's way: a shop and an owner without a password; the returned one-time link
    lets the owner choose one (and so sign in)."""
    address = clean_email(owner_email)
    name_text, slug_text = _check_new_shop(session, name, slug, address)
    shop = _new_shop(session, services, name_text, slug_text, locale)
    owner = StaffUser(shop_id=shop.id, email=address, password_hash="", role=Role.OWNER.value)
    session.add(owner)
    session.flush()
    token = _token(services, "welcome", owner, "", WELCOME_TTL)
    return ShopCreated(shop.id, shop.slug, owner.id, _link(services, "welcome", token))


# --- email verification ----------------------------------------------------------------

def send_verification(session: Session, services: Services, staff: StaffUser) -> str:
    shop = session.get(Shop, staff.shop_id) if staff.shop_id else None
    token = signed_tokens.make(services.settings.secret_key, "staff-verify",
                               {"s": staff.id, "e": staff.email}, services.clock(),
                               VERIFY_TTL)
    link = _link(services, "verify", token)
    if shop is not None:
        _email(session, services, staff, shop, "staff_verify", link)
    return link


class Verified(StrEnum):
    VERIFIED = "verified"
    ALREADY = "already_verified"


def verify_email(session: Session, services: Services, token: str) -> Verified:
    data = signed_tokens.read(services.settings.secret_key, "staff-verify", token,
                              services.clock())
    staff = session.get(StaffUser, data.get("s"))
    if staff is None or staff.email != data.get("e"):
        raise signed_tokens.BadToken("This link is not valid.")
    if staff.email_verified_at is not None:
        return Verified.ALREADY
    staff.email_verified_at = services.clock()
    return Verified.VERIFIED


# --- signing in ------------------------------------------------------------------------

class SignIn(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    UNVERIFIED = "unverified"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SignInOutcome:
    status: SignIn
    grant: Grant | None = None  # OK only
    retry_after: int = 0


def sign_in(services: Services, email: object, password: object,
            client: str) -> SignInOutcome:
    """The console's throttle (core.login_throttle: counted before the password is
    checked, per account and per client), the same scrypt for unknown emails (DUMMY_HASH),
    and the password checked outside any transaction. A verified email is required."""
    address = str(email or "").strip().lower()[:320]
    who = {"hash_key": services.settings.hash_key, "email": address, "client": client}
    with services.db.session() as session:
        verdict = login_throttle.attempt(session, now=services.clock(), **who)
    if not verdict.allowed:
        return SignInOutcome(SignIn.THROTTLED, retry_after=verdict.retry_after)
    with services.db.session() as session:
        staff = session.scalar(select(StaffUser).where(StaffUser.email == address))
        if staff is not None:
            session.expunge(staff)
    stored = staff.password_hash if staff is not None and staff.password_hash else DUMMY_HASH
    if not verify_password(str(password or ""), stored) or staff is None or \
            not staff.password_hash:
        return SignInOutcome(SignIn.WRONG)
    with services.db.session() as session:
        login_throttle.succeeded(session, **who)
        if staff.email_verified_at is None:
            return SignInOutcome(SignIn.UNVERIFIED)
        return SignInOutcome(SignIn.OK, _grant(session, services, staff))


# --- limits on what sends mail ------------------------------------------------------------

LIMITS = {"signup": (rate_limits.SIGNUP_CLIENT, rate_limits.SIGNUP_ADDRESS),
          "reset": (rate_limits.RESET_CLIENT, rate_limits.RESET_ADDRESS),
          "verify": (rate_limits.VERIFY_CLIENT, rate_limits.VERIFY_ADDRESS)}


def allow(services: Services, action: str, *, client: str, email: object) -> login_throttle.Verdict:
    """Count one sign-up / reset request / new verification link for this client and this
    address, in a unit of work of its own (so a refused form still counts); the verdict
    says whether to go on, and if not, in how many seconds to come back."""
    per_client, per_address = LIMITS[action]
    address = str(email or "").strip().lower()[:320]
    with services.db.session() as session:
        return rate_limits.take(session, hash_key=services.settings.hash_key,
                                now=services.clock(),
                                limits=[(per_client, client), (per_address, address)])


# --- password reset --------------------------------------------------------------------

def request_reset(session: Session, services: Services, email: object) -> None:
    """Emails a reset link when the account exists; says nothing either way (no probing)."""
    address = str(email or "").strip().lower()[:320]
    staff = session.scalar(select(StaffUser).where(StaffUser.email == address))
    if staff is None or staff.shop_id is None or not staff.password_hash:
        return
    shop = session.get(Shop, staff.shop_id)
    token = _token(services, "reset", staff, staff.password_hash, RESET_TTL)
    if shop is not None:
        _email(session, services, staff, shop, "staff_reset", _link(services, "reset", token))


def _staff_for(session: Session, services: Services, purpose: str, token: str,
               current_mark: str | None = None) -> StaffUser:
    data = signed_tokens.read(services.settings.secret_key, f"staff-{purpose}", token,
                              services.clock())
    staff = session.get(StaffUser, data.get("s"))
    mark = staff.password_hash if staff is not None else ""
    if staff is None or data.get("m") != _mark(mark if current_mark is None else current_mark):
        raise signed_tokens.BadToken("This link was already used or is no longer valid.",
                                     code="used_token")
    return staff


def check_token(session: Session, services: Services, purpose: str, token: str) -> StaffUser:
    """The staff member a reset/invite/welcome link is for (BadToken if used or expired)."""
    return _staff_for(session, services, purpose, token)


def link_email(services: Services, purpose: str, token: str) -> str:
    """The address a reset/invite/welcome link is for (BadToken if used or expired)."""
    with services.db.session() as session:
        return check_token(session, services, purpose, token).email


def choose_password(services: Services, purpose: str, token: str, password: object,
                    display_name: object = None) -> Grant:
    """set_password in a unit of work of its own; the session to start for them."""
    with services.db.session() as session:
        staff = set_password(session, services, purpose, token, password, display_name)
        end_sessions(session, staff.id)  # a new password ends every other session
        return _grant(session, services, staff)


def resend_verification(services: Services, email: object) -> None:
    """A new verification link for an account that waits for one; nothing otherwise (the
    page says the same either way)."""
    address = str(email or "").strip().lower()
    with services.db.session() as session:
        staff = session.scalar(select(StaffUser).where(StaffUser.email == address))
        if staff is not None and staff.email_verified_at is None and staff.password_hash:
            send_verification(session, services, staff)


def set_password(session: Session, services: Services, purpose: str, token: str,
                 password: object, display_name: object = None) -> StaffUser:
    """Reset, accept an invitation, or first sign-in: the token works once (the new hash no
    longer matches its mark). Having the link proves the mailbox for reset and invite."""
    staff = _staff_for(session, services, purpose, token)
    new_hash = hash_password(check_password(password, staff.email))
    # Consumed atomically: only the one request whose UPDATE still finds the hash the
    # token was made for wins; a concurrent use of the same link finds it changed.
    taken = session.execute(
        update(StaffUser).where(StaffUser.id == staff.id,
                                StaffUser.password_hash == staff.password_hash)
        .values(password_hash=new_hash).execution_options(synchronize_session=False))
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise signed_tokens.BadToken("This link was already used or is no longer valid.",
                                     code="used_token")
    set_committed_value(staff, "password_hash", new_hash)
    if display_name is not None:
        staff.display_name = str(display_name).strip()[:200]
    if purpose in ("reset", "invite") and staff.email_verified_at is None:
        staff.email_verified_at = services.clock()
    if purpose == "welcome" and staff.email_verified_at is None:
        send_verification(session, services, staff)  # the CLI printed the link: not proof
    return staff


# --- invitations and the team ----------------------------------------------------------

@dataclass(frozen=True)
class Invited:
    staff_id: int
    link: str


def invite(session: Session, services: Services, *, shop_id: int, inviter: StaffMember,
           email: object, role: object) -> Invited:
    """A staff account with no password yet and an emailed link to choose one. Only an
    owner may make another owner."""
    address = clean_email(email)
    errors: dict[str, str] = {}
    chosen = str(role or "")
    if chosen not in {r.value for r in Role}:
        errors["role"] = "Choose owner, manager or support."
    elif chosen == Role.OWNER.value and inviter.role != Role.OWNER.value:
        errors["role"] = "Only an owner can invite another owner."
    if session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == address)):
        errors["email"] = "This person already has an account."
    if errors:
        raise FieldErrors(errors)
    staff = StaffUser(shop_id=shop_id, email=address, password_hash="", role=chosen,
                      invited_by_id=inviter.id)
    session.add(staff)
    session.flush()
    shop = session.get(Shop, shop_id)
    assert shop is not None
    link = _link(services, "invite", _token(services, "invite", staff, "", INVITE_TTL))
    _email(session, services, staff, shop, "staff_invite", link,
           inviter=inviter.display_name or inviter.email, role=chosen)
    return Invited(staff.id, link)


class MemberState(StrEnum):
    INVITED = "invited"  # no password chosen yet
    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class MemberLine:
    id: int
    email: str
    display_name: str
    role: str
    state: MemberState


def members(services: Services, shop_id: int) -> list[MemberLine]:
    """The shop's team, oldest account first."""
    with services.db.session() as session:
        rows = session.scalars(select(StaffUser).where(StaffUser.shop_id == shop_id)
                               .order_by(StaffUser.id))
        return [MemberLine(m.id, m.email, m.display_name, m.role,
                           MemberState.INVITED if not m.password_hash else
                           MemberState.CONFIRMED if m.email_verified_at else
                           MemberState.UNCONFIRMED) for m in rows]


def _owners(session: Session, shop_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.shop_id == shop_id, StaffUser.role == Role.OWNER.value)) or 0)


def change_role(session: Session, *, shop_id: int, staff_id: int, role: object) -> StaffUser:
    staff = session.get(StaffUser, staff_id)
    if staff is None or staff.shop_id != shop_id:
        raise FieldErrors({"staff": "No such member of this shop."})
    chosen = str(role or "")
    if chosen not in {r.value for r in Role}:
        raise FieldErrors({"role": "Choose owner, manager or support."})
    if staff.role == Role.OWNER.value and chosen != Role.OWNER.value and \
            _owners(session, shop_id) <= 1:
        raise FieldErrors({"role": "A shop keeps at least one owner."})
    if staff.role != chosen:
        end_sessions(session, staff.id)  # they sign in again, under the new role
    staff.role = chosen
    return staff


def remove(session: Session, *, shop_id: int, staff_id: int) -> None:
    staff = session.get(StaffUser, staff_id)
    if staff is None or staff.shop_id != shop_id:
        raise FieldErrors({"staff": "No such member of this shop."})
    if staff.role == Role.OWNER.value and _owners(session, shop_id) <= 1:
        raise FieldErrors({"staff": "A shop keeps at least one owner."})
    end_sessions(session, staff.id)
    session.delete(staff)


def delete_shop(session: Session, *, shop_id: int, confirm_slug: object) -> None:
    """Everything of the shop goes (its rows cascade); the slug typed again confirms."""
    shop = session.get(Shop, shop_id)
    if shop is None:
        return
    if str(confirm_slug or "").strip() != shop.slug:
        raise FieldErrors({"confirm": f"Type {shop.slug} to confirm."})
    session.expunge(shop)
    session.execute(delete(Shop).where(Shop.id == shop_id))  # the database cascades
    cache_invalidation.announce(session, shop_id=shop_id, reason="shop_deleted")


# --- the sandbox's outbox ----------------------------------------------------------------

@dataclass(frozen=True)
class SandboxMail:
    id: int
    to: str
    status: str
    subject: str
    text: str
    link: str
    shop: str  # the shop's name
    at: datetime


def sandbox_outbox_open(services: Services) -> bool:
    """The sandbox outbox exists only in the sandbox and only while no real channel is
    configured: account emails carry reset and invitation links, so once anything could
    reach a real inbox they are read there and nowhere else."""
    return is_sandbox(services.settings) and not services.settings.has_real_channel


def sandbox_mails(services: Services, *, staff: StaffMember | None,
                  signed_up: list[int], limit: int = 50) -> list[SandboxMail]:
    """The account emails (STAFF_KINDS) the sandbox channel captured, newest first, for
    the shops this browser may read: the signed-in staff member's shop (every shop for the
    operator's staff), and the shops this browser itself signed up (their verification
    mail, before anyone can sign in). Never another shop's, never one a real channel
    would have carried, never outside the sandbox."""
    if not sandbox_outbox_open(services):
        return []
    captured: ColumnElement[bool] = Message.provider_message_id.like("sandbox-%")
    if services.settings.messaging_mode == "sandbox":  # queued now, captured when sent
        captured = or_(captured, Message.provider_message_id.is_(None))
    query = (select(Message, Shop.name).join(Shop, Shop.id == Message.shop_id)
             .where(Message.kind.in_(STAFF_KINDS), captured))
    if staff is None or staff.shop_id is not None:
        mine = or_(Message.shop_id == staff.shop_id if staff is not None else false(),
                   and_(Message.shop_id.in_(signed_up), Message.kind == "staff_verify"))
        query = query.where(mine)
    with services.db.session() as session:
        rows = session.execute(query.order_by(Message.id.desc()).limit(limit)).all()
        mails = []
        for message, shop_name in rows:
            context = dict(message.context or {})
            rendered = rendering.render(message.kind, message.locale, context)
            mails.append(SandboxMail(message.id, message.recipient, message.status,
                                     rendered.subject, rendered.text,
                                     context.get("link", ""), shop_name,
                                     message.created_at))
        return mails
