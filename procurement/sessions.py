"""Sessions kept in the database and read through the shared cache (Redis in production).

Every signed-in request reads its session; from Redis that costs a fraction of a database
query. This is Django's database store with a cache in front, as Django's `cached_db` store
is, with two differences:

- A cache that is down must never fail a page. Every cache call that fails is logged and the
  database alone answers; a write that fails also drops the cached copy, if it can, so the old
  one is not served on.
- A cache entry lives at most `CACHE_SECONDS`, not the session's two weeks, so a logout whose
  cache delete failed (Redis unreachable at that moment, back later with its data) leaves the
  old session readable for minutes at most, never for weeks.

Sessions are written to the database first and to the cache after, as Django's store does.
It is built on the database store's public methods only (`load`, `save`, `exists`, `delete`,
`get_model_class`, `decode`, `get_expiry_age`).
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends import db
from django.core.cache import caches
from django.utils import timezone

from procurement.core.caching import cache_call

CACHE_SECONDS = 300
_FAILED = object()


class SessionStore(db.SessionStore):
    # Django's cached_db store's prefix: entries it wrote are read, and the other way round.
    cache_key_prefix = "django.contrib.sessions.cached_db"

    @property
    def cache_key(self) -> str:
        return self.cache_key_prefix + self.session_key

    def _cache_call(self, method: str, *args):
        cache = caches[settings.SESSION_CACHE_ALIAS]
        return cache_call(cache, method, *args, failed=_FAILED, purpose="Session")

    def _cache_seconds(self, expiry=None) -> int:
        return max(0, min(CACHE_SECONDS, self.get_expiry_age(expiry=expiry)))

    def load(self):
        if self.session_key is None:
            return {}
        data = self._cache_call("get", self.cache_key)
        if data is not None and data is not _FAILED:
            return data
        session = (
            self.get_model_class()
            .objects.filter(session_key=self.session_key, expire_date__gt=timezone.now())
            .first()
        )
        if session is None:
            # The database store's own load finds nothing either, and forgets the key so that
            # the next save makes a new one (a rare path: a stale or forged cookie).
            return super().load()
        data = self.decode(session.session_data)
        self._cache_call(
            "set", self.cache_key, data, self._cache_seconds(expiry=session.expire_date)
        )
        return data

    def exists(self, session_key):
        if session_key and self._cache_call("has_key", self.cache_key_prefix + session_key) is True:
            return True
        return super().exists(session_key)

    def save(self, must_create=False):
        super().save(must_create)
        data = dict(self.items())
        if self._cache_call("set", self.cache_key, data, self._cache_seconds()) is _FAILED:
            self._cache_call("delete", self.cache_key)

    def delete(self, session_key=None):
        if session_key is None:
            session_key = self.session_key
        super().delete(session_key)
        if session_key is not None:
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
