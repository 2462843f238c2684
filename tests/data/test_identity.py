"""Identity at rest: the keyed person key, AES-GCM encryption of the number, masking."""

from __future__ import annotations

import base64
from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui import idcard
from puhui.data.identity import (
    PersonKeyer,
    Vault,
    parse_encryption_key,
    parse_hash_key,
)
from puhui.errors import Conflict, ValidationError
from puhui.logs import redact
from tests.county import ENCRYPTION_KEY, HASH_KEY

NUMBER = "11010519491231002X"


@st.composite
def numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(["370982", "370911", "110105", "440524"]))
    birth = draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2005, 12, 31)))
    body = f"{region}{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + idcard.check_char(body)


@given(numbers(), st.binary(min_size=32, max_size=64), st.binary(min_size=32, max_size=64))
def test_person_key_is_stable_for_a_key_and_differs_across_keys(number, key_a, key_b):
    a1, a2 = PersonKeyer(key_a).person_key(number), PersonKeyer(key_a).person_key(number)
    assert a1 == a2
    assert len(a1) == 64
    assert number not in a1
    if key_a != key_b:
        assert PersonKeyer(key_b).person_key(number) != a1


def test_person_key_ignores_how_the_number_was_typed():
    keyer = PersonKeyer(HASH_KEY)
    assert keyer.person_key(" 11010519491231002x ") == keyer.person_key(NUMBER)


def test_person_keys_of_a_column_hash_each_number_once_and_keep_the_index():
    keyer = PersonKeyer(HASH_KEY)
    column = pd.Series([NUMBER, "440524188001010014", NUMBER], index=[7, 8, 9])
    keys = keyer.person_keys(column)
    assert list(keys.index) == [7, 8, 9]
    assert keys[7] == keys[9] == keyer.person_key(NUMBER)
    assert keys[8] != keys[7]


@given(numbers())
def test_encryption_round_trips_with_the_right_key(number):
    vault = Vault(ENCRYPTION_KEY)
    token = vault.encrypt(number, person_key="k" * 64)
    assert number not in token
    assert vault.decrypt(token, person_key="k" * 64) == number


def test_each_encryption_uses_a_fresh_nonce():
    vault = Vault(ENCRYPTION_KEY)
    assert vault.encrypt(NUMBER, person_key="p") != vault.encrypt(NUMBER, person_key="p")


def test_a_wrong_key_fails_clearly():
    token = Vault(ENCRYPTION_KEY).encrypt(NUMBER, person_key="p")
    with pytest.raises(Conflict) as caught:
        Vault(bytes(32)).decrypt(token, person_key="p")
    assert caught.value.code == "ENCRYPTION_KEY_MISMATCH"
    assert NUMBER not in str(caught.value)


def test_a_ciphertext_moved_to_another_person_or_altered_does_not_decrypt():
    vault = Vault(ENCRYPTION_KEY)
    token = vault.encrypt(NUMBER, person_key="alice")
    with pytest.raises(Conflict) as moved:
        vault.decrypt(token, person_key="bob")
    assert moved.value.code == "DECRYPTION_FAILED"
    version, key_id, body = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    altered = f"{version}.{key_id}.{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(Conflict) as tampered:
        vault.decrypt(altered, person_key="alice")
    assert tampered.value.code == "DECRYPTION_FAILED"


@pytest.mark.parametrize(
    "text", ["", "short", "not base64 !!", base64.b64encode(b"x" * 16).decode()]
)
def test_an_encryption_key_must_be_32_bytes_of_base64(text):
    with pytest.raises(ValidationError) as caught:
        parse_encryption_key(text)
    assert caught.value.code == "ENCRYPTION_KEY_INVALID"


def test_a_person_key_key_must_be_long_enough():
    with pytest.raises(ValidationError) as caught:
        parse_hash_key("too-short")
    assert caught.value.code == "ID_HASH_KEY_INVALID"
    assert parse_hash_key("x" * 32) == b"x" * 32


def test_redact_masks_anything_shaped_like_an_identity_number():
    text = f"row {NUMBER} and 370982198503274139, not 12345678901234567890"
    shown = redact(text)
    assert NUMBER not in shown
    assert "370982198503274139" not in shown
    assert "1101**********002X" in shown
    assert "12345678901234567890" in shown
