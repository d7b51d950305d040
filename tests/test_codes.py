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
def test_every_single_digit_substitution_is_detected(name: str, data: st.DataObject) -> None:
    """A digit mistyped as another digit: always caught before any lookup. (The name's
    letters are not under the check any more: the digits identify the code and the name is
    matched however it was spelled, see test_code_resolution.)"""
    code = codes.generate(name)
    first_digit = len(codes.split(code).word)
    i = data.draw(st.integers(first_digit, len(code) - 1))
    alphabet = string.digits
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != code[i]]))
    typo = code[:i] + replacement + code[i + 1 :]
    with pytest.raises(codes.InvalidCode):
        codes.validate(typo)


@given(names, st.data())
@settings(max_examples=300)
def test_every_adjacent_transposition_of_a_digit_is_detected(name: str,
                                                               data: st.DataObject) -> None:
    code = codes.generate(name)
    i = data.draw(st.integers(max(0, len(codes.split(code).word) - 1), len(code) - 2))
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


def test_a_code_typed_as_heard_splits_into_a_name_in_latin_letters_and_the_digits() -> None:
    assert codes.heard("АЛЕКС 455-839") == codes.Heard("ALEKS", "455839")
    assert codes.heard(" aleks455839 ") == codes.Heard("ALEKS", "455839")
    assert codes.heard("455 839") == codes.Heard("", "455839")
    for junk in ("", "ALEX", "45583", "AL3X455839", "ALEX!455839", "x" * 50 + "455839"):
        with pytest.raises(codes.CodeShapeError):
            codes.heard(junk)


def test_codes_made_before_the_digits_carried_their_own_check_are_recognised() -> None:
    body = "ALEX4271"
    legacy = body + codes.check_digits(body)  # the old scheme: the check covers the name
    assert codes.checks_out(legacy) and not codes.digits_check_ok(codes.split(legacy).digits)
