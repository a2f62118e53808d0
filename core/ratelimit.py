"""Fixed-window rate limits kept in the cache (Redis in production: INCR is atomic across processes).

Used for what DRF's throttles do not cover atomically: per-phone limits on
submissions and failed tracking attempts shared by the form and the API.

A cache that cannot be reached (Redis down) fails open: the event is not
counted and nothing is refused, with a warning in the log. Refusing every
resident because a counter is unavailable would turn a cache outage into an
intake outage.
"""

import logging

from django.core.cache import cache
from django.utils import timezone

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is a dependency; only its absence keeps this importable
    RedisError = OSError

logger = logging.getLogger(__name__)
# What a cache that cannot be reached raises: redis-py's errors, or a socket error from another backend.
CACHE_ERRORS = (RedisError, OSError)


def _key(scope: str, ident: str, window: int) -> str:
    bucket = int(timezone.now().timestamp()) // window
    return f"rl:{scope}:{ident}:{bucket}"


def hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one event; False once more than `limit` happened in the current window."""
    try:
        return _hit(scope, ident, limit=limit, window=window)
    except CACHE_ERRORS as exc:
        logger.warning("Rate limit %s not counted, the cache is unavailable: %r", scope, exc)
        return True


def _hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    key = _key(scope, ident, window)
    # add() creates the counter with its expiry only if absent; incr() is atomic on Redis.
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        count = 1
    return count <= limit


def exceeded(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Whether the limit is already used up, without counting."""
    try:
        return (cache.get(_key(scope, ident, window)) or 0) >= limit
    except CACHE_ERRORS as exc:
        logger.warning("Rate limit %s not read, the cache is unavailable: %r", scope, exc)
        return False


def client_ip(request) -> str:
    """The client's address. Behind the documented nginx, X-Forwarded-For's last hop is the real client."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
