"""Fixed-window rate limits kept in the cache (Redis in production: INCR is atomic across processes).

The counters under core.throttling's table of limits, which every public door
uses; nothing else should count with these directly. The identifier (an
address, a phone, a tracking number) never reaches the cache in clear: the key
holds a keyed hash of it (HMAC-SHA256 with SECRET_KEY). A plain hash would not
do: every mobile number can be hashed and looked up in minutes.

A cache that cannot be reached (Redis down) fails open: the event is not
counted and nothing is refused, with a warning in the log. Refusing every
resident because a counter is unavailable would turn a cache outage into an
intake outage.
"""

import functools
import ipaddress
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.crypto import salted_hmac

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is a dependency; only its absence keeps this importable
    RedisError = OSError

logger = logging.getLogger(__name__)
# What a cache that cannot be reached raises: redis-py's errors, or a socket error from another backend.
CACHE_ERRORS = (RedisError, OSError)


def counter_key(scope: str, ident: str, window: int) -> str:
    """The cache key of the counter of `ident` in `scope` for the current window (also core.throttling's)."""
    bucket = int(timezone.now().timestamp()) // window
    return f"rl:{scope}:{digest(ident)}:{bucket}"


def digest(ident: str) -> str:
    """What stands for an identifier in a cache key: an HMAC keyed with SECRET_KEY, so it cannot be reversed."""
    return salted_hmac("core.ratelimit", ident or "", algorithm="sha256").hexdigest()[:32]


def hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one event; False once more than `limit` happened in the current window."""
    try:
        return _hit(scope, ident, limit=limit, window=window)
    except CACHE_ERRORS as exc:
        logger.warning("Rate limit %s not counted, the cache is unavailable: %r", scope, exc)
        return True


def _hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    key = counter_key(scope, ident, window)
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
        return (cache.get(counter_key(scope, ident, window)) or 0) >= limit
    except CACHE_ERRORS as exc:
        logger.warning("Rate limit %s not read, the cache is unavailable: %r", scope, exc)
        return False


def client_ip(request) -> str:
    """The client's address, for the rate limits and django-axes.

    The peer (REMOTE_ADDR) unless it is one of TRUSTED_PROXIES; then X-Forwarded-For
    is read from the right, each hop written by the proxy after it, and the first
    address that is not a trusted proxy is the client. Hops to its left were written
    by the client itself and are never believed. With TRUSTED_PROXIES empty (the
    default) the header is ignored: a client talking to gunicorn directly cannot
    choose the address it is counted under by sending one.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    proxies = _networks(tuple(settings.TRUSTED_PROXIES))
    if not proxies or not _is_trusted(_address(peer), proxies):
        return peer
    client = peer
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            break  # not an address: no proxy of ours wrote it, so the last good hop is the client
        client = str(address)
        if not _is_trusted(address, proxies):
            break
    return client


@functools.lru_cache(maxsize=4)
def _networks(proxies: tuple[str, ...]) -> tuple:
    try:
        return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from None


def _address(value: str):
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return address.ipv4_mapped or address if address.version == 6 else address


def _is_trusted(address, proxies: tuple) -> bool:
    return address is not None and any(address in network for network in proxies)
