"""Referral codes: speakable, typeable, and a typo never reaches the database."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import codes

names = st.one_of(
    st.sampled_from(["Anna", "Alex", "Алиса", "Zoë", "José María", "李", "O'Brien", "", "  "]),
    st.text(min_size=0, max_size=20),
)


@given(names)
def test_every_generated_code_passes_its_own_check(name: str) -> None:
    code = codes.generate(name)
    assert codes.validate(code) == code
    assert codes.validate(codes.display(code).lower()) == code


@given(names, st.data())
@settings(max_examples=300)
def test_every_single_character_substitution_is_detected(name: str, data: st.DataObject) -> None:
    """A letter mistyped as another letter, or a digit as another digit: always caught. (A
    letter typed as a digit changes the code's length in MOD 97 terms; that is caught 96
    times in 97, which the shape check and the lookup then cover.)"""
    code = codes.generate(name)
    i = data.draw(st.integers(0, len(code) - 1))
    alphabet = string.digits if code[i].isdigit() else string.ascii_uppercase
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != code[i]]))
    typo = code[:i] + replacement + code[i + 1 :]
    with pytest.raises(codes.InvalidCode):
        codes.validate(typo)


@given(names, st.data())
@settings(max_examples=300)
def test_every_adjacent_transposition_is_detected(name: str, data: st.DataObject) -> None:
    code = codes.generate(name)
    i = data.draw(st.integers(0, len(code) - 2))
    if code[i] == code[i + 1]:
        return  # swapping equal characters is no error
    typo = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    with pytest.raises(codes.InvalidCode):
        codes.validate(typo)


def test_a_name_becomes_a_spoken_word_and_non_latin_names_are_transliterated() -> None:
    assert codes.generate("Anna Smith").startswith("ANNA")
    assert codes.generate("Алиса").startswith("ALISA")
    assert codes.split(codes.generate("Anna")).digits.isdigit()


def test_a_customer_without_a_usable_name_gets_a_digits_only_code() -> None:
    code = codes.generate("")
    assert code.isdigit() and len(code) == codes.DIGITS_ONLY_RANDOM + 2
    assert codes.generate("X").isdigit()


def test_lookup_ignores_case_spaces_and_dashes() -> None:
    code = codes.generate("Anna")
    messy = " " + "-".join(code.lower()) + " "
    assert codes.validate(messy) == code


def test_digits_are_read_in_groups() -> None:
    assert codes.split("ANNA427183").digit_groups == ["427", "183"]
    assert codes.split("42718318").digit_groups == ["4271", "8318"]


def test_something_that_is_not_a_code_is_refused_before_the_checksum() -> None:
    with pytest.raises(codes.CodeShapeError):
        codes.validate("hello world")
    with pytest.raises(codes.CodeShapeError):
        codes.validate("ANN4A27183")
