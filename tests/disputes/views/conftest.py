"""Helpers for the resident pages: a valid form post, a tiny PNG, fresh rate-limit counters."""

import struct
import zlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from core.validators import id_number_check_char

APPLICANT_PHONE = "13900139000"
RESPONDENT_PHONE = "13700137000"
ID_FIRST17 = "36010319800101001"
VALID_ID = ID_FIRST17 + id_number_check_char(ID_FIRST17)


def png_bytes() -> bytes:
    """A real 1×1 PNG (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture(autouse=True)
def fresh_counters():
    """Rate-limit counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


def management(total: int = 1, prefix: str = "parties") -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "10",
    }


@pytest.fixture
def form_data(tree, category):
    """form_data(**overrides) → a complete, valid POST for /submit/ (the place chosen down to the grid)."""

    def build(**overrides) -> dict:
        data = {
            "category": str(category.pk),
            "description": "楼上卫生间漏水，多次沟通无果。",
            "occurred_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
            "occurred_place": "船山路12号",
            "area_2": str(tree.county.pk),
            "area_3": str(tree.town_a.pk),
            "area_4": str(tree.village_a.pk),
            "area_5": str(tree.grid_a.pk),
            "applicant-name": "李四",
            "applicant-phone": APPLICANT_PHONE,
            "applicant-id_number": VALID_ID,
            "applicant-address": "船山路12号302室",
            **management(1),
            "parties-0-role": "respondent",
            "parties-0-name": "王五",
            "parties-0-phone": RESPONDENT_PHONE,
            "consent": "on",
            "website": "",
        }
        for key, value in overrides.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    return build
