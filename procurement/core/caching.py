"""Cache calls whose failure must not fail a request: the cache only saves time there, so a
cache that is down (Redis away) makes the request slower, never broken. Sessions
(procurement.sessions), the catalog pages and the catalog's generation (catalog.views,
catalog.generation) call the cache through it."""

import logging

logger = logging.getLogger(__name__)


def cache_call(cache, method: str, *args, failed=None, purpose: str):
    """`cache.<method>(*args)`, or `failed` if the cache raises; the failure is logged as a
    warning naming `purpose` (what the cache was for)."""
    try:
        return getattr(cache, method)(*args)
    except Exception:  # any cache error: carry on without the cache
        logger.warning("%s cache %s failed; going on without it", purpose, method, exc_info=True)
        return failed
