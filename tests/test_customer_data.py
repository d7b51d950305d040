"""A customer's own data through the shop API: the export holds every table that names
them (a test walks the models), and erasure leaves no personal value anywhere in the
database while the ledger's amounts stay under a tombstone id."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from core import privacy
from core.models import Base, Customer, LedgerEntry, Message, Suppression
from tests.support.customer_data import (
    EMAIL,
    EXTERNAL_ID,
    MCP_ACCESS,
    MCP_REFRESH,
    PHONE,
    Talk,
    seed_customer,
)
from tests.support.events import ShopBackend


@pytest.fixture
def auth(demo: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo['api_key']}"}


@pytest.fixture
def seeded(services, client, demo, clock) -> dict[str, Any]:
    return seed_customer(services, client, demo, clock)


def personal_values_left(database: Any, values: list[str]) -> list[tuple[str, str, str]]:
    """Every text and JSON column of every table, searched for every value (ignoring
    case; JSON read back as text with non-ASCII kept)."""
    found = []
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.type.python_type in (str, dict, list)]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = (value if isinstance(value, str)
                            else json.dumps(value, ensure_ascii=False)).lower()
                    found += [(table.name, column.name, v) for v in values
                              if v.lower() in text]
    return found


def _hashes(services: Any) -> list[str]:
    from core.models import Click, Referral

    with services.db.session() as session:
        return [h for h in session.scalars(select(Referral.ip_hash)).all()
                + session.scalars(select(Click.ip_hash)).all() if h]


def _customer(session: Any) -> Customer:
    return session.scalar(select(Customer).where(Customer.external_id == EXTERNAL_ID))


def test_every_table_is_either_exported_or_declared_to_hold_no_customer_data():
    tables = set(Base.metadata.tables)
    assert tables == set(privacy.EXPORTED) | privacy.HOLDS_NO_CUSTOMER_DATA
    assert not set(privacy.EXPORTED) & privacy.HOLDS_NO_CUSTOMER_DATA
    for name in privacy.HOLDS_NO_CUSTOMER_DATA:  # the allow-list cannot hide a customer FK
        referred = {fk.column.table.name for fk in Base.metadata.tables[name].foreign_keys}
        assert not referred & {"customers", "referral_codes", "referrals", "messages"}, name


def test_the_export_holds_a_row_of_every_table_that_names_the_customer(
        client, auth, services, seeded):
    with services.db.session() as session:
        privacy.request_erasure(session, services, _customer(session), source="voice")
    response = client.get(f"/api/v1/customers/{EXTERNAL_ID}/export", headers=auth)
    assert response.status_code == 200
    doc = response.get_json()
    empty = [f"{table} -> {key}" for table, key in privacy.EXPORTED.items()
             if not doc[key] and table != "customers"]
    assert empty == []
    # every row that points at the customer by a foreign key is in its section, by id
    with services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            fks = [fk.parent for fk in table.foreign_keys if fk.column.table.name == "customers"]
            for column in fks:
                ids = set(session.scalars(select(table.c.id).where(
                    column == seeded["customer_id"])).all())
                section = doc[privacy.EXPORTED[table.name]]
                rows = section if isinstance(section, list) else [
                    r for part in section.values() for r in part]
                assert ids <= {r["id"] for r in rows}, (table.name, column.name)
    assert doc["profile"] == {**doc["profile"], "id": EXTERNAL_ID, "email": EMAIL,
                              "phone": PHONE}
    assert {m["kind"] for m in doc["messages"]} >= {"pairing_code", "invite_self"}
    assert all(m["recipient"] and m["status"] and m["created_at"] for m in doc["messages"])
    assert doc["referrals"]["received"][0]["referrer"] == "alex"
    assert doc["referrals"]["made"][0]["friend"] == "zq-friend-1"
    assert doc["consents"]["evidence"], "the words that gave consent are exported"
    assert sum(e["amount"] for e in doc["ledger"]) > 0
    assert doc["opt_outs"][0]["channel"] == "sms"


def test_one_shop_cannot_export_or_erase_another_shops_customer(client, services, seeded):
    from core import credentials
    from core.models import Shop

    with services.db.session() as session:
        other = Shop(slug="other", name="Other", landing_url="https://other.example/")
        session.add(other)
        session.flush()
        key = credentials.rotate_api_key(session, other, services.clock)
    foreign = {"Authorization": f"Bearer {key}"}
    with services.db.session() as session:
        privacy.request_erasure(session, services, _customer(session), source="voice")
    assert client.get("/api/v1/erasure-requests", headers=foreign).get_json()["data"] == []
    assert client.get(f"/api/v1/customers/{EXTERNAL_ID}/export",
                      headers=foreign).status_code == 404
    assert client.delete(f"/api/v1/customers/{EXTERNAL_ID}", headers=foreign).status_code == 404
    assert client.get(f"/api/v1/customers/{EXTERNAL_ID}/export").status_code == 401
    assert client.delete(f"/api/v1/customers/{EXTERNAL_ID}",
                         headers={"Authorization": "Bearer rk_forged"}).status_code == 401


def test_an_unknown_or_overlong_customer_id_is_a_clear_4xx(client, auth):
    missing = client.get("/api/v1/customers/nobody/export", headers=auth)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "unknown_customer"
    assert client.delete("/api/v1/customers/nobody", headers=auth).status_code == 404
    assert client.delete("/api/v1/customers/" + "x" * 129, headers=auth).status_code == 422


def test_erasure_leaves_no_personal_value_anywhere_in_the_database(
        client, auth, services, database, seeded, demo, clock):
    values = seeded["values"] + _hashes(services)
    assert len(personal_values_left(database, values)) > 10  # the search finds them before
    with services.db.session() as session:
        ledger_before = session.scalar(select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.customer_id == seeded["customer_id"]))
    response = client.delete(f"/api/v1/customers/{EXTERNAL_ID}", headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "completed" and body["already_erased"] is False
    assert body["customer"].startswith("erased_")
    assert personal_values_left(database, values) == []
    # Alex, the referrer, is untouched: the search is not blind
    assert personal_values_left(database, ["alex@example.com"])
    with services.db.session() as session:
        tomb = session.get(Customer, seeded["customer_id"])
        assert tomb.external_id == body["customer"]
        assert session.scalar(select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.customer_id == tomb.id)) == ledger_before
        assert session.scalar(select(func.count(Suppression.id)).where(
            Suppression.reason == "erased")) >= 2
    assert client.get(f"/r/{seeded['code']}").status_code == 404
    assert client.get(f"/api/v1/customers/{EXTERNAL_ID}/export", headers=auth).status_code == 404


def test_erasure_is_idempotent_and_answers_the_same_request_again(client, auth, seeded):
    first = client.delete(f"/api/v1/customers/{EXTERNAL_ID}", headers=auth).get_json()
    again = client.delete(f"/api/v1/customers/{EXTERNAL_ID}", headers=auth)
    assert again.status_code == 200
    assert again.get_json() == {**first, "already_erased": True}
    listed = client.get("/api/v1/erasure-requests", headers=auth).get_json()["data"]
    assert [(r["status"], r["customer"]) for r in listed] == [("completed", first["customer"])]


def test_queued_messages_are_cancelled_and_the_address_is_never_messaged_again(
        client, auth, services, seeded, demo, clock):
    from core.messaging.worker import Worker

    queued = Talk(services, "ALICE-USER-ZOLTAN-QUIBBLEWORTH")
    clock.advance(days=1)
    queued.say("ShareProgram")  # a second invite, still in the outbox
    client.delete(f"/api/v1/customers/{EXTERNAL_ID}", headers=auth)
    with services.db.session() as session:
        statuses = session.scalars(select(Message.status).where(
            Message.customer_id == seeded["customer_id"])).all()
    assert "created" not in statuses and "suppressed" in statuses
    # the shop imports the same person again under a new id: nothing reaches them
    backend = ShopBackend(client, demo["webhook_secret"], clock)
    again = {"id": "zq-again", "email": EMAIL, "phone": PHONE}
    assert backend.send("customer.signup", id="evt_again", customer=again).status_code == 200
    with services.db.session() as session:
        again = session.scalar(select(Customer).where(Customer.external_id == "zq-again"))
        again.email_confirmed_at = again.phone_confirmed_at = clock()
        from core.messaging import outbox
        for channel, address in (("email", EMAIL), ("sms", PHONE)):
            outbox.enqueue(session, hash_key=services.settings.hash_key, shop_id=again.shop_id,
                           kind="invite_self", channel=channel, recipient=address,
                           idempotency_key=f"again:{channel}", customer_id=again.id)
    outcome = Worker(services, channels={}).run_once()
    assert (outcome.sent, outcome.suppressed) == (0, 2)


def test_a_customer_who_asks_by_voice_is_a_request_the_shop_sees_and_the_api_completes(
        client, auth, services, seeded):
    with services.db.session() as session:
        first = privacy.request_erasure(session, services, _customer(session), source="voice")
        second = privacy.request_erasure(session, services, _customer(session),
                                         source="voice")
    assert second.request_id == first.request_id and second.already
    pending = client.get("/api/v1/erasure-requests?status=requested", headers=auth).get_json()
    assert [(r["customer"], r["source"]) for r in pending["data"]] == [(EXTERNAL_ID, "voice")]
    done = client.delete(f"/api/v1/customers/{EXTERNAL_ID}", headers=auth).get_json()
    assert done["request"] == first.request_id and done["status"] == "completed"
    assert client.get("/api/v1/erasure-requests?status=requested",
                      headers=auth).get_json()["data"] == []
    assert client.get("/api/v1/erasure-requests?status=maybe", headers=auth).status_code == 422


def test_codes_of_other_customers_still_resolve_after_an_erasure(client, auth, seeded, demo):
    client.delete(f"/api/v1/customers/{EXTERNAL_ID}", headers=auth)
    assert client.get(f"/r/{demo['code']}").status_code in (301, 302, 303, 307)


def test_erasure_racing_a_share_by_the_same_customer_leaves_no_personal_data_and_no_error(
        client, auth, services, database, demo, clock):
    import threading

    from core.models import VoiceIdentity

    people = [(f"race-{n}", f"racer.{n}.quibble@example.org", f"RACE-VOICE-USER-{n}")
              for n in range(6)]
    for external_id, email, _ in people:
        client.put(f"/api/v1/customers/{external_id}", headers=auth,
                   json={"email": email, "name": f"Racer{external_id[-1]} Quibble"})
    with services.db.session() as session:
        for external_id, _, voice_user in people:
            customer = session.scalar(select(Customer).where(
                Customer.external_id == external_id))
            customer.email_confirmed_at = clock()
            session.add(VoiceIdentity(shop_id=customer.shop_id, assistant="alice",
                                      assistant_user_id=voice_user, customer_id=customer.id))
    errors: list[BaseException] = []

    def run(fn: Any) -> None:
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    def erase(external_id: str, start: threading.Barrier) -> None:
        start.wait()
        with services.db.session() as session:
            privacy.erase_customer(session, services, 1, external_id)

    def share(voice_user: str, start: threading.Barrier) -> None:
        start.wait()
        Talk(services, voice_user).say("ShareProgram")

    for external_id, _, voice_user in people:
        start = threading.Barrier(2)
        threads = [threading.Thread(target=run, args=(lambda e=external_id, b=start:
                                                      erase(e, b),)),
                   threading.Thread(target=run, args=(lambda v=voice_user, b=start:
                                                      share(v, b),))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    values = [v for external_id, email, voice_user in people
              for v in (external_id, email, voice_user, f"Racer{external_id[-1]}")]
    assert personal_values_left(database, values) == []


def test_another_process_that_cached_the_code_stops_resolving_it_within_its_ttl(
        client, auth, services, seeded):
    from core.errors import NotFound
    from core.referrals import CodeDirectory

    elsewhere = CodeDirectory(services, ttl=60)  # another worker process's cache
    now = [1000.0]
    elsewhere.timer = lambda: now[0]
    assert elsewhere.resolve_fast(seeded["code"]).code == seeded["code"]
    client.delete(f"/api/v1/customers/{EXTERNAL_ID}", headers=auth)
    assert elsewhere.resolve_fast(seeded["code"]).code == seeded["code"]  # still cached
    now[0] += 61
    with pytest.raises(NotFound):
        elsewhere.resolve_fast(seeded["code"])


def test_retention_clears_old_click_hashes_and_message_texts_in_batches(
        client, auth, services, database, seeded, clock):
    from core.messaging.channels.sandbox import SandboxChannel
    from core.messaging.worker import Worker
    from core.models import Click

    sandbox = SandboxChannel()
    assert Worker(services, channels=dict.fromkeys(("sms", "email"), sandbox)).run_once().sent
    assert client.get("/api/v1/retention", headers=auth).get_json() == {
        "clicks_days": 180, "message_bodies_days": 90}
    assert client.put("/api/v1/retention", headers=auth,
                      json={"clicks_days": 0}).status_code == 422
    assert client.put("/api/v1/retention", headers=auth,
                      json={"clicks_days": 30, "message_bodies_days": 60}).get_json() == {
        "clicks_days": 30, "message_bodies_days": 60}
    clock.advance(days=29)  # the seeded Salute dialog state is long idle: it goes
    assert privacy.prune(services, batch=1) == privacy.Pruned(0, 0, voice_sessions=1)
    clock.advance(days=2)  # the click and the messages are 31 days old
    assert privacy.prune(services, batch=1).clicks == 1
    with services.db.session() as session:
        [click] = session.scalars(select(Click)).all()
        assert (click.ip_hash, click.user_agent, click.channel) == (None, "", "sms")
        bodies = [m for m in session.scalars(select(Message)) if m.rendered]
    assert bodies  # 60 days not reached
    clock.advance(days=30)
    pruned = privacy.prune(services, batch=1)
    assert pruned.messages >= 2 and pruned.clicks == 0
    with services.db.session() as session:
        finished = session.scalars(select(Message).where(Message.status.in_(
            privacy.FINISHED))).all()
    assert finished and all(m.rendered == {} and m.context == {} for m in finished)
    assert privacy.prune(services) == privacy.Pruned(0, 0)


@pytest.mark.parametrize("locale, said, asked, yes, done", [
    ("en-US", "delete my data", "delete your data", "yes", "I've asked Demo Shop"),
    ("ru-RU", "удали мои данные", "удалить ваши данные", "да", "Я попросила Demo Shop"),
    ("de-DE", "lösche meine Daten", "Ihre Daten zu löschen", "ja", "Ich habe Demo Shop gebeten"),
])
def test_delete_my_data_by_voice_is_confirmed_then_a_request_the_api_completes(
        client, auth, services, seeded, locale, said, asked, yes, done):
    talk = Talk(services, "ALICE-USER-ZOLTAN-QUIBBLEWORTH", locale=locale)
    assert asked in talk.hear(said)
    assert client.get("/api/v1/erasure-requests", headers=auth).get_json()["data"] == []
    assert done in talk.say("Yes", yes)
    assert talk.reply is not None and talk.reply.end_session
    [pending] = client.get("/api/v1/erasure-requests?status=requested",
                           headers=auth).get_json()["data"]
    assert (pending["customer"], pending["source"]) == (EXTERNAL_ID, "voice")
    assert client.delete(f"/api/v1/customers/{EXTERNAL_ID}", headers=auth).status_code == 200
    # the speaker is nobody now: sharing asks to link the device again
    assert "link" in Talk(services, "ALICE-USER-ZOLTAN-QUIBBLEWORTH").hear(
        "share the referral program").lower()


def test_saying_no_to_delete_my_data_changes_nothing(client, auth, services, seeded):
    talk = Talk(services, "ALICE-USER-ZOLTAN-QUIBBLEWORTH")
    talk.hear("delete my data")
    assert "nothing was changed" in talk.say("No", "no")
    assert client.get("/api/v1/erasure-requests", headers=auth).get_json()["data"] == []


def test_a_speaker_known_only_by_voice_is_erased_at_once_when_they_confirm(
        client, auth, services, database, demo):
    from tests.support.customer_data import newest

    talk = Talk(services, "ALICE-VOICE-ONLY-PERSON")
    talk.say("LinkAccount")
    talk.say("ProvideContact", email="voice.only.person@example.org")
    talk.say("ProvideCode", pin=newest(services, "pairing_code").context["pairing_code"])
    assert personal_values_left(database, ["voice.only.person@example.org"])
    talk.hear("delete my data")
    assert "I've deleted your data" in talk.say("Yes", "yes")
    assert personal_values_left(database, ["voice.only.person@example.org",
                                           "ALICE-VOICE-ONLY-PERSON"]) == []
    [done] = client.get("/api/v1/erasure-requests", headers=auth).get_json()["data"]
    assert (done["status"], done["source"]) == ("completed", "voice")


def test_an_unlinked_speaker_asking_to_delete_data_is_told_whom_to_ask(services, demo):
    talk = Talk(services, demo["voice_users_unlinked"]["alice"])
    assert "isn't linked" in talk.hear("delete my data")


def test_erasure_ends_the_customers_mcp_sign_ins(client, auth, services, seeded):
    """Their Claude sign-in is in the export; erasure deletes its one-time code and ends its
    tokens (no refresh, and the access token is refused: its sign-in no longer exists),
    while the registered client, which names no one, stays."""
    from core import oauth_grants
    from core.models import OAuthClient, OAuthCode, Shop

    doc = client.get(f"/api/v1/customers/{EXTERNAL_ID}/export", headers=auth).get_json()
    assert {(r["kind"], r["host"]) for r in doc["mcp_sign_ins"]} == {
        ("authorization_code", "claude"), ("token", "claude")}
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        before = oauth_grants.check_access(session, services.clock(), token=MCP_ACCESS,
                                           shop=shop)
    assert before.grant is not None and before.grant.host == "claude"
    erased = client.delete(f"/api/v1/customers/{EXTERNAL_ID}", headers=auth).get_json()
    assert erased["erased"]["mcp_sign_ins"] == 2
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        after = oauth_grants.check_access(session, services.clock(), token=MCP_ACCESS,
                                          shop=shop)
        assert after.refusal == oauth_grants.Refusal.UNLINKED
        assert oauth_grants.by_refresh(session, services.clock(), MCP_REFRESH) is None
        assert session.scalar(select(func.count(OAuthCode.id))) == 0
        assert session.scalar(select(OAuthClient.name).where(OAuthClient.host == "claude"))
