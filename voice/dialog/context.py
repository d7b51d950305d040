"""Everything a handler needs for one turn, loaded once: the shop, its active program, the
customer behind this voice user (if linked), the translator and the carried state."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.models import Customer, Program, Shop, VoiceIdentity
from core.services import Services
from voice.dialog.state import DialogState, dump_speech
from voice.i18n import Translator, translator
from voice.turn import Reply, Speech, Turn

# Dialogflow speaks for Google; the console and the CLI pass the platform they simulate.
ASSISTANT_OF_PLATFORM = {"dialogflow": "google", "google": "google", "alexa": "alexa",
                         "alice": "alice", "console": "console"}


@dataclass
class DialogContext:
    turn: Turn
    services: Services
    session: Session
    shop: Shop
    program: Program | None
    customer: Customer | None
    t: Translator
    state: DialogState

    @property
    def assistant(self) -> str:
        return ASSISTANT_OF_PLATFORM.get(self.turn.assistant, self.turn.assistant)

    @property
    def shop_name(self) -> str:
        return self.shop.name

    def _(self, message: str, **values: object) -> str:
        return self.t._(message, **values)

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        return self.t.ngettext(singular, plural, n, **values)

    def ask(self, speech: Speech, reprompt: Speech | None = None, **extra: object) -> Reply:
        """Keep the microphone open; the reprompt defaults to a short nudge."""
        reply = Reply(speech=speech, reprompt=reprompt or Speech.of(self._(
            "What would you like to do?")), end_session=False, **extra)  # type: ignore[arg-type]
        return self._finish(reply)

    def tell(self, speech: Speech, **extra: object) -> Reply:
        return self._finish(Reply(speech=speech, end_session=True, **extra))  # type: ignore[arg-type]

    def _finish(self, reply: Reply) -> Reply:
        reply.intent = reply.intent or self.turn.intent
        if reply.end_session:
            self.state.clear()
        self.state.last = dump_speech(reply.speech)
        reply.session = {**self.turn.session, **self.state.to_session()}
        return reply


SHOP_TTL_SECONDS = 5.0


def _shop_and_program(services: Services, session: Session,
                      slug: str) -> tuple[Shop, Program | None]:
    """Read from a per-process cache for a few seconds (every turn needs them, they change
    rarely); the objects are detached snapshots, never written through."""
    cache: dict[str, tuple[float, Shop, Program | None]] = services.extras.setdefault(
        "dialog_shop_cache", {})
    hit = cache.get(slug)
    now = time.monotonic()
    if hit is not None and now - hit[0] < SHOP_TTL_SECONDS:
        return hit[1], hit[2]
    row = session.execute(
        select(Shop, Program)
        .outerjoin(Program, and_(Program.shop_id == Shop.id, Program.active.is_(True)))
        .where(Shop.slug == slug)
    ).first()
    if row is None:
        raise NotFound(f"No shop {slug!r}.", code="unknown_shop")
    shop, program = row
    session.expunge(shop)
    if program is not None:
        session.expunge(program)
    cache[slug] = (now, shop, program)
    return shop, program


def load_context(turn: Turn, services: Services, session: Session) -> DialogContext:
    """The shop and its active program (cached briefly); an unknown shop is a NotFound."""
    shop, program = _shop_and_program(services, session, turn.shop_slug)
    return DialogContext(
        turn=turn,
        services=services,
        session=session,
        shop=shop,
        program=program,
        customer=customer_for(session, shop, turn),
        t=translator(turn.locale),
        state=DialogState.from_session(turn.session),
    )


def customer_for(session: Session, shop: Shop, turn: Turn) -> Customer | None:
    if not turn.voice_user_id:
        return None
    assistant = ASSISTANT_OF_PLATFORM.get(turn.assistant, turn.assistant)
    return session.scalar(
        select(Customer)
        .join(VoiceIdentity, VoiceIdentity.customer_id == Customer.id)
        .where(VoiceIdentity.shop_id == shop.id, VoiceIdentity.assistant == assistant,
               VoiceIdentity.assistant_user_id == turn.voice_user_id)
    )
