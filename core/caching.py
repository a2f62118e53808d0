"""The shared cache for figures that may be recomputed: a cache that cannot be reached is a miss, never an error.

Pages that keep work in the cache (the dashboard, the petition figures) must
still answer while Redis restarts: they compute the answer instead and try to
store it again next time. Rate limits have their own handling (core.ratelimit).
"""

import logging
from typing import Any

from django.core.cache import cache

from core.ratelimit import CACHE_ERRORS

logger = logging.getLogger(__name__)


def get(key: str, default: Any = None) -> Any:
    try:
        return cache.get(key, default)
    except CACHE_ERRORS as exc:
        logger.warning("Cache unavailable on read (%s): computing instead.", type(exc).__name__)
        return default


def set(key: str, value: Any, timeout: float | None) -> None:  # noqa: A001 - as cache.set
    try:
        cache.set(key, value, timeout)
    except CACHE_ERRORS as exc:
        logger.warning("Cache unavailable on write (%s): not kept.", type(exc).__name__)
