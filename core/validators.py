"""Validation of Chinese personal identifiers, with messages in the user's language."""

import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: weights of the first 17 digits and the check character for each remainder.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(value: str) -> str:
    """ASCII digits only, without +86: what we store and compare.

    Chinese input methods often type full-width digits (１３７…), which `str.isdigit`
    accepts and phonenumbers reads as digits: kept as they were, the stored number
    never matched the same number typed in ASCII. NFKC folds them (and ＋, full-width
    spaces and dashes) first; any other script's decimal digit becomes its ASCII digit.
    """
    digits = "".join(_ascii_digit(ch) for ch in unicodedata.normalize("NFKC", value or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits.lstrip("+")


def _ascii_digit(ch: str) -> str:
    if ch == "+" or "0" <= ch <= "9":
        return ch
    return str(unicodedata.decimal(ch)) if ch.isdecimal() else ""


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
    # Full-width digits and Ｘ (a Chinese input method's) are the same number: fold them, as for phones.
    number = unicodedata.normalize("NFKC", value or "").strip().upper()
    if not number.isascii():
        raise ValidationError(_("Enter an 18-character resident ID number."), code="invalid_id_number")
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("Enter an 18-character resident ID number."), code="invalid_id_number")
    if id_number_check_char(number[:17]) != number[17]:
        raise ValidationError(_("This ID number is not valid (check digit does not match)."), code="invalid_id_number")
    return number
