import pytest

from disputes.rules.tracking import (
    ALPHABET,
    LENGTH,
    format_tracking_number,
    new_tracking_number,
    normalise_tracking_number,
)


def test_alphabet_has_no_look_alikes():
    assert len(set(ALPHABET)) == len(ALPHABET) == 31
    assert not set("01OIL") & set(ALPHABET)
    assert ALPHABET == ALPHABET.upper()


def test_new_numbers_are_twelve_symbols_from_the_alphabet():
    for _ in range(1_000):
        number = new_tracking_number()
        assert len(number) == LENGTH == 12
        assert set(number) <= set(ALPHABET)


def test_new_numbers_are_unique_over_ten_thousand_draws():
    draws = [new_tracking_number() for _ in range(10_000)]
    assert len(set(draws)) == len(draws)


def test_new_numbers_use_the_whole_alphabet():
    used = set("".join(new_tracking_number() for _ in range(1_000)))
    assert used == set(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ABCDEFGHJKMN", "ABCDEFGHJKMN"),
        ("abcd efgh jkmn", "ABCDEFGHJKMN"),
        ("ABCD-EFGH-JKMN", "ABCDEFGHJKMN"),
        ("  abcd\tefgh\njkmn  ", "ABCDEFGHJKMN"),
        ("ＡＢＣＤ　ｅｆｇｈ－ＪＫＭ２", "ABCDEFGHJKM2"),  # full-width, as a Chinese input method types it
        ("ABCD张EFGH", "ABCDEFGH"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise(typed, expected):
    assert normalise_tracking_number(typed) == expected


@pytest.mark.parametrize(
    ("number", "formatted"),
    [
        ("ABCDEFGHJKMN", "ABCD EFGH JKMN"),
        ("ABCDEF", "ABCD EF"),
        ("", ""),
    ],
)
def test_format(number, formatted):
    assert format_tracking_number(number) == formatted


def test_format_and_normalise_round_trip():
    for _ in range(200):
        number = new_tracking_number()
        formatted = format_tracking_number(number)
        assert formatted.count(" ") == 2
        assert normalise_tracking_number(formatted) == number
        assert normalise_tracking_number(formatted.lower().replace(" ", "-")) == number
