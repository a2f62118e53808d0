"""Sessions: Django's cached_db engine, reading from the database alone while the cache is down.

Django's engine already survives a failed cache read, but then writes the
session it read from the database back to the cache without catching the
error, so every signed-in page failed with a 500 while Redis was away. Here the
cache is only a shortcut: a read or write that fails is logged and skipped.
Deleting (signing out) still goes to both, so a session cannot come back from
the cache after its owner signed out.
"""

import logging

from django.contrib.sessions.backends import cached_db

from core.ratelimit import CACHE_ERRORS

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except CACHE_ERRORS:
            data = None
            logger.warning("Session cache unavailable on read: reading the database.")
        except Exception:  # noqa: BLE001 - as Django: an invalid key resets the session (#17810)
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except CACHE_ERRORS:
            logger.warning("Session cache unavailable on write: the database copy stands.")
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except CACHE_ERRORS:
            logger.warning("Session cache unavailable on read: reading the database.")
        return cached_db.DBStore.exists(self, session_key)
