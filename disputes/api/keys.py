"""API keys of the machine channels (110 transfers, the 12345 hotline, grid workers, Open311 clients).

A key reads `<prefix>.<secret>`: the prefix (8 hex characters) finds the row,
the secret proves it. Only a SHA-256 of the whole key is stored, and the key is
shown once, when it is made.

Why SHA-256 and not a password hash (PBKDF2, Argon2): a password hash is slow
on purpose, because people choose guessable passwords. These keys are 256 bits
from `secrets`, so a leaked hash cannot be reversed by guessing whatever the
hash costs, and a fast hash keeps the check at microseconds on every request of
a busy channel instead of the ~0.5 s PBKDF2 would add. The comparison is
constant-time.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.utils import timezone

from disputes.models import ChannelKey
from disputes.rules.enums import Channel
from grids.models import Area

# The doors that arrive over the API with a key (the others are people at a page).
MACHINE_CHANNELS = (Channel.POLICE_110, Channel.HOTLINE_12345, Channel.GRID_REPORT, Channel.OPEN311)
PREFIX_BYTES = 4
SECRET_BYTES = 32
# last_used_at is written at most this often per key: one UPDATE a minute, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def new_raw_key() -> tuple[str, str]:
    """A fresh (prefix, key) pair whose prefix no stored key has."""
    while True:
        prefix = secrets.token_hex(PREFIX_BYTES)
        if not ChannelKey.objects.filter(prefix=prefix).exists():
            return prefix, f"{prefix}.{secrets.token_urlsafe(SECRET_BYTES)}"


def channel_key_create(*, name: str, channel: str, area: Area | None = None) -> tuple[ChannelKey, str]:
    """Make a key for a machine channel (limited to `area` if given). Returns the row and the unstored key."""
    if channel not in MACHINE_CHANNELS:
        raise ValueError(f"{channel!r} is not a machine channel ({', '.join(MACHINE_CHANNELS)})")
    prefix, raw_key = new_raw_key()
    key = ChannelKey.objects.create(name=name, channel=channel, area=area, prefix=prefix, key_hash=hash_key(raw_key))
    return key, raw_key


def channel_key_find(raw_key: str) -> ChannelKey | None:
    """The row this key belongs to (active or not), or None if the key is wrong."""
    prefix, dot, _secret = (raw_key or "").strip().partition(".")
    if not dot or not prefix:
        return None
    key = ChannelKey.objects.filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(raw_key.strip())):
        return None
    return key


def channel_key_touch(key: ChannelKey) -> None:
    """Record that the key was used, cheaply: skipped if it was recorded less than a minute ago."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ChannelKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def channel_key_revoke(key: ChannelKey) -> None:
    ChannelKey.objects.filter(pk=key.pk).update(is_active=False, updated_at=timezone.now())
    key.is_active = False
