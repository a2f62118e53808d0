"""Reporting reads: the flag that sends a block's reads to the read replica, when there is one.

The router that acts on it is config.db_router (settings.DATABASE_ROUTERS); the flag lives in
core so the apps can set it without importing config (config -> apps -> grids -> core).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_reporting: ContextVar[bool] = ContextVar("reporting_reads", default=False)


@contextmanager
def reporting_reads() -> Iterator[None]:
    """Within this block, reads go to the replica (when there is one)."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def in_reporting_reads() -> bool:
    """Whether the current block asked for reporting reads."""
    return _reporting.get()
