"""Masking of personal data for people who do not work the case."""

import re
import unicodedata


def mask_phone(phone: str | None) -> str:
    """13812345678 -> 138****5678; shorter numbers keep only their last two digits."""
    if not phone:
        return ""
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def mask_id_number(value: str | None) -> str:
    """Chinese resident ID (18 chars) -> first 3 and last 2 kept: 360***********123X style."""
    if not value:
        return ""
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_name(name: str | None) -> str:
    """张三丰 -> 张**; keeps the family name only."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def mask_address(address: str | None) -> str:
    """Keeps the first six characters (district, street) and hides the rest."""
    if not address:
        return ""
    keep = min(6, len(address) // 2)
    return address[:keep] + "****"


# A run of digits (any script: full-width ones too), with single spaces or dashes between groups,
# optionally ending in the X of an ID-card number.
_NUMBER = re.compile(r"(?<!\d)\d+(?:[ \-]\d+)*[Xx]?(?!\d)")
_MIN_DIGITS = 7
_MOBILE = re.compile(r"1[3-9]\d{9}")
_ID_CARD = re.compile(r"\d{17}[\dXx]")


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in text if ch.isdigit() or ch in "Xx")


def _mask_number(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = _ascii_digits(found)
    if sum(ch.isdigit() for ch in digits) < _MIN_DIGITS:
        return found
    if _MOBILE.fullmatch(digits):
        return mask_phone(digits)
    if _ID_CARD.fullmatch(digits):
        return mask_id_number(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_numbers(text: str) -> str:
    """Every number that could be a phone, an ID-card or an account number, masked; short numbers kept."""
    return _NUMBER.sub(_mask_number, text)
