"""Uploading QR codes to Yandex Dialogs so Alice can show them (BigImage cards accept only
image ids from Yandex's own storage).

Never inside the webhook: the webhook looks up a ready image id or queues the code and
answers with text and the link button meanwhile; a job uploads (1 KB-1 MB per image, 100 MB
per skill, 429 and 5xx retried with backoff, other 4xx fail the row)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import requests
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import links, qr
from core.models import ExternalImage, Shop
from core.services import Services

log = logging.getLogger(__name__)
DIALOGS_API = "https://dialogs.yandex.net"
MIN_BYTES, MAX_BYTES = 1024, 1024 * 1024
SKILL_QUOTA_BYTES = 100 * 1024 * 1024
MAX_ATTEMPTS = 8


class UploadError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class DialogsImageClient:
    """The documented Dialogs image API with an OAuth token."""

    token: str
    base_url: str = DIALOGS_API
    session: requests.Session | None = None

    def _http(self) -> requests.Session:
        if self.session is None:
            self.session = requests.Session()
        return self.session

    def _check(self, response: requests.Response) -> None:
        if response.status_code == 429 or response.status_code >= 500:
            raise UploadError(f"Yandex answered {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise UploadError(f"Yandex refused: {response.status_code} {response.text[:200]}",
                              retryable=False)

    def used_bytes(self) -> int:
        response = self._http().get(f"{self.base_url}/api/v1/status", timeout=10,
                                    headers={"Authorization": f"OAuth {self.token}"})
        self._check(response)
        return int(response.json()["images"]["quota"]["used"])

    def upload(self, skill_id: str, png: bytes) -> str:
        if not MIN_BYTES <= len(png) <= MAX_BYTES:
            raise UploadError(f"image is {len(png)} bytes; Yandex takes 1 KB to 1 MB",
                              retryable=False)
        if self.used_bytes() + len(png) > SKILL_QUOTA_BYTES:
            raise UploadError("the skill's 100 MB image quota is full", retryable=False)
        try:
            response = self._http().post(
                f"{self.base_url}/api/v1/skills/{skill_id}/images", timeout=15,
                headers={"Authorization": f"OAuth {self.token}"},
                files={"file": ("qr.png", png, "image/png")})
        except requests.RequestException as exc:
            raise UploadError(f"Yandex unreachable: {exc}", retryable=True) from exc
        self._check(response)
        return str(response.json()["image"]["id"])


def image_for(session: Session, shop_id: int, code: str) -> str | None:
    """The ready image id, or None after making sure an upload is queued (idempotent)."""
    row = session.scalar(select(ExternalImage).where(
        ExternalImage.shop_id == shop_id, ExternalImage.platform == "alice",
        ExternalImage.code == code))
    if row is not None:
        return row.image_id if row.status == "ready" else None
    try:
        with session.begin_nested():
            session.add(ExternalImage(shop_id=shop_id, platform="alice", code=code))
    except IntegrityError:
        pass  # queued by a concurrent turn
    return None


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** attempts), timedelta(hours=1)) * random.uniform(
        0.5, 1.5)


ClientFactory = Callable[[Services, str], DialogsImageClient]


def upload_pending(services: Services, client_for: ClientFactory | None = None,
                   batch: int = 20) -> int:
    """One pass of the upload job; returns how many images became ready."""
    now = services.clock()
    ready = 0
    with services.db.session() as session:
        rows = session.scalars(select(ExternalImage).where(
            ExternalImage.status == "pending", ExternalImage.next_attempt_at <= now)
            .limit(batch).with_for_update(skip_locked=True)).all()
        for row in rows:
            shop = session.get(Shop, row.shop_id)
            skill_id = shop.setting("alice_skill_id") if shop else None
            token_sealed = shop.setting("alice_oauth_token") if shop else None
            if not skill_id or not token_sealed:
                row.status, row.last_error = "failed", "no Alice skill id or OAuth token"
                continue
            client = (client_for or _default_client)(services, services.box.open(token_sealed))
            png = qr.png(links.invite_link(links.link_base(shop, services.base_url), row.code,
                                           "qr"))
            row.attempts += 1
            try:
                row.image_id = client.upload(skill_id, png)
                row.status, row.last_error = "ready", None
                ready += 1
            except UploadError as exc:
                row.last_error = str(exc)
                if exc.retryable and row.attempts < MAX_ATTEMPTS:
                    row.next_attempt_at = now + backoff(row.attempts)
                else:
                    row.status = "failed"
    return ready


def _default_client(services: Services, token: str) -> DialogsImageClient:
    return DialogsImageClient(token, services.extras.get("yandex_dialogs_url") or DIALOGS_API)
