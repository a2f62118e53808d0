"""core.validators: phone and ID numbers as people type them, stored one way."""

import pytest
from django.core.exceptions import ValidationError

from core.validators import id_number_check_char, normalise_phone, validate_id_number, validate_mobile

ID_17 = "36010319900101123"
VALID_ID = ID_17 + id_number_check_char(ID_17)


@pytest.mark.parametrize(
    "typed",
    [
        "13700137000",
        "１３７００１３７０００",  # full-width digits, as a Chinese input method types them
        "１３７ ００１３ ７０００",
        "１３７　００１３　７０００",  # ideographic spaces
        "137-0013-7000",
        "１３７－００１３－７０００",
        "+86 137 0013 7000",
        "＋８６１３７００１３７０００",
        "0086 13700137000",
        "١٣٧٠٠١٣٧٠٠٠",  # Arabic-Indic digits: decimal digits all the same
    ],
)
def test_a_phone_typed_any_way_is_stored_as_ascii_digits(typed):
    assert normalise_phone(typed) == "13700137000"
    assert validate_mobile(typed) == "13700137000"


def test_what_is_not_a_digit_is_dropped():
    assert normalise_phone("tel: 137 abc") == "137"
    assert normalise_phone("") == ""
    with pytest.raises(ValidationError):
        validate_mobile("１３７")


def test_an_id_number_in_full_width_is_stored_in_ascii():
    full_width = VALID_ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert full_width != VALID_ID
    assert validate_id_number(full_width) == VALID_ID
    assert validate_id_number(" " + VALID_ID.lower() + " ") == VALID_ID


def test_an_id_number_with_other_digits_is_refused_not_stored():
    with pytest.raises(ValidationError):
        validate_id_number(VALID_ID[:-1] + "٣")
