"""Specification of the resident identity number (GB 11643-1999) helpers."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui import idcard
from puhui.errors import ValidationError
from puhui.idcard import Gender

AS_OF = date(2024, 6, 30)


def _make(region: str, birth: date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + idcard.check_char(body)


regions = st.sampled_from(["370982", "370902", "110105", "440524", "650102", "810000"])
births = st.dates(min_value=date(1900, 1, 1), max_value=AS_OF)
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    return _make(draw(regions), draw(births), draw(sequences))


def test_check_char_of_the_standard_example_is_x():
    assert idcard.check_char("11010519491231002") == "X"
    assert idcard.check_char("44052418800101001") == "4"


def test_weights_are_powers_of_two_mod_11():
    assert idcard.WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def test_known_numbers_validate():
    parsed = idcard.validate("11010519491231002X", as_of=AS_OF)
    assert parsed.region_code == "110105"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender is Gender.FEMALE
    # The other textbook example is valid by checksum but born in 1880, before our floor.
    with pytest.raises(ValidationError) as err:
        idcard.validate("440524188001010014", as_of=AS_OF)
    assert err.value.code == "ID_BIRTH_DATE"


@given(valid_numbers())
def test_every_built_number_validates_and_round_trips(number):
    parsed = idcard.validate(number, as_of=AS_OF)
    assert parsed.number == number
    assert parsed.birth_date == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert (parsed.gender is Gender.MALE) == (int(number[16]) % 2 == 1)
    assert idcard.birth_date(number, as_of=AS_OF) == parsed.birth_date
    assert idcard.gender(number, as_of=AS_OF) == parsed.gender


@given(valid_numbers())
def test_lower_case_x_and_spaces_are_normalised(number):
    typed = f"  {number.lower()} "
    assert idcard.validate(typed, as_of=AS_OF).number == number


@given(valid_numbers(), st.integers(min_value=0, max_value=17), st.integers(1, 9))
def test_any_single_digit_change_is_caught(number, position, delta):
    """MOD 11-2 detects every single-character substitution."""
    chars = list(number)
    if position == 17:
        values = "0123456789X"
        chars[17] = values[(values.index(chars[17]) + delta) % 11]
    else:
        chars[position] = str((int(chars[position]) + delta) % 10)
    changed = "".join(chars)
    with pytest.raises(ValidationError) as err:
        idcard.validate(changed, as_of=AS_OF)
    assert err.value.code in {"ID_CHECKSUM", "ID_BIRTH_DATE", "ID_REGION"}


@given(valid_numbers(), st.integers(min_value=0, max_value=16))
def test_adjacent_transposition_is_caught(number, position):
    chars = list(number)
    if chars[position] == chars[position + 1] or position + 1 == 17:
        return
    chars[position], chars[position + 1] = chars[position + 1], chars[position]
    assert not idcard.is_valid("".join(chars), as_of=AS_OF)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "ID_FORMAT"),
        ("11010519491231002", "ID_FORMAT"),
        ("11010519491231002XX", "ID_FORMAT"),
        ("1101051949123100ZX", "ID_FORMAT"),
        ("11010519491231002Y", "ID_FORMAT"),
        ("１１０１０５１９４９１２３１００２X", "ID_FORMAT"),  # full-width digits
        ("990105194912310021", "ID_REGION"),
        ("110105194902300021", "ID_BIRTH_DATE"),  # 30 February
        ("110105189912310021", "ID_BIRTH_DATE"),  # before 1900
        ("110105194912310021", "ID_CHECKSUM"),
    ],
)
def test_bad_numbers_get_their_code(raw, code):
    with pytest.raises(ValidationError) as err:
        idcard.validate(raw, as_of=AS_OF)
    assert err.value.code == code
    assert err.value.message_zh
    assert err.value.message_en


def test_birth_date_after_as_of_is_refused():
    tomorrow = AS_OF + timedelta(days=1)
    number = _make("370982", tomorrow, 123)
    with pytest.raises(ValidationError) as err:
        idcard.validate(number, as_of=AS_OF)
    assert err.value.code == "ID_BIRTH_DATE"
    assert idcard.validate(number, as_of=tomorrow).birth_date == tomorrow


@given(valid_numbers())
def test_error_messages_never_contain_the_full_number(number):
    broken = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError) as err:
        idcard.validate(broken, as_of=AS_OF)
    for text in (err.value.message_zh, err.value.message_en, str(err.value)):
        assert broken not in text
        assert broken[4:14] not in text


def test_mask_shows_first_four_and_last_four():
    assert idcard.mask("370982199001011234") == "3709**********1234"
    assert idcard.validate("11010519491231002X", as_of=AS_OF).masked == "1101**********002X"


@given(st.text(max_size=40))
def test_mask_never_reveals_more_than_eight_characters(raw):
    masked = idcard.mask(raw)
    shown = sum(1 for c in masked if c != "*")
    assert shown <= 8
    stripped = raw.strip()
    assert len(masked) == len(stripped)
    if len(stripped) < 12:
        assert shown == 0


@given(st.lists(valid_numbers(), min_size=1, max_size=30))
def test_vectorised_check_values_match_the_scalar_rule(numbers):
    digits = np.array([[int(c) for c in n[:17]] for n in numbers], dtype=np.int8)
    values = idcard.check_values(digits)
    assert ["0123456789X"[v] for v in values] == [n[17] for n in numbers]


def test_vectorised_check_values_refuse_wrong_shape():
    with pytest.raises(ValidationError) as err:
        idcard.check_values(np.zeros((3, 16), dtype=np.int8))
    assert err.value.code == "ID_FORMAT"


def test_check_char_refuses_non_digits():
    with pytest.raises(ValidationError):
        idcard.check_char("1101051949123100A")


def test_gender_labels():
    assert Gender.MALE.label_zh == "男"
    assert Gender.FEMALE.label_zh == "女"
