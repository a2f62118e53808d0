"""Rate limits for the public doors, kept in the cache by core.ratelimit.

DRF's own throttles read, change and write a list of timestamps in the cache,
which is not atomic across processes. These use `core.ratelimit.hit`: a
fixed-window counter bumped with the cache's INCR, which Redis performs
atomically, so two gunicorn workers never both let the 21st request through.

With REDIS_URL unset the cache is Django's in-process memory cache: each
process then keeps its own counters, so in the embedded set-up (runserver, one
process) the limits hold, but under gunicorn with N workers a client may get up
to N times the limit. Production runs with REDIS_URL.

The table of limits. Every public door counts with these same `Limit`
objects (`check`, `count`, `is_exhausted`), never with scopes of its own, so a
client switching between the web form and the API does not get a second
allowance:

| limit | counts, per | setting (default) | window |
| --- | --- | --- | --- |
| SUBMIT_PER_IP | submissions, client address | PUBLIC_SUBMIT_PER_IP_HOUR (20) | 1 hour, fixed |
| SUBMIT_PER_PHONE | submissions, applicant phone | PUBLIC_SUBMIT_PER_PHONE_DAY (5) | 1 day, fixed |
| TRACK_PER_IP | tracking look-ups, client address | PUBLIC_TRACK_PER_IP_HOUR (120) | 1 hour, fixed |
| TRACK_FAILURES_PER_IP | failures, client address | PUBLIC_TRACK_FAILURES_PER_IP_HOUR (10) | 1 hour, fixed |
| TRACK_FAILURES_PER_NUMBER | failures, tracking number | PUBLIC_TRACK_FAILURES_PER_NUMBER_HOUR (5) | 1 hour, fixed |
| CHANNEL_SUBMIT_PER_KEY | cases, machine channel's API key | CHANNEL_SUBMIT_PER_KEY_HOUR (600) | 1 hour, fixed |
| REVEALS_PER_USER | personal data revealed in clear, staff user | PERSONAL_DATA_REVEALS_PER_HOUR (60) | 1 hour, fixed |
| OPEN311_READS_PER_IP | Open311 public list reads, client address | OPEN311_READS_PER_IP_HOUR (60) | 1 hour, fixed |

The submission limits hold at the web form, the public API and Open311 without
a key; the tracking limits at the tracking page and the public API; the key
limit at the channel API and Open311 with a key; the Open311 read limit at
Open311's GET requests (a list or one) without a key.

Fixed windows: a counter per window of clock time (the hour from :00, the day
from midnight UTC), reset when the window ends; `Retry-After` says when. Up to
twice a limit can get through around a window's end (the end of one and the
start of the next); the limits are set with that in mind. The staff's walk-in
page is not limited. Sign-in lockout is django-axes (AXES_* settings), on the
same client address (`core.ratelimit.client_ip`).

A new limit is one `Limit(...)` below, a setting in config/settings.py, a row
here and in the configuration table of docs/operations.md, and an entry in LIMITS
(tests/core/test_rate_limits.py checks that all four agree).

Identifiers (addresses, phones, tracking numbers, key ids) become cache keys
only as a keyed hash (`core.ratelimit.digest`): the cache holds no personal
data in clear.

With the cache down (Redis stopped or restarting) the limits fail open: the
event is not counted, a warning is logged, and the request goes on. A
resident's submission must not be refused because a counter cannot be kept
(bench/faults.py kills Redis under submissions); the limits are back as soon
as the cache is.
"""

import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from core import ratelimit
from core.ratelimit import CACHE_ERRORS

logger = logging.getLogger(__name__)

HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class Limit:
    scope: str
    setting: str  # the name of the setting holding the number allowed per window
    window: int  # seconds
    message: Promise

    @property
    def allowed(self) -> int:
        return int(getattr(settings, self.setting))


SUBMIT_PER_IP = Limit(
    "public-submit-ip",
    "PUBLIC_SUBMIT_PER_IP_HOUR",
    HOUR,
    _("Too many submissions from your network in the last hour. Please try again later."),
)
SUBMIT_PER_PHONE = Limit(
    "public-submit-phone",
    "PUBLIC_SUBMIT_PER_PHONE_DAY",
    DAY,
    _("Too many submissions with this phone number today. Please try again tomorrow or call the centre."),
)
TRACK_PER_IP = Limit(
    "public-track-ip",
    "PUBLIC_TRACK_PER_IP_HOUR",
    HOUR,
    _("Too many look-ups from your network in the last hour. Please try again later."),
)
TRACK_FAILURES_PER_IP = Limit(
    "public-track-fail-ip",
    "PUBLIC_TRACK_FAILURES_PER_IP_HOUR",
    HOUR,
    _("Too many unsuccessful look-ups from your network. Please try again in an hour."),
)
TRACK_FAILURES_PER_NUMBER = Limit(
    "public-track-fail-number",
    "PUBLIC_TRACK_FAILURES_PER_NUMBER_HOUR",
    HOUR,
    _("Too many unsuccessful look-ups for this tracking number. Please try again in an hour."),
)
CHANNEL_SUBMIT_PER_KEY = Limit(
    "channel-submit-key",
    "CHANNEL_SUBMIT_PER_KEY_HOUR",
    HOUR,
    _("Too many cases from this API key in the last hour. Please try again later."),
)
# Counted by the reveal service itself (core.audit.personal_data_reveal), so the case page, the
# petition page and the staff API share one allowance per user.
REVEALS_PER_USER = Limit(
    "staff-reveal-user",
    "PERSONAL_DATA_REVEALS_PER_HOUR",
    HOUR,
    _(
        "You have revealed as much personal data as one hour allows. Please try again when the hour is over; "
        "if your work needs more, ask your administrator."
    ),
)
# Open311's public list of requests, when a centre publishes it (OPEN311_PUBLIC_REQUESTS): each list
# or single request read without a key counts, so nobody copies the whole history in an afternoon.
OPEN311_READS_PER_IP = Limit(
    "open311-read-ip",
    "OPEN311_READS_PER_IP_HOUR",
    HOUR,
    _("Too many reads of the public list of requests from your network in the last hour. Please try again later."),
)

# Every limit of the table above (the docstring's table and docs/operations.md list them too).
LIMITS: tuple[Limit, ...] = (
    SUBMIT_PER_IP,
    SUBMIT_PER_PHONE,
    TRACK_PER_IP,
    TRACK_FAILURES_PER_IP,
    TRACK_FAILURES_PER_NUMBER,
    CHANNEL_SUBMIT_PER_KEY,
    REVEALS_PER_USER,
    OPEN311_READS_PER_IP,
)


class RateLimited(exceptions.Throttled):
    """429 with the limit's own message and a Retry-After header (DRF sets it from `wait`)."""

    def __init__(self, limit: Limit) -> None:
        exceptions.APIException.__init__(self, limit.message, "throttled")
        self.wait = seconds_left(limit.window)


def seconds_left(window: int) -> int:
    """Until the current fixed window (core.ratelimit's bucket) ends."""
    now = timezone.now().timestamp()
    return max(1, math.ceil(window - now % window))


def count(limit: Limit, ident: str) -> bool:
    """Count one event; False once the limit is passed in this window (True, uncounted, if the cache is down)."""
    backend = caches["default"]  # the backend itself: `django.core.cache.cache` is a proxy
    try:
        if isinstance(backend, RedisCache):
            return _hit_redis(backend, limit.scope, ident, limit=limit.allowed, window=limit.window)
        return ratelimit.hit(limit.scope, ident, limit=limit.allowed, window=limit.window)
    except CACHE_ERRORS as exc:
        # The identifier is personal data (an address, a phone): only the limit's name is logged.
        logger.warning("Rate limit %s not counted, the cache is unavailable: %s", limit.scope, type(exc).__name__)
        return True


def _hit_redis(backend: RedisCache, scope: str, ident: str, *, limit: int, window: int) -> bool:
    """core.ratelimit.hit in one round trip: the same key, counter and expiry, so `ratelimit.exceeded` reads it.

    Through Django's cache API a hit costs three round trips (SET NX, then EXISTS
    and INCR inside cache.incr) and three Redis client objects, about 0.7 ms of
    CPU; this costs one of each, about 0.25 ms (bench/submit.py counts two hits
    per submission). INCR creates the counter at 1 if it is missing and EXPIRE NX
    gives it the window's expiry only then, both inside MULTI/EXEC, so the count
    stays atomic across processes.
    """
    key = backend.make_and_validate_key(ratelimit.counter_key(scope, ident, window))
    client = backend._cache.get_client(key, write=True)
    pipe = client.pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, window + 5, nx=True)
    count, _expiry_set = pipe.execute()
    return count <= limit


def check(limit: Limit, ident: str) -> None:
    """Count one event and raise RateLimited (429) once the limit is passed."""
    if not count(limit, ident):
        raise RateLimited(limit)


def is_exhausted(limit: Limit, ident: str) -> bool:
    """Whether the limit is used up, without counting (for limits on failures only); False if the cache is down."""
    try:
        return ratelimit.exceeded(limit.scope, ident, limit=limit.allowed, window=limit.window)
    except CACHE_ERRORS as exc:
        logger.warning("Rate limit %s not read, the cache is unavailable: %s", limit.scope, type(exc).__name__)
        return False


def check_exhausted(*pairs: tuple[Limit, str]) -> None:
    """Raise RateLimited for the first (limit, identifier) already used up, counting nothing (limits on failures)."""
    for limit, ident in pairs:
        if is_exhausted(limit, ident):
            raise RateLimited(limit)


def count_each(*pairs: tuple[Limit, str]) -> None:
    """Count one event against each (limit, identifier): a failure, refused next time by check_exhausted."""
    for limit, ident in pairs:
        count(limit, ident)


def tracking_failures(ip: str, tracking_number: str) -> tuple[tuple[Limit, str], ...]:
    """What a failed tracking look-up counts against, at every door: its address and the number tried."""
    return ((TRACK_FAILURES_PER_IP, ip), (TRACK_FAILURES_PER_NUMBER, tracking_number))


class ClientAddressThrottle(BaseThrottle):
    """Counts every request per client address.

    Refuses by raising RateLimited itself rather than returning False, so the
    answer carries this limit's message instead of DRF's generic one.
    """

    limit: Limit

    def allow_request(self, request, view) -> bool:
        check(self.limit, ratelimit.client_ip(request))
        return True


class PublicSubmitThrottle(ClientAddressThrottle):
    limit = SUBMIT_PER_IP


class PublicTrackThrottle(ClientAddressThrottle):
    limit = TRACK_PER_IP


class ChannelKeyThrottle(BaseThrottle):
    """Counts every request per machine channel's API key (`request.auth`, set by authentication)."""

    def allow_request(self, request, view) -> bool:
        key = getattr(request, "auth", None)
        if key is not None and getattr(key, "pk", None) is not None:
            check(CHANNEL_SUBMIT_PER_KEY, channel_key_ident(key))
        return True


def channel_key_ident(key) -> str:
    return f"key:{key.pk}"
