"""Validation of Chinese personal identifiers, with messages in the user's language."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: weights of the first 17 digits and the check character for each remainder.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(value: str) -> str:
    """Digits only, without +86: what we store and compare."""
    digits = "".join(ch for ch in (value or "") if ch.isdigit() or ch == "+")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits.lstrip("+")


def validate_mobile(value: str) -> str:
    """A mainland Chinese mobile number (phonenumbers' metadata); returns it normalised."""
    number = normalise_phone(value)
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if (
        parsed is None
        or not phonenumbers.is_valid_number(parsed)
        or phonenumbers.number_type(parsed) not in (phonenumbers.PhoneNumberType.MOBILE,)
        or len(number) != 11
    ):
        raise ValidationError(_("Enter a valid mobile phone number (11 digits)."), code="invalid_phone")
    return number


def id_number_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> str:
    """An 18-character resident ID with a correct GB 11643 check character; returns it upper-cased."""
    number = (value or "").strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("Enter an 18-character resident ID number."), code="invalid_id_number")
    if id_number_check_char(number[:17]) != number[17]:
        raise ValidationError(_("This ID number is not valid (check digit does not match)."), code="invalid_id_number")
    return number
