"""One customer as the back office shows them: code, shares, referrals, reward ledger,
consent and suppressions, voice identities. Contacts are masked and voice user ids hashed:
the whole record is the privacy export (core.privacy), which only a manager may download."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from core import privacy, referral_report
from core.customers import LedgerLine, _line
from core.errors import NotFound
from core.hashing import keyed_hash
from core.models import (
    Customer,
    DigestSubscription,
    LedgerEntry,
    Referral,
    ReferralCode,
    Share,
    Suppression,
    VoiceIdentity,
)
from core.referral_report import Filters, ReferralRow, masked
from core.services import Services

SHOWN = 50


@dataclass(frozen=True)
class Consent:
    email: str  # masked
    email_confirmed_at: datetime | None
    consent_email: bool
    phone: str  # masked
    phone_confirmed_at: datetime | None
    consent_sms: bool
    digest: bool


@dataclass(frozen=True)
class SuppressionLine:
    channel: str
    reason: str
    all_shops: bool
    created_at: datetime
    lifted_at: datetime | None


@dataclass(frozen=True)
class Identity:
    assistant: str
    user: str  # a short keyed hash of the assistant's user id, never the id
    linked_at: datetime | None


@dataclass(frozen=True)
class ShareLine:
    created_at: datetime
    channel: str
    assistant: str | None
    recipient_kind: str


@dataclass(frozen=True)
class CustomerView:
    external_id: str
    name: str
    locale: str
    signed_up_at: datetime | None
    code: str | None
    shares_by_channel: dict[str, int]
    shares: tuple[ShareLine, ...]
    referrals: tuple[ReferralRow, ...]
    referred_by: str | None  # the referrer's id when this customer was referred
    ledger: tuple[LedgerLine, ...]
    consent: Consent
    suppressions: tuple[SuppressionLine, ...]
    identities: tuple[Identity, ...]


def view(services: Services, shop_id: int, external_id: str) -> CustomerView:
    """NotFound for an id this shop does not have (another shop's customer included)."""
    key = services.settings.hash_key
    with services.db.session() as uow:
        customer = privacy.find_customer(uow, shop_id, external_id)
        if customer is None:
            raise NotFound("No such customer.", code="unknown_customer")
        code = uow.scalar(select(ReferralCode.code).where(
            ReferralCode.customer_id == customer.id, ReferralCode.active.is_(True)))
        by_channel = Counter(dict(uow.execute(
            select(Share.channel, func.count(Share.id)).where(Share.customer_id == customer.id)
            .group_by(Share.channel)).all()))
        shares = tuple(ShareLine(s.created_at, s.channel, s.assistant, s.recipient_kind)
                       for s in uow.scalars(select(Share).where(
                           Share.customer_id == customer.id)
                           .order_by(Share.id.desc()).limit(SHOWN)))
        referred_by = uow.scalar(
            select(Customer.external_id).join(Referral, Referral.referrer_id == Customer.id)
            .where(Referral.friend_id == customer.id))
        ledger = tuple(_line(e) for e in uow.scalars(select(LedgerEntry).where(
            LedgerEntry.customer_id == customer.id).order_by(LedgerEntry.id).limit(SHOWN)))
        hashes = [keyed_hash(key, v) for v in (customer.email, customer.phone) if v]
        suppressions = tuple(
            SuppressionLine(s.channel, s.reason, s.shop_id is None, s.created_at, s.lifted_at)
            for s in uow.scalars(select(Suppression).where(
                Suppression.recipient_hash.in_(hashes),
                or_(Suppression.shop_id.is_(None), Suppression.shop_id == shop_id))
                .order_by(Suppression.id))) if hashes else ()
        identities = tuple(
            Identity(v.assistant, keyed_hash(key, v.assistant_user_id)[:12], v.linked_at)
            for v in uow.scalars(select(VoiceIdentity).where(
                VoiceIdentity.customer_id == customer.id).order_by(VoiceIdentity.id)))
        digest = bool(uow.scalar(select(DigestSubscription.active).where(
            DigestSubscription.customer_id == customer.id)))
        consent = Consent(masked(customer.email, None), customer.email_confirmed_at,
                          customer.consent_email, masked(None, customer.phone),
                          customer.phone_confirmed_at, customer.consent_sms, digest)
        name, locale, signed_up = customer.name, customer.locale, customer.signed_up_at
    referrals = referral_report.page(services, shop_id, Filters(referrer=external_id),
                                     limit=SHOWN).items
    return CustomerView(external_id, name, locale, signed_up, code, dict(by_channel), shares,
                        referrals, referred_by, ledger, consent, suppressions, identities)
