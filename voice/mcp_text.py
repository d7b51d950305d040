"""Words for people on the MCP side: the sign-in page a customer sees when an assistant
(Alexa+, ChatGPT, Claude) links their account, and the short texts that go with each tool's
structured result. Here, under voice/, so `make i18n` extracts them with the dialog's."""

from __future__ import annotations

from voice.i18n import Translator


def sign_in_page(t: Translator, shop: str, host: str) -> dict[str, str]:
    """Every string of the sign-in page, in the customer's language."""
    return {
        "title": t._("Sign in to %(shop)s", shop=shop),
        "lead": t._("%(host)s asks to use your referral invite at %(shop)s: share it, send it "
                    "to friends, and tell you how many joined.", host=host, shop=shop),
        "contact_label": t._("Your phone number or email"),
        "contact_help": t._("We send a one-time code there to check it is yours."),
        "send": t._("Send the code"),
        "code_label": t._("The 6-digit code we sent"),
        "code_sent": t._("We sent a code to %(where)s. It is valid for 10 minutes."),
        "confirm": t._("Confirm and connect"),
        "bad_contact": t._("That doesn't look like a phone number or an email address."),
        "rate_limited": t._("Too many codes were asked for. Please try again in an hour."),
        "wrong": t._("That's not the code. Please check it and try again."),
        "expired": t._("That code has expired or was tried too often. Ask for a new one."),
        "start_over": t._("Ask for a new code"),
    }


def host_name(host: str) -> str:
    return {"alexa-plus": "Alexa+", "chatgpt": "ChatGPT", "claude": "Claude"}.get(
        host, "An assistant")


def channel_label(t: Translator, channel: str) -> str:
    return {"email": t._("email"), "sms": t._("text message"), "whatsapp": t._("WhatsApp"),
            "telegram": t._("Telegram")}.get(channel, channel)


def shared(t: Translator, code: str, link: str, status: str, channel: str) -> str:
    if status == "queued":
        return t._("Your code is %(code)s. The link %(link)s and the QR code are on their "
                   "way by %(channel)s.", code=code, link=link,
                   channel=channel_label(t, channel))
    if status == "already_sent":
        return t._("Your code is %(code)s, link %(link)s. It was already sent to you today.",
                   code=code, link=link)
    return t._("Your code is %(code)s, link %(link)s. Nothing was sent: there is no confirmed "
               "phone number or email for you.", code=code, link=link)


def friend_invited(t: Translator, status: str) -> str:
    return {
        "queued": t._("Done. Your invite is on its way to your friend."),
        "own_address": t._("That's your own address. To get your invite yourself, share the "
                           "referral program."),
        "recently_invited": t._("This friend already got an invite recently, so no second one "
                                "was sent."),
        "needs_contact": t._("A phone number or an email address of the friend is needed."),
    }.get(status, t._("Sorry, that invite can't be sent right now."))


def no_program(t: Translator, shop: str) -> str:
    return t._("%(shop)s has no referral program running right now.", shop=shop)


def status_text(t: Translator, joined: int, ordered: int) -> str:
    if joined == 0:
        return t._("No friends have joined with your code yet.")
    return " ".join(filter(None, (
        t.ngettext("%(num)s friend has joined with your code.",
                   "%(num)s friends have joined with your code.", joined),
        t.ngettext("%(num)s of them has placed an order.",
                   "%(num)s of them have placed an order.", ordered) if ordered else "")))


def reminder_set(t: Translator, status: str) -> str:
    if status == "no_channel":
        return t._("I can only send reminders to a confirmed phone number or email, and I "
                   "don't have one for you yet.")
    if status == "already":
        return t._("That reminder is already set.")
    return t._("Done. A weekly reminder to share your invite is set.")


def reminders_stopped(t: Translator, count: int) -> str:
    if count == 0:
        return t._("You have no reminders.")
    return t.ngettext("Okay, I turned off %(num)s reminder.",
                      "Okay, I turned off %(num)s reminders.", count)


def erase_question(t: Translator, shop: str) -> str:
    return t._("Shall I ask %(shop)s to delete your data? Your code will stop working and you "
               "won't get messages from us any more.", shop=shop)


def erased(t: Translator, shop: str, status: str, already: bool) -> str:
    if status == "completed":
        return t._("Done. I've deleted your data at %(shop)s. Goodbye!", shop=shop)
    if already:
        return t._("You have already asked. %(shop)s will complete it shortly.", shop=shop)
    return t._("Okay. I've asked %(shop)s to delete your data. They will complete it "
               "shortly.", shop=shop)


def sign_in_needed(t: Translator) -> str:
    return t._("Sign in first: link your account with this assistant to use your invite.")


def confirm_friend_first(t: Translator) -> str:
    return t._("Read the friend's address back to the customer and call again with "
               "customer_confirmed true once they said yes.")


def not_an_address(t: Translator) -> str:
    return t._("That doesn't look like a phone number or an email address.")


def stale_confirmation(t: Translator) -> str:
    return t._("That confirmation is not valid any more. Call delete_my_data again without "
               "one.")
