"""Whatever a shop or a customer is called, what reaches a speaker is well-formed markup
that says the name instead of interpreting it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from voice.speech import ALEXA_MAX_SPEECH, alice_safe, to_alice_tts, to_ssml, truncate
from voice.turn import Digits, Pause, Speech, Spell

names = st.text(min_size=0, max_size=200)


@given(shop=names, customer=names)
def test_any_shop_or_customer_name_yields_ssml_that_parses_as_xml(shop: str, customer: str):
    speech = Speech.of(f"Welcome to {shop}.", Pause(), f"Hi {customer}!", Spell(customer[:20]),
                       Digits(("123", "456")))
    root = ET.fromstring(to_ssml(speech))
    assert root.tag == "speak"
    assert {el.tag for el in root.iter()} <= {"speak", "say-as", "break"}


def test_a_name_full_of_markup_is_spoken_not_interpreted():
    ssml = to_ssml(Speech.of('AT&T <3 "quoted" \'single\' </speak><audio src="x"/>'))
    root = ET.fromstring(ssml)
    assert [el.tag for el in root.iter()] == ["speak"]
    assert root.text == 'AT&T <3 "quoted" \'single\' </speak><audio src="x"/>'


def test_code_digits_are_read_one_by_one_in_groups():
    root = ET.fromstring(to_ssml(Speech.of("Your code is Alex,", Digits(("092", "477")))))
    says = [el for el in root.iter("say-as")]
    assert [(el.get("interpret-as"), el.text) for el in says] == [("digits", "092"),
                                                                  ("digits", "477")]


def test_speech_longer_than_alexas_limit_is_cut_at_a_segment_boundary():
    speech = Speech.of(*["A sentence that repeats. " * 10 for _ in range(100)])
    ssml = to_ssml(speech)
    assert len(ssml) <= ALEXA_MAX_SPEECH
    ET.fromstring(ssml)


@given(name=names)
def test_alice_tts_never_carries_her_markup_from_untrusted_text(name: str):
    tts = to_alice_tts(Speech.of(f"Магазин {name}"))
    assert not set("+<>[]*^#@\\|{}") & set(tts)
    assert len(tts) <= 1024


def test_alice_pauses_use_her_own_markup():
    assert to_alice_tts(Speech.of("Раз", Pause(500), "два")) == "Раз sil <[500]> два"
    assert alice_safe("AT&T <3 +1") == "AT&T 3 1"


def test_truncate_cuts_on_a_word_boundary_with_an_ellipsis():
    assert truncate("one two three four", 10) == "one two…"
    assert truncate("short", 10) == "short"
