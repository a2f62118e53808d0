"""Tracking numbers: short, unguessable, and easy to read aloud over the phone."""

import secrets
import unicodedata

# No 0/O, 1/I/L look-alikes: 31 symbols, 12 of them ≈ 59 bits of randomness.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 12


def new_tracking_number() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_tracking_number(value: str) -> str:
    """Accepts what a person types: lower case, spaces or dashes between groups, full-width letters and digits."""
    # NFKC folds a Chinese input method's full-width ＡＢＣ１２３ to ASCII, as for phone numbers.
    return "".join(ch for ch in unicodedata.normalize("NFKC", value or "").upper() if ch.isascii() and ch.isalnum())


def format_tracking_number(value: str) -> str:
    """ABCD EFGH JKMN: groups of four for reading aloud."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
