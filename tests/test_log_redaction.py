"""No phone number or email address reaches a log line, not even through the error paths
that quote data: a database error on a 500 (SQLAlchemy quotes the parameters, PostgreSQL's
DETAIL the key) and an SDK exception quoting a slot value. Checked on the text real
handlers write, tracebacks included, for handlers present before the filter was installed
and for handlers added after."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from core import log_redaction
from core.log_redaction import redact
from core.models import Customer, Shop
from core.services import Services
from fulfillment.app import create_app
from tests.conftest import REPO
from tests.support.alexa import envelope
from tests.support.keys import HASH_KEY, SECRET_KEY

PHONE, EMAIL = "+14155550123", "dup.person@example.com"


@pytest.fixture
def handlers() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Two real stream handlers on the root logger, one attached before `install` (the
    handler filter's case) and one after (the record factory's case)."""
    root = logging.getLogger()
    early, late = io.StringIO(), io.StringIO()
    fmt = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    before = logging.StreamHandler(early)
    before.setFormatter(fmt)
    root.addHandler(before)
    log_redaction.install()
    after = logging.StreamHandler(late)
    after.setFormatter(fmt)
    root.addHandler(after)
    try:
        yield early, late
    finally:
        root.removeHandler(before)
        root.removeHandler(after)
        log_redaction.uninstall()


@pytest.mark.parametrize("text", [
    "+14155550123", "+1 415 555 0123", "+1 (415) 555-0123", "(415) 555-0123", "415-555-0123",
    "415.555.0123", "+49 30 901820", "+7 912 345-67-89", "+44 20 7946 0958", "%2B14155550123",
    "alex@example.com", "a.b+tag@mail.example.co.uk", "alex%40example.com",
])
def test_phone_numbers_and_emails_in_their_usual_written_forms_are_redacted(text):
    redacted = redact(f"before {text} after")
    assert redacted in (f"before {log_redaction.PHONE_MARK} after",
                        f"before {log_redaction.EMAIL_MARK} after")


@pytest.mark.parametrize("text", [
    "2026-11-24 10:00:00,123", "postgresql://postgres@127.0.0.1:5432/x", "customer 123456789",
    "took 415.555 ms", "+00:00", "order 1234-5678", "ALEX-4271",
])
def test_dates_addresses_ids_and_codes_are_left_alone(text):
    assert redact(text) == text


def _boom_route(services: Services):  # type: ignore[no-untyped-def]
    """A write that fails in the database with a phone and an email in its parameters (and,
    on PostgreSQL, the phone in the DETAIL of the unique violation)."""
    def boom() -> str:
        with services.db.session() as session:
            shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
            for _ in range(2):
                session.add(Customer(shop_id=shop_id, external_id=PHONE, phone=PHONE,
                                     email=EMAIL, name="Dup"))
                session.flush()
        return "unreachable"
    return boom


def test_a_database_error_on_a_500_is_logged_with_its_traceback_but_no_phone_or_email(
        services, demo, handlers):
    app = create_app(services=services)  # not TESTING: errors take the production path
    app.add_url_rule("/test-only/boom", "boom", _boom_route(services))
    response = app.test_client().get("/test-only/boom")
    assert response.status_code == 500
    for output in (stream.getvalue() for stream in handlers):
        assert "IntegrityError" in output and "Traceback" in output  # the path really ran
        # redacted, or never quoted: engines hide a failed statement's parameters
        assert log_redaction.PHONE_MARK in output or "parameters hidden" in output
        assert PHONE not in output and "4155550123" not in output
        assert EMAIL not in output


def test_an_sdk_exception_quoting_a_slot_value_is_logged_without_it(services, demo, handlers):
    services.settings = services.settings.with_(verify_requests=False)
    client = create_app(services=services).test_client()
    data = envelope(skill_id=demo["skill_ids"]["alexa"], user_id=demo["voice_users"]["alexa"],
                    intent="SendToFriend", slots={"phone": PHONE}, now=services.clock())
    data["request"]["intent"]["slots"]["phone"]["confirmationStatus"] = PHONE
    response = client.post("/alexa/demo", data=json.dumps(data),
                           headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 500)
    for output in (stream.getvalue() for stream in handlers):
        assert "is not a valid SlotConfirmationStatus" in output  # the SDK's own message
        assert PHONE not in output and "4155550123" not in output


def test_a_log_call_with_arguments_and_an_exception_is_redacted_everywhere(handlers):
    log = logging.getLogger("tests.redaction")
    try:
        raise ValueError(f"no customer for {PHONE} / {EMAIL}")
    except ValueError:
        log.exception("lookup failed for %s", EMAIL, stack_info=True)
    for output in (stream.getvalue() for stream in handlers):
        assert "ValueError: no customer for <phone> / <email>" in output
        assert "lookup failed for <email>" in output
        assert PHONE not in output and EMAIL not in output


SCRIPT_CLI = """
import logging, os, sys
from fulfillment.cli import main
main.main(args=["db", "upgrade"], standalone_mode=False)
logging.getLogger().addHandler(logging.StreamHandler(sys.stderr))  # a handler added later
try:
    raise RuntimeError("failed for +14155550123 and dup.person@example.com")
except RuntimeError:
    logging.getLogger("fulfillment.test").exception("oops +14155550123")
"""

SCRIPT_WSGI = """
import logging, sys
import fulfillment.wsgi
logging.basicConfig(stream=sys.stderr)  # gunicorn configures its handlers after import
logging.getLogger("fulfillment.test").error("oops +14155550123 dup.person@example.com")
"""


@pytest.mark.parametrize("script", [SCRIPT_CLI, SCRIPT_WSGI], ids=["cli", "wsgi"])
def test_the_entry_points_install_the_redaction(tmp_path, script):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'entry.db'}",
           "SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY, "BASE_URL": "http://x"}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "oops <phone>" in done.stderr
    assert "4155550123" not in done.stderr and EMAIL not in done.stderr
