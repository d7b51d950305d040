"""Exactly-once for people: delivery is at-least-once (a worker killed after the provider
took a message but before it recorded `sent` sends it again), so every copy of one outbox
row must look the same to the receiver — the same SMTP Message-ID, the same idempotency
token at Twilio — and any two rows must look different. Proved with a worker process killed
with SIGKILL in the middle of a batch against a real SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update

from core.config import Settings
from core.db import Database
from core.hashing import keyed_hash
from core.messaging.channels.smtp import SmtpChannel
from core.messaging.channels.twilio_sms import (
    IDEMPOTENCY_HEADER,
    TwilioSmsChannel,
    twilio_client,
)
from core.messaging.worker import Worker
from core.models import Message, Shop
from core.services import Services, bootstrap
from tests.conftest import REPO
from tests.support.fake_providers import fake_providers
from tests.support.keys import HASH_KEY, SECRET_KEY
from tests.support.smtp import PASSWORD, USER, Mailbox, smtp_server
from tests.test_messaging_delivery import _friend_invite, share


def send_again(services: Services) -> None:
    """What a crash after the provider accepted leaves behind: the row still unsent."""
    with services.db.session() as session:
        session.execute(update(Message).values(status="created", next_attempt_at=services.clock()))


def smtp_channel(mailbox: Mailbox) -> SmtpChannel:
    return SmtpChannel(mailbox.host, mailbox.port, user=USER, password=PASSWORD,
                       mail_from="invites@demo-shop.example",
                       ssl_context=mailbox.client_context)


def test_a_message_sent_again_carries_the_same_message_id(services, demo):
    with smtp_server() as mailbox:
        share(services, demo, channel="email")
        assert Worker(services, {"email": smtp_channel(mailbox)}).run_once().sent == 1
        send_again(services)
        assert Worker(services, {"email": smtp_channel(mailbox)}).run_once().sent == 1
        first, second = mailbox.messages
    assert first["X-Referral-Message"] == second["X-Referral-Message"]
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].endswith("@demo-shop.example>")


def test_two_messages_never_share_a_message_id(services, demo):
    with smtp_server() as mailbox:
        _friend_invite(services, demo, "email", "one@example.org")
        _friend_invite(services, demo, "email", "two@example.org")
        assert Worker(services, {"email": smtp_channel(mailbox)}).run_once().sent == 2
        one, two = mailbox.messages
    assert one["Message-ID"] != two["Message-ID"]


def test_every_twilio_attempt_of_one_message_carries_the_same_idempotency_token(
        services, demo):
    with fake_providers() as fake:
        channel = TwilioSmsChannel(twilio_client("AC" + "1" * 32, "token", base_url=fake.url),
                                   "+15005550006")
        share(services, demo)
        assert Worker(services, {"sms": channel}).run_once().sent == 1
        send_again(services)
        assert Worker(services, {"sms": channel}).run_once().sent == 1
        _friend_invite(services, demo, "sms", "+4930901820")
        assert Worker(services, {"sms": channel}).run_once().sent == 1
        first, again, other = (r["headers"].get(IDEMPOTENCY_HEADER) for r in fake.of("twilio"))
    assert first and first == again
    assert other and other != first


# --- kill -9 in the middle of a batch, against the real SMTP server ------------------------

TOTAL = 600


def seed_emails(db: Database, n: int) -> None:
    from core import demo as demo_seed

    services = bootstrap(Settings(database_url=db.url, base_url="https://refer.test",
                                  secret_key=SECRET_KEY, hash_key=HASH_KEY), db=db,
                         background_clicks=False)
    demo_seed.seed(services)
    services.clicks.close()
    now = datetime.now(UTC)  # the worker processes run on the wall clock
    with db.session() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
        session.execute(insert(Message), [
            {"shop_id": shop_id, "kind": "invite_friend", "channel": "email",
             "recipient": f"friend{i}@example.org", "recipient_hash": keyed_hash("h", str(i)),
             "locale": "en-US", "idempotency_key": f"kill:{i}",
             "context": {"link": "https://refer.test/r/ALEX1234", "shop_name": "Demo Shop",
                         "referrer_name": "Alex", "code": "ALEX-1234"},
             "evidence": {"confirmed": True}, "status": "created", "attempts": 0,
             "next_attempt_at": now, "created_at": now, "rendered": {}} for i in range(n)])


@contextmanager
def worker_process(db: Database, mailbox: Mailbox, ca_file: Path,
                   lease: int = 3) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "DATABASE_URL": db.url, "SMTP_HOST": mailbox.host,
           "SMTP_PORT": str(mailbox.port), "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD,
           "SMTP_STARTTLS": "1", "MAIL_FROM": "invites@demo-shop.example",
           "SSL_CERT_FILE": str(ca_file), "BASE_URL": "https://refer.test",
           "SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY}
    proc = subprocess.Popen([sys.executable, "-m", "fulfillment", "worker", "--batch", "50",
                             "--idle", "0.1", "--lease", str(lease)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def sent_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(Message.id))
                                  .where(Message.status == "sent")) or 0)


def wait_until(predicate: Any, timeout: float = 180.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


def test_a_worker_killed_mid_batch_resends_only_copies_with_the_same_message_id(
        database, tmp_path):
    seed_emails(database, TOTAL)
    ca_file = tmp_path / "smtp-ca.pem"
    with smtp_server() as mailbox:
        ca_file.write_bytes(mailbox.ca_pem)
        with worker_process(database, mailbox, ca_file) as first:
            # Kill while the server holds mail the worker has not recorded yet: mid-batch.
            wait_until(lambda: len(mailbox.messages) >= TOTAL // 4
                       and len(mailbox.messages) > sent_count(database), step=0.005)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        accepted_before_restart = len(mailbox.messages)
        recorded_before_restart = sent_count(database)
        with worker_process(database, mailbox, ca_file):
            wait_until(lambda: sent_count(database) == TOTAL)
        copies: dict[str, list[str]] = defaultdict(list)
        for mail in mailbox.messages:
            copies[str(mail["X-Referral-Message"])].append(str(mail["Message-ID"]))
    duplicated = {key: ids for key, ids in copies.items() if len(ids) > 1}
    print(f"\nkill -9 mid-batch: {accepted_before_restart} mails at the server, "
          f"{recorded_before_restart} recorded; after restart {len(mailbox.messages)} mails "
          f"for {len(copies)} rows, {len(duplicated)} sent twice, "
          f"{sum(len(set(ids)) == 1 for ids in duplicated.values())} of them with one "
          "Message-ID")
    assert len(copies) == TOTAL  # nothing lost
    assert duplicated  # the kill really fell between "accepted" and "recorded"
    assert len(duplicated) <= 50  # at most the killed worker's batch
    assert all(len(set(ids)) == 1 for ids in duplicated.values())
    first_ids = [ids[0] for ids in copies.values()]
    assert len(set(first_ids)) == TOTAL  # and no two rows share one
