"""Tracking numbers: short, unguessable, and easy to read aloud over the phone."""

import secrets

# No 0/O, 1/I/L look-alikes: 31 symbols, 12 of them ≈ 59 bits of randomness.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 12


def new_tracking_number() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_tracking_number(value: str) -> str:
    """Accepts what a person types: lower case, spaces or dashes between groups."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def format_tracking_number(value: str) -> str:
    """ABCD EFGH JKMN: groups of four for reading aloud."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
