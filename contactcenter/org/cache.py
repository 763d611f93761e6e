"""Django's Redis cache, failing open while Redis is unreachable.

The cache holds nothing that must survive (throttle counters, a platform's access token):
while Redis is down, reads miss, writes are dropped and counters count one, so throttles
let requests through instead of failing them with 500. Short socket timeouts (settings
``CACHES`` OPTIONS) keep a request from hanging on an unreachable host, and after a
failure the cache is not tried again for ``CC_CACHE_RETRY_SECONDS``, so a request pays at
most one timeout per window. The outage is logged once, and its end once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from contactcenter.org.outages import REDIS_ERRORS, OutageLog

T = TypeVar("T")

_log = OutageLog("Redis cache (throttles fail open)")


class FailOpenRedisCacheClient(RedisCacheClient):
    _down_until = 0.0  # monotonic time before which Redis is not tried (shared by the process)

    def _try(self, call: Callable[[], T], fallback: T) -> T:
        if time.monotonic() < FailOpenRedisCacheClient._down_until:
            return fallback
        try:
            result = call()
        except REDIS_ERRORS as exc:
            FailOpenRedisCacheClient._down_until = time.monotonic() + settings.CC_CACHE_RETRY_SECONDS
            _log.failed(exc)
            return fallback
        _log.ok()
        return result

    def add(self, key: Any, value: Any, timeout: Any) -> bool:
        return self._try(lambda: super(FailOpenRedisCacheClient, self).add(key, value, timeout), False)

    def get(self, key: Any, default: Any) -> Any:
        return self._try(lambda: super(FailOpenRedisCacheClient, self).get(key, default), default)

    def set(self, key: Any, value: Any, timeout: Any) -> None:
        self._try(lambda: super(FailOpenRedisCacheClient, self).set(key, value, timeout), None)

    def touch(self, key: Any, timeout: Any) -> bool:
        return self._try(lambda: super(FailOpenRedisCacheClient, self).touch(key, timeout), False)

    def delete(self, key: Any) -> bool:
        return self._try(lambda: super(FailOpenRedisCacheClient, self).delete(key), False)

    def get_many(self, keys: Any) -> dict[Any, Any]:
        return self._try(lambda: super(FailOpenRedisCacheClient, self).get_many(keys), {})

    def has_key(self, key: Any) -> bool:
        return self._try(lambda: super(FailOpenRedisCacheClient, self).has_key(key), False)

    def incr(self, key: Any, delta: int) -> int:
        # A counter that cannot be read counts this one request: limits fail open.
        return self._try(lambda: super(FailOpenRedisCacheClient, self).incr(key, delta), delta)

    def set_many(self, data: Any, timeout: Any) -> None:
        self._try(lambda: super(FailOpenRedisCacheClient, self).set_many(data, timeout), None)

    def delete_many(self, keys: Any) -> None:
        self._try(lambda: super(FailOpenRedisCacheClient, self).delete_many(keys), None)

    def clear(self) -> bool:
        return self._try(lambda: super(FailOpenRedisCacheClient, self).clear(), False)


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient


# ---------------------------------------------------------------------- per process


class LocalTTLCache:
    """Values kept in this process for ``ttl`` seconds: settings read on every enquiry's
    opening (bench/open_profile.py) that change rarely. The process that changes one calls
    ``invalidate`` (now and again on commit); other processes see it within ``ttl``."""

    instances: list[LocalTTLCache] = []

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._values: dict[Any, tuple[float, Any]] = {}
        LocalTTLCache.instances.append(self)

    def get(self, key: Any, load: Callable[[], T]) -> T:
        now = time.monotonic()
        found = self._values.get(key)
        if found is not None and found[0] > now:
            return found[1]  # type: ignore[no-any-return]
        value = load()
        self._values[key] = (now + self.ttl, value)
        return value

    def invalidate(self) -> None:
        from django.db import transaction  # only for the writers

        self._values.clear()
        transaction.on_commit(self._values.clear)

    @classmethod
    def clear_all(cls) -> None:
        """Forget every value (tests: each starts from its own database)."""
        for cache in cls.instances:
            cache._values.clear()
