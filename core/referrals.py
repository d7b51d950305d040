"""The invite service layer: codes, links, shares and clicks. Functions take plain values and
an open session; the caller's unit of work decides the transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import codes, links
from core.clicks import PendingClick
from core.errors import NotFound
from core.hashing import keyed_hash
from core.models import Customer, ReferralCode, Share, Shop
from core.services import Services

log = logging.getLogger(__name__)
MAX_CODE_ATTEMPTS = 12


def shop_by_slug(session: Session, slug: str) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.slug == slug))
    if shop is None:
        raise NotFound(f"No shop {slug!r}.", code="unknown_shop")
    return shop


def active_code(session: Session, customer_id: int) -> ReferralCode | None:
    return session.scalar(
        select(ReferralCode).where(
            ReferralCode.customer_id == customer_id, ReferralCode.active.is_(True)
        )
    )


def ensure_code(session: Session, customer: Customer) -> ReferralCode:
    """The customer's one active code, created on first use.

    Safe under concurrency: the insert runs in a savepoint; a unique violation means either
    another request created this customer's code (return theirs) or the random part
    collided with someone else's code (retry, with one more digit every few tries)."""
    for attempt in range(MAX_CODE_ATTEMPTS):
        found = active_code(session, customer.id)
        if found is not None:
            return found
        row = ReferralCode(
            code=codes.generate(customer.name, extra_digits=attempt // 4),
            shop_id=customer.shop_id,
            customer_id=customer.id,
            spoken_name=(customer.name or "").strip().split(" ")[0][:100],
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            session.expunge(row) if row in session else None
            continue
        return row
    raise RuntimeError("could not allocate a referral code")  # pragma: no cover


def find_code(session: Session, text: str) -> ReferralCode:
    """Check digits first (a typo never reaches the database), then the lookup."""
    compact = codes.validate(text)
    row = session.scalar(select(ReferralCode).where(ReferralCode.code == compact))
    if row is None:
        raise NotFound("No invite with this code.", code="unknown_code")
    return row


@dataclass(frozen=True)
class Invite:
    code: str
    display: str
    spoken_name: str
    link: str
    qr_png: str
    qr_svg: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


def invite_for(shop: Shop, code: ReferralCode, base_url: str, channel: str = "voice",
               assistant: str | None = None) -> Invite:
    base = links.link_base(shop, base_url)
    return Invite(
        code=code.code,
        display=codes.display(code.code),
        spoken_name=code.spoken_name,
        link=links.invite_link(base, code.code, channel, assistant),
        qr_png=links.qr_url(base_url, code.code, "png"),
        qr_svg=links.qr_url(base_url, code.code, "svg"),
    )


def record_share(
    session: Session,
    services: Services,
    *,
    shop: Shop,
    customer: Customer,
    code: ReferralCode,
    channel: str,
    assistant: str | None,
    recipient: str | None = None,
    recipient_kind: str = "self",
) -> Share:
    share = Share(
        shop_id=shop.id,
        customer_id=customer.id,
        code_id=code.id,
        channel=channel,
        assistant=assistant,
        recipient_kind=recipient_kind,
        recipient_hash=keyed_hash(services.settings.hash_key, recipient) if recipient else None,
        created_at=services.clock(),
    )
    session.add(share)
    return share


# --- the redirect hot path -------------------------------------------------------------


@dataclass(frozen=True)
class CodeTarget:
    code_id: int
    shop_id: int
    code: str
    landing_url: str
    link: str
    _landings: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def landing_for(self, channel: str) -> str:
        """The redirect target per channel, built once."""
        url = self._landings.get(channel)
        if url is None:
            url = self._landings[channel] = links.landing_url(self.landing_url, self.code, channel)
        return url


class CodeDirectory:
    """Code -> landing page, read from memory after the first hit: `/r/` must not wait on
    the database. Codes are never re-pointed, so entries stay valid; size is bounded."""

    def __init__(self, services: Services, maxsize: int = 50_000) -> None:
        self._services = services
        self._maxsize = maxsize
        self._cache: dict[str, CodeTarget] = {}

    def resolve_fast(self, text: str) -> CodeTarget:
        """The hot path: a code seen before, in the exact spelling seen before, skips even
        the checksum."""
        target = self._cache.get(text)
        return target if target is not None else self.resolve(text)

    def lookup(self, compact: str) -> CodeTarget | None:
        target = self._cache.get(compact)
        if target is None:
            target = self._load(compact)
            if target is not None:  # misses are not cached: the code may exist later
                if len(self._cache) >= self._maxsize:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[compact] = target
        return target

    def forget(self, compact: str) -> None:
        self._cache.pop(compact, None)

    def _load(self, compact: str) -> CodeTarget | None:
        with self._services.db.session() as session:
            row = session.execute(
                select(ReferralCode.id, ReferralCode.shop_id, Shop.landing_url, Shop.link_base_url)
                .join(Shop, Shop.id == ReferralCode.shop_id)
                .where(ReferralCode.code == compact, ReferralCode.active.is_(True))
            ).first()
        if row is None:
            return None
        base = (row.link_base_url or self._services.base_url).rstrip("/")
        return CodeTarget(row.id, row.shop_id, compact, row.landing_url,
                          links.invite_link(base, compact, "qr"))

    def resolve(self, text: str) -> CodeTarget:
        compact = codes.validate(text)
        target = self.lookup(compact)
        if target is None:
            raise NotFound("No invite with this code.", code="unknown_code")
        return target


def record_click(
    services: Services,
    target: CodeTarget,
    *,
    channel: str | None,
    ip: str | None,
    user_agent: str | None,
    at: datetime | None = None,
    assistant: str | None = None,
) -> None:
    services.clicks.record(
        PendingClick(
            target.code_id,
            target.shop_id,
            links.channel_or_default(channel),
            ip or None,
            user_agent or "",
            at or services.clock(),
            links.assistant_or_none(assistant),
        )
    )


def summary(shop: Shop, code: ReferralCode, base_url: str) -> dict[str, Any]:
    return {"shop": shop.slug, **invite_for(shop, code, base_url).as_dict()}
