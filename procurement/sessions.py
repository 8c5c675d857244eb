"""Sessions kept in the database and read through the shared cache (Redis in production).

Every signed-in request reads its session; from Redis that costs a fraction of a database
query. Django's `cached_db` store does this, with two gaps this store closes:

- A cache that is down must never fail a page. Django's store falls back to the database
  when a read fails and logs a failed write on save, but raises while filling the cache after
  a database read, and on logout. Here every cache call that fails is logged and the database
  alone answers; a write that fails also drops the cached copy, if it can, so the old one is
  not served on.
- A cache entry lives at most `CACHE_SECONDS`, not the session's two weeks, so a logout whose
  cache delete failed (Redis unreachable at that moment, back later with its data) leaves the
  old session readable for minutes at most, never for weeks.

Sessions are written to the database first and to the cache after, as Django's store does.
"""

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import cached_db, db

from procurement.core.caching import cache_call

CACHE_SECONDS = 300
_FAILED = object()


class SessionStore(cached_db.SessionStore):
    def _cache_call(self, method: str, *args):
        return cache_call(self._cache, method, *args, failed=_FAILED, purpose="Session")

    def _cache_seconds(self, expiry=None) -> int:
        return max(0, min(CACHE_SECONDS, self.get_expiry_age(expiry=expiry)))

    def load(self):
        data = self._cache_call("get", self.cache_key)
        if data is not None and data is not _FAILED:
            return data
        session = self._get_session_from_db()
        if not session:
            return {}
        data = self.decode(session.session_data)
        self._cache_call(
            "set", self.cache_key, data, self._cache_seconds(expiry=session.expire_date)
        )
        return data

    def exists(self, session_key):
        if session_key and self._cache_call("has_key", self.cache_key_prefix + session_key) is True:
            return True
        return db.SessionStore.exists(self, session_key)

    def save(self, must_create=False):
        db.SessionStore.save(self, must_create)
        if self._cache_call("set", self.cache_key, self._session, self._cache_seconds()) is _FAILED:
            self._cache_call("delete", self.cache_key)

    def delete(self, session_key=None):
        db.SessionStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._cache_call("delete", self.cache_key_prefix + session_key)

    # The async API, for async views: the same rules through the sync methods above.
    async def aload(self):
        return await sync_to_async(self.load)()

    async def aexists(self, session_key):
        return await sync_to_async(self.exists)(session_key)

    async def asave(self, must_create=False):
        await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key=None):
        await sync_to_async(self.delete)(session_key)
