"""Helpers for tests that sign staff in through the real pages: read the account emails
from the outbox, follow their links, and post forms with the session's CSRF token."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from core.models import Message
from core.services import Services

PASSWORD = "violet-harbour-lantern-42"


def csrf(client: Any, path: str = "/login") -> str:
    """The session's CSRF token, read from a page's hidden field."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def post(client: Any, path: str, data: dict[str, Any] | None = None,
         page: str = "/login", **kwargs: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf(client, page), **(data or {})},
                       **kwargs)


def mails(services: Services, kind: str, to: str | None = None) -> list[Message]:
    with services.db.session() as session:
        query = select(Message).where(Message.kind == kind).order_by(Message.id)
        if to is not None:
            query = query.where(Message.recipient == to)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def last_link(services: Services, kind: str, to: str | None = None) -> str:
    """The path of the link in the newest account email of this kind."""
    found = mails(services, kind, to)
    assert found, f"no {kind} email"
    return urlsplit(found[-1].context["link"]).path


def sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    return post(client, "/login", {"email": email, "password": password})


def sign_up(client: Any, *, name: str = "Anna's Books", slug: str = "annas-books",
            email: str = "anna@books.example", password: str = PASSWORD) -> Any:
    return post(client, "/signup", {"name": name, "slug": slug, "email": email,
                                    "password": password}, page="/signup")


def sign_in_cookie(cookie: Any, services: Services, staff_id: int, csrf: str) -> None:
    """A session cookie as signing in leaves it (the staff id, the token of a new
    server-side session, a CSRF token), for tests that skip the sign-in page."""
    from core import staff_accounts
    from core.models import StaffUser

    with services.db.session() as session:
        row = session.get(StaffUser, staff_id)
        assert row is not None and row.password_hash, f"no staff {staff_id} with a password"
        grant = staff_accounts._grant(session, services, row)
    cookie.clear()
    cookie.update({"staff_id": staff_id, "sid": grant.session_token, "csrf": csrf})
