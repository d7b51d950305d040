"""Everything a handler needs for one turn, loaded once: the shop, its active program, the
customer behind this voice user (if linked), the translator and the carried state."""

from __future__ import annotations

from dataclasses import dataclass

from core.assistants import speaker_of
from core.db import UnitOfWork
from core.models import Customer, Program, Shop
from core.services import Services
from core.speakers import Speaker, speaker
from voice.dialog.state import DialogState, dump_speech
from voice.i18n import Translator, translator
from voice.turn import Reply, Speech, Turn

ShopSnapshot = tuple[Shop, Program | None]


@dataclass
class DialogContext:
    turn: Turn
    services: Services
    session: UnitOfWork
    shop: Shop
    program: Program | None
    customer: Customer | None
    t: Translator
    state: DialogState
    speaker: Speaker | None = None  # what was read with the customer (their code, ...)

    @property
    def assistant(self) -> str:
        return speaker_of(self.turn.assistant)

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


def load_context(turn: Turn, services: Services, session: UnitOfWork,
                 snapshot: ShopSnapshot | None = None) -> DialogContext:
    """The shop and its active program (`snapshot`, or read from the short cache); an
    unknown shop is a NotFound. The customer, their code and the shop's share webhooks in
    one statement (core.speakers)."""
    shop, program = snapshot or services.shops.get(session, turn.shop_slug)
    assistant = speaker_of(turn.assistant)
    found = speaker(session, shop.id, assistant, turn.voice_user_id)
    return DialogContext(
        turn=turn,
        services=services,
        session=session,
        shop=shop,
        program=program,
        customer=found.customer if found is not None else None,
        t=translator(turn.locale),
        state=DialogState.from_session(turn.session),
        speaker=found,
    )
