""""Delete my data": asked, confirmed, then recorded as an erasure request the shop sees
(and completes through its API). A speaker we cannot link to a customer has nothing here
to delete, and is told whom to ask."""

from __future__ import annotations

from core import privacy
from voice.dialog.context import DialogContext
from voice.dialog.state import AWAIT_ERASE_CONFIRM
from voice.turn import Reply, Speech


def delete_my_data(ctx: DialogContext) -> Reply:
    if ctx.customer is None:
        return ctx.ask(Speech.of(ctx._("This device isn't linked to an account at %(shop)s, "
                                       "so I hold no data about you here. For your account "
                                       "data, please contact %(shop)s.", shop=ctx.shop.name)))
    ctx.state.awaiting = AWAIT_ERASE_CONFIRM
    question = ctx._("Shall I ask %(shop)s to delete your data? Your code will stop working "
                     "and you won't get messages from us any more.", shop=ctx.shop.name)
    return ctx.ask(Speech.of(question), Speech.of(ctx._("Please say yes or no.")))


def confirmed(ctx: DialogContext) -> Reply:
    ctx.state.clear()
    assert ctx.customer is not None
    outcome = privacy.request_erasure(ctx.session, ctx.services, ctx.customer, source="voice")
    if outcome.status == privacy.ErasureStatus.COMPLETED:
        text = ctx._("Done. I've deleted your data at %(shop)s. Goodbye!", shop=ctx.shop.name)
    elif outcome.already:
        text = ctx._("You have already asked. %(shop)s will complete it shortly.",
                     shop=ctx.shop.name)
    else:
        text = ctx._("Okay. I've asked %(shop)s to delete your data. They will complete it "
                     "shortly.", shop=ctx.shop.name)
    return ctx.tell(Speech.of(text))


def declined(ctx: DialogContext) -> Reply:
    ctx.state.clear()
    return ctx.ask(Speech.of(ctx._("Okay, nothing was changed.")))
