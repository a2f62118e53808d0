"""Fixed-window rate limits kept in the cache (Redis in production: INCR is atomic across processes).

Used for what DRF's throttles do not cover atomically: per-phone limits on
submissions and failed tracking attempts shared by the form and the API.
"""

from django.core.cache import cache
from django.utils import timezone


def _key(scope: str, ident: str, window: int) -> str:
    bucket = int(timezone.now().timestamp()) // window
    return f"rl:{scope}:{ident}:{bucket}"


def hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one event; False once more than `limit` happened in the current window."""
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
    return (cache.get(_key(scope, ident, window)) or 0) >= limit


def client_ip(request) -> str:
    """The client's address. Behind the documented nginx, X-Forwarded-For's last hop is the real client."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
