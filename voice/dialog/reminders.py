"""Flow 11: "remind me every Friday" -> a confirmed weekly reminder (the yes is kept as
consent evidence), "stop reminding me", "what reminders do I have"."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from babel.dates import format_time

from core import reminders
from core.messaging import outbox
from core.models import Customer
from voice.dialog.context import DialogContext
from voice.dialog.state import AWAIT_REMINDER_CONFIRM, AWAIT_REMINDER_DAY
from voice.nlu.weekdays import weekday_in
from voice.turn import DeviceReminderStatus, Reply, Speech


def weekday_from(text: str, locale: str) -> int | None:
    """The weekday said in a slot value or an utterance (voice.nlu.weekdays)."""
    return weekday_in(text, locale)


def when(ctx: DialogContext, weekday: int) -> str:
    names = (ctx._("every Monday"), ctx._("every Tuesday"), ctx._("every Wednesday"),
             ctx._("every Thursday"), ctx._("every Friday"), ctx._("every Saturday"),
             ctx._("every Sunday"))
    return names[weekday]


def clock_time(ctx: DialogContext, local_time: str) -> str:
    hour, minute = (int(p) for p in local_time.split(":"))
    return format_time(time(hour, minute), format="short", locale=ctx.t.babel_locale)


def channel_name(ctx: DialogContext, channel: str) -> str:
    return {"email": ctx._("email"), "sms": ctx._("text message"),
            "whatsapp": ctx._("WhatsApp"), "telegram": ctx._("Telegram")}.get(channel, channel)


def no_channel(ctx: DialogContext) -> Reply:
    return ctx.ask(Speech.of(ctx._("I can only send reminders to a confirmed phone number or "
                                   "email, and I don't have one for you yet.")))


def set_reminder(ctx: DialogContext, customer: Customer) -> Reply:
    weekday = weekday_from(ctx.turn.slots.get("weekday", ""), ctx.turn.locale)
    if weekday is None:
        weekday = weekday_from(ctx.turn.utterance, ctx.turn.locale)
    found = outbox.choose_channel(customer, ctx.services.settings)
    if found is None:
        return no_channel(ctx)
    if weekday is None:
        ctx.state.awaiting = AWAIT_REMINDER_DAY
        ctx.state.heard = ctx.turn.utterance[:500]
        question = ctx._("On which day of the week should I remind you?")
        return ctx.ask(Speech.of(question), Speech.of(question), elicit_slot="weekday")
    return _confirm(ctx, weekday, found[0])


def day_heard(ctx: DialogContext, customer: Customer) -> Reply:
    weekday = weekday_from(ctx.turn.slots.get("weekday", "") or ctx.turn.utterance,
                           ctx.turn.locale)
    found = outbox.choose_channel(customer, ctx.services.settings)
    if found is None:
        return no_channel(ctx)
    if weekday is None:
        ctx.state.awaiting = AWAIT_REMINDER_DAY
        question = ctx._("Please say a day of the week, for example Friday.")
        return ctx.ask(Speech.of(question), Speech.of(question), elicit_slot="weekday")
    return _confirm(ctx, weekday, found[0])


def _confirm(ctx: DialogContext, weekday: int, channel: str) -> Reply:
    ctx.state.awaiting = AWAIT_REMINDER_CONFIRM
    ctx.state.pending = {"weekday": str(weekday), "asked": (ctx.state.heard
                                                              or ctx.turn.utterance)[:500]}
    question = ctx._("Shall I remind you %(when)s at %(time)s to share the %(shop)s program? "
                     "It comes by %(channel)s.", when=when(ctx, weekday),
                     time=clock_time(ctx, reminders.DEFAULT_TIME), shop=ctx.shop.name,
                     channel=channel_name(ctx, channel))
    return ctx.ask(Speech.of(question), Speech.of(ctx._("Please say yes or no.")))


def confirmed(ctx: DialogContext, customer: Customer) -> Reply:
    weekday = int(ctx.state.pending.get("weekday", "4"))
    evidence = {"assistant": ctx.assistant, "locale": ctx.turn.locale,
                "at": ctx.services.clock().isoformat(),
                "asked": ctx.state.pending.get("asked", ""),
                "confirmed": ctx.turn.utterance or ctx.turn.intent}
    outcome = reminders.set_weekly(ctx.session, ctx.services, ctx.shop, customer,
                                   weekday=weekday, evidence=evidence)
    ctx.state.clear()
    if outcome.status == reminders.ReminderSetStatus.NO_CHANNEL:
        return no_channel(ctx)
    text = ctx._("Done. I'll remind you %(when)s at %(time)s. To stop, say: stop reminding me.",
                 when=when(ctx, outcome.weekday), time=clock_time(ctx, outcome.local_time))
    speech = Speech.of(text)
    permissions: tuple[str, ...] = ()
    device = ctx.turn.capabilities.device_reminders
    if device is not None and outcome.reminder_id is not None:
        now = ctx.services.clock()
        first = reminders.next_run(outcome.weekday, outcome.local_time, outcome.timezone, now)
        created = device.create(
            weekday=outcome.weekday, local_time=outcome.local_time, timezone=outcome.timezone,
            locale=ctx.turn.locale, first=first.astimezone(ZoneInfo(outcome.timezone)),
            now=now, text=ctx._("Time to share your %(shop)s invite with a friend.",
                                shop=ctx.shop.name))
        if created.status == DeviceReminderStatus.CREATED and created.token:
            reminders.attach_alexa_alert(ctx.session, outcome.reminder_id, created.token)
            speech += Speech.of(ctx._("It's on your Alexa reminders too."))
        elif created.status == DeviceReminderStatus.NO_PERMISSION:
            speech += Speech.of(ctx._("To hear it on your Alexa as well, allow reminders for "
                                      "this skill in the Alexa app; I've sent a card."))
            permissions = (device.permission,)
    return ctx.ask(speech, ask_permissions=permissions)


def declined(ctx: DialogContext) -> Reply:
    ctx.state.clear()
    return ctx.ask(Speech.of(ctx._("Okay, no reminder.")))


def stop_reminders(ctx: DialogContext, customer: Customer) -> Reply:
    evidence = {"assistant": ctx.assistant, "locale": ctx.turn.locale,
                "at": ctx.services.clock().isoformat(), "said": ctx.turn.utterance}
    stopped = reminders.stop_all(ctx.session, ctx.services, customer, evidence)
    device = ctx.turn.capabilities.device_reminders
    for reminder in stopped:
        if device is not None and reminder.alexa_alert_token:
            device.delete(reminder.alexa_alert_token)
    if not stopped:
        return ctx.ask(Speech.of(ctx._("You have no reminders.")))
    return ctx.ask(Speech.of(ctx.ngettext("Okay, I turned off %(num)s reminder.",
                                          "Okay, I turned off %(num)s reminders.",
                                          len(stopped))))


def list_reminders(ctx: DialogContext, customer: Customer) -> Reply:
    rows = reminders.active(ctx.session, customer.id)
    if not rows:
        return ctx.ask(Speech.of(ctx._("You have no reminders. To set one, say: remind me "
                                       "every Friday.")))
    slots = ", ".join(ctx._("%(when)s at %(time)s", when=when(ctx, r.weekday),
                            time=clock_time(ctx, r.local_time)) for r in rows)
    return ctx.ask(Speech.of(ctx.ngettext("You have %(num)s reminder: %(slots)s.",
                                          "You have %(num)s reminders: %(slots)s.",
                                          len(rows), slots=slots)))
