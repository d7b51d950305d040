"""The program editor's preview: the spoken terms in each locale exactly as each assistant
would say them (the same explain speech the dialog answers, rendered by the same
renderers: SSML for Alexa, TTS markup and text for Alice, Dialogflow's text), and the
invite SMS and email a customer would get."""

from __future__ import annotations

from typing import Any

from core.assistants import ASSISTANTS
from core.messaging import rendering
from core.models import Program
from voice.dialog.info import explain_speech
from voice.dialog.terms import terms_sentences
from voice.i18n import translator
from voice.platforms.dialogflow.adapter import ES_MAX_TEXT
from voice.speech import ALICE_MAX_TEXT, to_alice_tts, to_ssml, truncate

ASSISTANT_LOCALES = {a.name: a.locales for a in ASSISTANTS}
LOCALES = ("en-US", "en-GB", "de-DE", "ru-RU")
SAMPLE_CODE, SAMPLE_DISPLAY = "ANNA4271", "ANNA-4271"


def preview(program: Program, *, shop_name: str, base_url: str) -> dict[str, Any]:
    """locale -> {alexa_ssml, alice_tts, alice_text, dialogflow_text, sms, email_*}; an
    assistant that does not speak a locale has no entry for it."""
    out: dict[str, Any] = {}
    for locale in LOCALES:
        t = translator(locale)
        speech = explain_speech(t, program)
        entry: dict[str, Any] = {"locale": locale}
        if locale in ASSISTANT_LOCALES["alexa"]:
            entry["alexa_ssml"] = to_ssml(speech)
        if locale in ASSISTANT_LOCALES["alice"]:
            entry["alice_tts"] = to_alice_tts(speech)
            entry["alice_text"] = truncate(speech.to_plain().replace("\xa0", " "),
                                           ALICE_MAX_TEXT) or "…"
        entry["dialogflow_text"] = truncate(speech.to_plain().replace("\xa0", " "),
                                            ES_MAX_TEXT)
        message = rendering.render("invite_self", locale, {
            "code": SAMPLE_DISPLAY, "link": f"{base_url.rstrip('/')}/r/{SAMPLE_CODE}?c=sms",
            "qr_png": f"{base_url.rstrip('/')}/qr/{SAMPLE_CODE}.png", "shop_name": shop_name,
            "referrer_name": "Anna", "terms": terms_sentences(t, program)})
        entry.update(sms=message.sms, sms_segments=message.sms_segments,
                     sms_encoding=message.sms_encoding, email_subject=message.subject,
                     email_text=message.text, email_html=message.html)
        out[locale] = entry
    return out
