"""`test-conversations` runs every case on its own fresh copy of the shop it names: cases
never see each other's sends ("already sent today", "friend already invited"), and the live
database is only read — not one row is added to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select

from core.db import Database
from core.models import (
    Base,
    Customer,
    Message,
    Program,
    ReferralCode,
    Shop,
    Suppression,
    VoiceIdentity,
)
from core.services import Services
from core.shop_copy import copy_shop
from fulfillment.simulator import conversations
from tests.conftest import REPO

CASES_DIR = REPO / "tests" / "conversations"


def row_counts(database: Database) -> dict[str, int]:
    with database.engine.connect() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables}


def run_cli(services: Services, *args: str) -> Any:
    from fulfillment.cli import main

    env = {"DATABASE_URL": services.settings.database_url,
           "SECRET_KEY": services.settings.secret_key,
           "HASH_KEY": services.settings.hash_key, "BASE_URL": services.base_url,
           "EMBEDDED_WORKER": "0", "SANDBOX": "1"}  # the simulator signs with sandbox keys
    return CliRunner().invoke(main, ["test-conversations", *args], env=env,
                              catch_exceptions=False)


def all_cases() -> int:
    return sum(len(conversations.cases(f)) for f in sorted(CASES_DIR.glob("*.yaml")))


def test_every_case_passes_on_a_live_demo_database_and_again_and_adds_no_row_to_it(
        services, demo):
    before = row_counts(services.db)
    result = run_cli(services, str(CASES_DIR))
    assert result.exit_code == 0, result.output
    assert f"{all_cases()} passed, 0 failed" in result.output
    # again: shared state would now hear "already sent today" and "friend already invited"
    again = run_cli(services, str(CASES_DIR / "share_by_email_en.yaml"))
    assert again.exit_code == 0, again.output
    assert row_counts(services.db) == before


def test_a_sending_case_passes_after_the_live_customer_was_already_sent_to_today(
        services, demo):
    """The live outbox already holds today's invite for Alex; the copy does not."""
    first = run_cli(services, str(CASES_DIR / "share_en.yaml"))
    assert first.exit_code == 0, first.output
    with services.db.session() as session:
        session.add(Message(shop_id=1, kind="invite_self", channel="sms",
                            recipient="+15555550100", recipient_hash="x", locale="en-US",
                            idempotency_key="live:already-sent", context={}, evidence={},
                            status="sent", next_attempt_at=services.clock()))
    before = row_counts(services.db)
    again = run_cli(services, str(CASES_DIR / "share_en.yaml"))
    assert again.exit_code == 0, again.output
    assert row_counts(services.db) == before


def test_a_case_naming_an_unknown_shop_fails_with_its_reason(services, demo, tmp_path: Path):
    case = tmp_path / "other.yaml"
    case.write_text("shop: no-such-shop\nturns:\n  - say: help\n", encoding="utf-8")
    result = run_cli(services, str(case))
    assert result.exit_code == 1
    assert "FAIL other[alexa]" in result.output and "no-such-shop" in result.output


def test_the_copy_holds_only_the_named_shop_its_program_customers_and_opt_outs(
        services, demo, tmp_path: Path):
    with services.db.session() as session:
        other = Shop(slug="other", name="Other", landing_url="https://other.test")
        session.add(other)
        session.flush()
        session.add(Program(shop_id=other.id, version=1, active=True))
        session.add(Customer(shop_id=other.id, external_id="bob", name="Bob"))
        session.add(Suppression(shop_id=other.id, channel="sms", recipient_hash="o",
                                reason="stop"))
        session.add(Suppression(shop_id=None, channel="sms", recipient_hash="all",
                                reason="stop"))
    target = Database(f"sqlite:///{tmp_path / 'copy.db'}")
    target.create_all()
    try:
        shop_id = copy_shop(services.db, target, "demo")
        with target.session() as session:
            assert session.scalars(select(Shop.slug)).all() == ["demo"]
            assert session.get(Shop, shop_id).settings["alexa_skill_id"] == \
                demo["skill_ids"]["alexa"]
            assert session.scalars(select(Customer.external_id)).all() == ["alex"]
            assert session.scalar(select(func.count(Program.id))) == 1
            # the demo customer's identities, one per speaker the demo links (Salute too)
            assert sorted(session.scalars(select(VoiceIdentity.assistant_user_id)).all()) == \
                sorted(demo["voice_users"].values())
            copied_codes = session.scalars(select(ReferralCode.code)).all()
            assert session.scalars(select(Suppression.recipient_hash)).all() == ["all"]
            assert session.scalar(select(func.count(Message.id))) == 0
    finally:
        target.dispose()
    with services.db.session() as session:
        assert copied_codes == session.scalars(select(ReferralCode.code).where(
            ReferralCode.shop_id == shop_id, ReferralCode.active.is_(True))).all() != []
