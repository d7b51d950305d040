"""The program editor's preview: the spoken terms in each locale exactly as each assistant
would say them (the same explain speech the dialog answers, rendered by the same
renderers: SSML for Alexa, TTS markup and text for Alice, Dialogflow's text), and the
invite SMS and email a customer would get."""

from __future__ import annotations

from typing import Any

from core.assistants import ASSISTANTS
from core.messaging import rendering
from core.models import Program
from core.wording import N_
from voice.dialog.info import explain_speech
from voice.dialog.terms import terms_sentences
from voice.i18n import translator
from voice.platforms import module

LOCALES = ("en-US", "en-GB", "de-DE", "ru-RU")
SAMPLE_CODE, SAMPLE_DISPLAY = "ANNA4271", "ANNA-4271"


def preview(program: Program, *, shop_name: str, base_url: str) -> dict[str, Any]:
    """locale -> {blocks (what each assistant says, in order), alexa_ssml, alice_tts, …,
    sms, email_*}; an assistant that does not speak a locale has no key for it."""
    out: dict[str, Any] = {}
    for locale in LOCALES:
        t = translator(locale)
        speech = explain_speech(t, program)
        entry: dict[str, Any] = {"locale": locale, "blocks": []}
        for assistant in ASSISTANTS:  # each as voice/platforms/<name>/preview.py shows it
            if locale not in assistant.locales:
                entry["blocks"].append({"absent": N_("%(assistant)s has no %(locale)s locale.",
                                                          assistant=assistant.label,
                                                          locale=locale)})
                continue
            for block in module(assistant.name, "preview").blocks(speech):
                entry[block["key"]] = block["text"]
                entry["blocks"].append(block)
        message = rendering.render("invite_self", locale, {
            "code": SAMPLE_DISPLAY, "link": f"{base_url.rstrip('/')}/r/{SAMPLE_CODE}?c=sms",
            "qr_png": f"{base_url.rstrip('/')}/qr/{SAMPLE_CODE}.png", "shop_name": shop_name,
            "referrer_name": "Anna", "terms": terms_sentences(t, program)})
        entry.update(sms=message.sms, sms_segments=message.sms_segments,
                     sms_encoding=message.sms_encoding, email_subject=message.subject,
                     email_text=message.text, email_html=message.html)
        out[locale] = entry
    return out
