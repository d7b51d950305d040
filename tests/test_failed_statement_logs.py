"""A failed statement's parameters (password hashes, customer names) never reach an error
message or a log line (issue 26, item 9: the sign-up race logged the whole INSERT)."""

from __future__ import annotations

import logging
import traceback

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from core import log_redaction
from core.db import session_now
from core.models import Customer, Shop, StaffUser

HASH = "scrypt$16384$8$1$c2VjcmV0LXNhbHQ$bm90LWEtcmVhbC1oYXNoLWJ1dC1wcml2YXRl"
NAME = "Margarethe Quellenberg"


def _logged(exc: BaseException) -> str:
    """The log line a handler writes for this error, through the product's redaction."""
    record = logging.LogRecord("fulfillment.errors", logging.ERROR, __file__, 1,
                               "unhandled error on POST /signup", None,
                               (type(exc), exc, exc.__traceback__))
    return logging.Formatter().format(log_redaction.redact_record(record))


def test_a_failed_insert_quotes_no_parameter(database) -> None:
    with database.session() as session:
        shop = Shop(slug="books", name="Books", landing_url="https://books.example/")
        session.add(shop)
        session.flush()
        shop_id = shop.id
        session.add(StaffUser(shop_id=shop_id, email="owner@books.example", password_hash="x"))
    with pytest.raises(IntegrityError) as failed, database.session() as session:
        session.add(Customer(shop_id=shop_id, external_id="c1", name=NAME))
        session.flush()
        session.execute(insert(StaffUser).values(shop_id=shop_id, email="owner@books.example",
                                                 password_hash=HASH, role="owner",
                                                 display_name=NAME,
                                                 created_at=session_now(session)))
    text = "".join(traceback.format_exception(failed.value))
    for shown in (str(failed.value), text):  # the error itself quotes no parameter
        assert HASH not in shown and NAME not in shown
    logged = _logged(failed.value)
    assert HASH not in logged and NAME not in logged and "owner@books.example" not in logged
    assert "unhandled error on POST /signup" in logged and "IntegrityError" in logged


def test_log_lines_drop_quoted_parameters_and_key_values() -> None:
    line = ("(psycopg.errors.UniqueViolation) duplicate key value violates unique constraint "
            "\"customers_shop_id_external_id_key\"\nDETAIL:  Key (shop_id, external_id)=(1, "
            f"{NAME}) already exists.\n[SQL: INSERT INTO customers (name) VALUES (%(name)s)]\n"
            f"[parameters: {{'name': '{NAME}', 'password_hash': '{HASH}'}}]\n")
    redacted = log_redaction.redact(line)
    assert NAME not in redacted and HASH not in redacted
    assert "Key (shop_id, external_id)=(<redacted>) already exists" in redacted
    assert "[SQL: INSERT INTO customers" in redacted  # what failed stays readable
