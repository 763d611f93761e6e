"""Rate limits held in shared state: messages and uploads per visitor and per staff member,
and the per-account login lockout (README "Security").

Counters are fixed windows in the cache (Redis in production, so every process and every
socket of one person counts against the same limit). With the Redis cache a hit is one
round trip (INCR and EXPIRE in one pipeline; on the socket path one script call for the hits
of many sockets, ``_INCR_SCRIPT``), asynchronous on the socket path so the event loop never
waits on it, and on that path not even awaited while a counter is far below its limit
(``DEFER_SECONDS``); with the in-process cache (the embedded default, tests) it is a
dictionary update. When Redis cannot be reached the limits let requests through (logged):
a limit degrades, it does not make posting fail.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import re
import time
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import ngettext

from contactcenter.org import clock
from contactcenter.org.cache import FailOpenRedisCacheClient
from contactcenter.org.errors import RateLimited
from contactcenter.org.models import Staff

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_UNITS |= {"d": 86400, "day": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    period: float  # seconds


@lru_cache(maxsize=32)
def parse_rate(value: str | None) -> Rate | None:
    """ "20/10s" -> Rate(20, 10); "10/min", "600/minute", "5/h"; None or "" -> no limit.
    Raises ValueError for anything else."""
    if not value or not value.strip():
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*\.?\d*)\s*([a-z]+?)s?\s*", value.lower())
    if match is None or match[3] not in _UNITS or match[2] in (".",):
        raise ValueError(f"{value!r} is not a rate such as 20/10s or 10/min")
    period = float(match[2] or 1) * _UNITS[match[3]]
    if period <= 0:
        raise ValueError(f"{value!r} is not a rate: the period must be positive")
    return Rate(int(match[1]), period)


# ------------------------------------------------------------------ counters


def _redis_location() -> str | None:
    """The Redis server of the default cache, or None for an in-process cache."""
    config = settings.CACHES["default"]
    if not str(config.get("BACKEND", "")).endswith("RedisCache"):
        return None
    location = config.get("LOCATION")
    if isinstance(location, list | tuple):
        location = location[0]
    return str(location).split(",")[0]  # several servers: the first takes the writes


_sync_clients: dict[str, Any] = {}
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = weakref.WeakKeyDictionary()
_last_warning = 0.0


def _sync_redis(location: str) -> Any:
    import redis  # only with the Redis cache

    client = _sync_clients.get(location)
    if client is None:
        client = _sync_clients[location] = redis.Redis.from_url(location, socket_timeout=1, socket_connect_timeout=1)
    return client


def _async_redis(location: str) -> Any:
    import redis.asyncio  # only with the Redis cache

    clients = _async_clients.setdefault(asyncio.get_running_loop(), {})
    client = clients.get(location)
    if client is None:
        client = clients[location] = redis.asyncio.Redis.from_url(location, socket_timeout=1, socket_connect_timeout=1)
    return client


def _unavailable(exc: Exception) -> int:
    """A counter that cannot be reached lets the request through; warned once a minute."""
    global _last_warning
    if time.monotonic() - _last_warning > 60:
        _last_warning = time.monotonic()
        logger.warning("rate limit counters unavailable, limits not enforced: %s", exc)
    return 0


def _incr(key: str, ttl: int) -> int:
    location = _redis_location()
    try:
        if location is None:
            cache.add(key, 0, timeout=ttl)
            try:
                return cache.incr(key)
            except ValueError:  # expired between add and incr: a new window
                cache.set(key, 1, timeout=ttl)
                return 1
        full_key = cache.make_key(key)
        pipe = _sync_redis(location).pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, ttl)
        count, _ = pipe.execute()
        return int(count)
    except Exception as exc:
        return _unavailable(exc)


# A sliding log (DRF's SimpleRateThrottle: the times of the requests let through in the last
# ``period``) kept in a Redis sorted set and checked and extended by one script: one round
# trip, where the throttle's own cache.get and cache.set took two (and two simultaneous
# requests could both pass on the same history). Returns -1 for a request let through (and
# logged), else the number logged and the oldest time (for the throttle's wait()).
_SLIDING_LOG_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[3]) then
  return {n, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {-1, ''}
"""
_sliding_log_scripts: dict[str, Any] = {}


def _sliding_log_script(location: str) -> Any:
    script = _sliding_log_scripts.get(location)
    if script is None:
        script = _sliding_log_scripts[location] = _sync_redis(location).register_script(_SLIDING_LOG_SCRIPT)
    return script


def warm_up() -> None:
    """At a web process's start (contactcenter.warmup): the Redis connection of the limits
    opened and the sliding log's script loaded, so that the first request sends one
    EVALSHA, not a connect, an EVALSHA refused and an EVAL. Nothing with the in-process cache."""
    location = _redis_location()
    if location is not None:
        _sync_redis(location).script_load(_SLIDING_LOG_SCRIPT)
        _sliding_log_script(location)


def sliding_log_hit(key: str, limit: int, period: int, now: float) -> tuple[bool, int, float] | None:
    """A request at ``now`` against at most ``limit`` per ``period`` seconds in the sliding
    log ``key`` (a cache key): (let through, requests logged, the oldest's time), or None
    with the in-process cache (the caller keeps its own log). Redis unreachable: let
    through (logged once a minute)."""
    location = _redis_location()
    if location is None:
        return None
    script = _sliding_log_script(location)
    member = f"{now!r}:{os.urandom(4).hex()}"

    def run() -> Any:
        return script(keys=[cache.make_key(key)], args=[repr(now), int(period), int(limit), member])

    client = getattr(cache, "_cache", None)
    if isinstance(client, FailOpenRedisCacheClient):
        # As the throttles' cache reads did: not tried again for a while after a failure.
        result = client._try(run, None)
    else:
        try:
            result = run()
        except Exception as exc:
            result = None
            _unavailable(exc)
    if result is None:
        return (True, 0, now)
    count, oldest = result
    if int(count) < 0:
        return (True, 0, now)
    return (False, int(count), float(oldest))


# Counter hits made on one event loop in the same turn of it go to Redis together: one
# pipeline (one round trip) for all of them instead of one per message (bench/RESULTS.md).
# An item: (full key, ttl, how many hits, the future of the count, or None when nobody waits).
_Hit = tuple[str, int, int, "asyncio.Future[int] | None"]
_incr_batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[_Hit]] = weakref.WeakKeyDictionary()

# Far below its limit a socket's hit is counted without being waited for (``ahit``): the post
# goes on at once and the hit goes to Redis within DEFER_SECONDS, together with the others
# of that time (INCRBY per key: one round trip for many posts). Whether a counter is far
# below its limit is known from Redis's last answer for it in this process plus the hits
# this process sent since (``_answered``, ``_unanswered``); a counter with no answer yet
# (a person's first post in a window) and one past half its limit are waited for, as every
# hit was before, so a limit is still exact for one process and overshot across processes
# only by what a person posts elsewhere within one DEFER_SECONDS at half the limit.
DEFER_SECONDS = 0.2
KNOWN_MAX = 20_000  # counters remembered; past that all are forgotten (then waited for again)
_deferred: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, list[int]]] = weakref.WeakKeyDictionary()
_answered: dict[str, int] = {}
_unanswered: dict[str, int] = {}


async def _aincr(location: str, full_key: str, ttl: int) -> int:
    """Count a hit of ``full_key`` (the cache's key, ``cache.make_key``) on the Redis server at
    ``location`` and wait for the count."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[int] = loop.create_future()
    # Hits of this key still waiting to be sent go with this one: its count is then exact.
    waiting = _deferred.get(loop, {}).pop(full_key, None)
    amount = 1 + (waiting[1] if waiting else 0)
    _unanswered[full_key] = _unanswered.get(full_key, 0) + 1
    _batch_add(loop, location, (full_key, ttl, amount, future))
    return await future


def _batch_add(loop: asyncio.AbstractEventLoop, location: str, hit: _Hit) -> None:
    batch = _incr_batches.get(loop)
    if batch is None:
        batch = _incr_batches[loop] = []
        loop.call_soon(_flush_start, loop, location)
    batch.append(hit)


def _deferrable(full_key: str, rate: Rate) -> bool:
    """Whether a hit of ``full_key`` is sure to be within ``rate`` without asking Redis."""
    answered = _answered.get(full_key)
    return answered is not None and answered + _unanswered.get(full_key, 0) + 1 <= rate.limit // 2


def _incr_later(full_key: str, ttl: int) -> None:
    """Count a hit of ``full_key`` within DEFER_SECONDS, without waiting for its answer."""
    loop = asyncio.get_running_loop()
    deferred = _deferred.get(loop)
    if deferred is None:
        deferred = _deferred[loop] = {}
        loop.call_later(DEFER_SECONDS, _deferred_send, loop)
    entry = deferred.setdefault(full_key, [ttl, 0])
    entry[1] += 1
    _unanswered[full_key] = _unanswered.get(full_key, 0) + 1


def _deferred_send(loop: asyncio.AbstractEventLoop) -> None:
    deferred = _deferred.pop(loop, {})
    location = _redis_location()
    if location is None:
        return
    for full_key, (ttl, amount) in deferred.items():
        _batch_add(loop, location, (full_key, ttl, amount, None))


def _flush_start(loop: asyncio.AbstractEventLoop, location: str) -> None:
    batch = _incr_batches.pop(loop, [])
    if batch:
        task = loop.create_task(_incr_flush(location, batch))
        _flushing.add(task)
        task.add_done_callback(_flushing.discard)


_flushing: set[asyncio.Task[None]] = set()


# Every counter of a flush in one command: INCRBY per key, and EXPIRE for a key that this
# hit made (its count is its own amount: new in this window, or gone and made again), so a
# counter always gets its lifetime from the hit that makes it, whichever process that is.
# One EVALSHA instead of a pipeline of a command or two per key: redis-py builds and parses
# each command in Python, and the flush was ~5% of the event loop's time at 300 msg/s
# (bench/RESULTS.md, session 15). ARGV: amount and lifetime of each key, in KEYS' order.
_INCR_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  local amount = tonumber(ARGV[2 * i - 1])
  local count = redis.call('INCRBY', key, amount)
  if count == amount then
    redis.call('EXPIRE', key, ARGV[2 * i])
  end
  counts[i] = count
end
return counts
"""
_incr_scripts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = weakref.WeakKeyDictionary()


def _incr_script(location: str) -> Any:
    scripts = _incr_scripts.setdefault(asyncio.get_running_loop(), {})
    script = scripts.get(location)
    if script is None:
        script = scripts[location] = _async_redis(location).register_script(_INCR_SCRIPT)
    return script


async def _incr_flush(location: str, batch: list[_Hit]) -> None:
    # One key per hit of the batch (a key deferred and then waited for is merged by _aincr;
    # the same key twice, each counted in turn, is still right).
    args: list[int] = []
    for _full_key, ttl, amount, _future in batch:
        args += (amount, ttl)
    try:
        counts = [int(count) for count in await _incr_script(location)(keys=[hit[0] for hit in batch], args=args)]
    except Exception as exc:
        counts = [_unavailable(exc)] * len(batch)
    if len(_answered) > KNOWN_MAX:
        _answered.clear()
    for (full_key, _ttl, amount, future), count in zip(batch, counts, strict=True):
        _answered[full_key] = max(count, _answered.get(full_key, 0))
        left = _unanswered.get(full_key, 0) - amount
        if left > 0:
            _unanswered[full_key] = left
        else:
            _unanswered.pop(full_key, None)
        if future is not None and not future.done():
            future.set_result(count)


def _window(name: str, rate: Rate) -> tuple[str, int, float]:
    """The counter key of the current window, its lifetime, and the seconds it has left."""
    now = clock.timestamp()
    index = math.floor(now / rate.period)
    left = (index + 1) * rate.period - now
    return f"cc:rl:{name}:{index}", math.ceil(rate.period) + 1, left


# The Redis server and the cache's key of each counter key, remembered: ``cache.make_key``
# goes through Django's per-context cache proxy, and the socket path asks for every post
# (bench/RESULTS.md, sessions 14-15: 2-5% of the event loop). Forgotten when CACHES change.
_locations: dict[str, tuple[str | None, str]] = {}


def _located(key: str) -> tuple[str | None, str]:
    """(the Redis server of the cache or None, the cache's key) of the counter ``key``."""
    located = _locations.get(key)
    if located is None:
        if len(_locations) > KNOWN_MAX:
            _locations.clear()
        location = _redis_location()
        located = _locations[key] = (location, cache.make_key(key) if location is not None else key)
    return located


@receiver(setting_changed)
def _caches_changed(setting: str, **_kwargs: Any) -> None:
    if setting == "CACHES":
        _locations.clear()


def hit(name: str, rate: Rate | None) -> float | None:
    """Count one request against ``rate`` under ``name``. None while within the limit,
    else the seconds until it may be tried again."""
    if rate is None:
        return None
    key, ttl, left = _window(name, rate)
    return left if _incr(key, ttl) > rate.limit else None


async def ahit(name: str, rate: Rate | None) -> float | None:
    """``hit`` for the event loop: never blocks it on Redis."""
    if rate is None:
        return None
    key, ttl, left = _window(name, rate)
    location, full_key = _located(key)
    if location is None:
        return left if _incr(key, ttl) > rate.limit else None  # an in-process cache: no I/O to wait for
    if _deferrable(full_key, rate):
        _incr_later(full_key, ttl)  # far below the limit: counted, not waited for (DEFER_SECONDS)
        return None
    return left if await _aincr(location, full_key, ttl) > rate.limit else None


# ------------------------------------------------------------------ messages and uploads


def _who(principal: Any) -> tuple[str, int]:
    """("staff", id) or ("visitor", id): one limit per person, whatever socket or path."""
    return ("staff", principal.pk) if isinstance(principal, Staff) else ("visitor", principal.pk)


def _message_rate(kind: str) -> Rate | None:
    return parse_rate(settings.CC_STAFF_MESSAGE_RATE if kind == "staff" else settings.CC_VISITOR_MESSAGE_RATE)


def _upload_rate(kind: str) -> Rate | None:
    return parse_rate(settings.CC_STAFF_UPLOAD_RATE if kind == "staff" else settings.CC_VISITOR_UPLOAD_RATE)


def _too_fast(what: str, wait: float) -> RateLimited:
    seconds = max(1, math.ceil(wait))
    if what == "files":
        text = ngettext(
            "You are sending files too fast. Wait %(seconds)d second and try again.",
            "You are sending files too fast. Wait %(seconds)d seconds and try again.",
            seconds,
        )
    else:
        text = ngettext(
            "You are sending messages too fast. Wait %(seconds)d second and try again.",
            "You are sending messages too fast. Wait %(seconds)d seconds and try again.",
            seconds,
        )
    return RateLimited(text % {"seconds": seconds}, retry_after=seconds)


def message_rate_check(principal: Any) -> None:
    """Count a message by ``principal`` (Staff or Visitor); raises RateLimited past the
    limit. Called before anything is stored."""
    kind, pk = _who(principal)
    wait = hit(f"msg:{kind}:{pk}", _message_rate(kind))
    if wait is not None:
        raise _too_fast("messages", wait)


async def amessage_rate_check(kind: str, pk: int) -> None:
    """``message_rate_check`` on the event loop, for the socket of ``kind`` ("staff" or
    "visitor") ``pk``: one cache round trip, awaited."""
    wait = await ahit(f"msg:{kind}:{pk}", _message_rate(kind))
    if wait is not None:
        raise _too_fast("messages", wait)


def upload_rate_check(principal: Any) -> None:
    """Count a file upload by ``principal``; raises RateLimited past the limit."""
    kind, pk = _who(principal)
    wait = hit(f"upload:{kind}:{pk}", _upload_rate(kind))
    if wait is not None:
        raise _too_fast("files", wait)


# ------------------------------------------------------------------ login lockout
# Keyed by a hash of the email as typed (lower-cased), whether or not such an account
# exists, so that the answers do not tell which emails are accounts.

_FAILURES_TTL = 24 * 3600  # failures are forgotten about a day later


def _account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _lockout_seconds(failures: int) -> int:
    over = failures - settings.CC_LOGIN_LOCKOUT_FAILURES
    base, cap = settings.CC_LOGIN_LOCKOUT_BASE_SECONDS, settings.CC_LOGIN_LOCKOUT_MAX_SECONDS
    return int(min(cap, base * 2 ** min(over, 32)))


def login_lockout_check(email: str) -> None:
    """Raise RateLimited while logins for ``email`` are locked out. Checked before the
    password, so a locked account does not reveal whether a guess was right."""
    if settings.CC_LOGIN_LOCKOUT_FAILURES <= 0:
        return
    try:
        until = cache.get(f"cc:login-lock:{_account_key(email)}")
    except Exception as exc:
        _unavailable(exc)
        return
    wait = float(until) - clock.now().timestamp() if until is not None else 0.0
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(
            f"Too many failed logins for this account. Try again in {seconds} second{'s' if seconds != 1 else ''}.",
            retry_after=seconds,
            code="login_locked",
        )


def login_failure_record(email: str) -> None:
    """Count a failed login for ``email``; from the configured number of failures on, lock
    the account out for a time that doubles with each further failure, up to the cap."""
    if settings.CC_LOGIN_LOCKOUT_FAILURES <= 0:
        return
    key = _account_key(email)
    failures = _incr(f"cc:login-failures:{key}", _FAILURES_TTL)
    if failures >= settings.CC_LOGIN_LOCKOUT_FAILURES:
        seconds = _lockout_seconds(failures)
        try:
            cache.set(f"cc:login-lock:{key}", clock.now().timestamp() + seconds, timeout=seconds + 1)
        except Exception as exc:
            _unavailable(exc)


def login_success_record(email: str) -> None:
    """A successful login ends the account's count of failures."""
    if settings.CC_LOGIN_LOCKOUT_FAILURES <= 0:
        return
    key = _account_key(email)
    try:
        cache.delete_many([f"cc:login-failures:{key}", f"cc:login-lock:{key}"])
    except Exception as exc:
        _unavailable(exc)
