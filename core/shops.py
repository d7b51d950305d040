"""A shop by id inside a use case, and the few plain facts a page or an API answer shows
about it (ShopRef), so no view holds a Shop row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import NotFound
from core.models import Shop
from core.services import Services


def get(uow: UnitOfWork, shop_id: int) -> Shop:
    """The shop a caller was authenticated for; NotFound if it was deleted meanwhile."""
    shop = uow.get(Shop, shop_id)
    if shop is None:
        raise NotFound("No such shop.", code="unknown_shop")
    return shop


@dataclass(frozen=True)
class ShopRef:
    id: int
    slug: str
    name: str
    currency: str
    locale: str


def ref(shop: Shop) -> ShopRef:
    return ShopRef(shop.id, shop.slug, shop.name, shop.currency, shop.locale)


def visible_to(services: Services, staff_shop_id: int | None, *,
               slug: str | None = None) -> list[ShopRef]:
    """The shops a staff member of `staff_shop_id` may open (None: the operator's staff,
    who see every shop), by name; with `slug`, only that one if they may."""
    query = select(Shop).order_by(Shop.name)
    if staff_shop_id is not None:
        query = query.where(Shop.id == staff_shop_id)
    if slug is not None:
        query = query.where(Shop.slug == slug)
    with services.db.session() as uow:
        return [ref(shop) for shop in uow.scalars(query)]


def public_name(services: Services, slug: str) -> str | None:
    """A shop's name for its public pages (privacy, terms); None when there is none."""
    with services.db.session() as uow:
        return uow.scalar(select(Shop.name).where(Shop.slug == slug))
