"""A linked customer's share turn reads once (customer, code and the shop's share webhooks
together) and writes twice (the outbox message, the share), on both databases; every
commit waits for the WAL flush (a share the customer was told about is never lost)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from core.db import Database
from core.services import Services
from tests.test_alexa_conversations import alexa  # noqa: F401 (the fixture)


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "assistant_status" not in statement:  # the connect page's status flusher
            seen.append(" ".join(statement.split()))

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def test_a_share_turn_reads_once_and_writes_the_message_and_the_share(
        alexa, services: Services):  # noqa: F811
    talk = alexa()
    talk.say("ShareProgram")
    with statements(services.db) as seen:
        talk.say("ShareProgram", channel="e-mail")  # another channel: a new message
    assert "I've sent your link and QR code to" in talk.speech
    assert [s.split(" (")[0].split(" FROM")[0][:20] for s in seen] == [
        "SELECT customers.sho", "INSERT INTO messages", "INSERT INTO shares"]


def test_a_friend_invite_commit_waits_for_the_flush(alexa, services: Services):  # noqa: F811
    talk = alexa()
    talk.say("SendInvite", phone="5555550123")
    with statements(services.db) as seen:
        talk.say("AMAZON.YesIntent")
    assert "on its way" in talk.speech
    assert not any("synchronous_commit" in s for s in seen)
