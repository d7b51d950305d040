"""Uploading QR codes to Yandex Dialogs so Alice can show them (BigImage cards accept only
image ids from Yandex's own storage).

Never inside the webhook: the webhook looks up a ready image id or queues the code and
answers with text and the link button meanwhile; a job uploads (1 KB-1 MB per image, 100 MB
per skill, 429, 5xx and an unreachable Yandex retried with backoff, other 4xx fail the row).

In the sandbox, unless YANDEX_DIALOGS_URL names an API to use, images go to a local
stand-in instead: the demo's made-up OAuth token would only ever be refused by Yandex."""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import requests
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import links, qr
from core.models import ExternalImage, ImageStatus, Shop
from core.sandbox import is_sandbox
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
        try:
            response = self._http().get(f"{self.base_url}/api/v1/status", timeout=10,
                                        headers={"Authorization": f"OAuth {self.token}"})
        except requests.RequestException as exc:
            raise UploadError(f"Yandex unreachable: {exc}", retryable=True) from exc
        self._check(response)
        try:
            return int(response.json()["images"]["quota"]["used"])
        except (ValueError, KeyError, TypeError) as exc:
            raise UploadError("Yandex sent an unreadable quota", retryable=True) from exc

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
        try:
            return str(response.json()["image"]["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise UploadError("Yandex sent an unreadable upload answer", retryable=True) from exc


class SandboxImageHost:
    """The sandbox's stand-in for Yandex's image storage: checks what Yandex would check and
    answers with an id made from the image, without any network."""

    def upload(self, skill_id: str, png: bytes) -> str:
        if not MIN_BYTES <= len(png) <= MAX_BYTES:
            raise UploadError(f"image is {len(png)} bytes; Yandex takes 1 KB to 1 MB",
                              retryable=False)
        return f"sandbox/{hashlib.sha256(png).hexdigest()[:24]}"


def image_for(session: Session, shop_id: int, code: str) -> str | None:
    """The ready image id, or None after making sure an upload is queued (idempotent)."""
    row = session.scalar(select(ExternalImage).where(
        ExternalImage.shop_id == shop_id, ExternalImage.platform == "alice",
        ExternalImage.code == code))
    if row is not None:
        return row.image_id if row.status == ImageStatus.READY else None
    try:
        with session.begin_nested():
            session.add(ExternalImage(shop_id=shop_id, platform="alice", code=code))
    except IntegrityError:
        pass  # queued by a concurrent turn
    return None


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** attempts), timedelta(hours=1)) * random.uniform(
        0.5, 1.5)


class ImageHost(Protocol):
    def upload(self, skill_id: str, png: bytes) -> str: ...


ClientFactory = Callable[[Services, str], ImageHost]


def upload_pending(services: Services, client_for: ClientFactory | None = None,
                   batch: int = 20) -> int:
    """One pass of the upload job; returns how many images became ready."""
    now = services.clock()
    ready = 0
    with services.db.session() as session:
        rows = session.scalars(select(ExternalImage).where(
            ExternalImage.status == ImageStatus.PENDING, ExternalImage.next_attempt_at <= now)
            .limit(batch).with_for_update(skip_locked=True)).all()
        for row in rows:
            shop = session.get(Shop, row.shop_id)
            skill_id = shop.setting("alice_skill_id") if shop else None
            token_sealed = shop.setting("alice_oauth_token") if shop else None
            if shop is None or not skill_id or not token_sealed:
                row.status, row.last_error = ImageStatus.FAILED, "no Alice skill id or OAuth token"
                continue
            client = (client_for or _default_client)(services,
                                                  services.box.open(token_sealed) or "")
            png = qr.png(links.invite_link(links.link_base(shop, services.base_url), row.code,
                                           "qr"))
            row.attempts += 1
            try:
                row.image_id = client.upload(skill_id, png)
                row.status, row.last_error = ImageStatus.READY, None
                ready += 1
            except UploadError as exc:
                row.last_error = str(exc)
                if exc.retryable and row.attempts < MAX_ATTEMPTS:
                    row.next_attempt_at = now + backoff(row.attempts)
                else:
                    row.status = ImageStatus.FAILED
                # one line per attempt (attempts back off), no traceback: an outage is news
                log.warning("Alice image for shop %s not uploaded (attempt %d, %s): %s",
                            row.shop_id, row.attempts, row.status, exc)
    return ready


def api_url(services: Services) -> str | None:
    """The Dialogs API named for this process (YANDEX_DIALOGS_URL), if any."""
    return (services.adapters.yandex_dialogs_url
            or services.settings.yandex_dialogs_url or None)


def uses_stand_in(services: Services) -> bool:
    return api_url(services) is None and is_sandbox(services.settings)


def _default_client(services: Services, token: str) -> ImageHost:
    if uses_stand_in(services):
        return SandboxImageHost()
    return DialogsImageClient(token, api_url(services) or DIALOGS_API)


def upload_job(services: Services) -> Callable[[], int]:
    """One pass of the image upload, for the embedded server and `alice-images`; says once
    when the sandbox's local stand-in takes the images instead of Yandex."""
    if uses_stand_in(services):
        log.info("alice-images: sandbox, so QR images go to the local stand-in, not to "
                 "Yandex (set YANDEX_DIALOGS_URL to upload for real)")
    return lambda: upload_pending(services)
