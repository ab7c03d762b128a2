"""The per-process caches of values that change rarely and are read on hot paths, over cachetools.

``ttl_cache(maxsize, seconds)`` makes a ``TTLCache``; ``get_or_load(cache, key, load)`` reads it under
the cache's lock (TTLCache is not thread-safe; the web workers are threaded) and loads outside it, so a
slow load never blocks other keys. ``clear_all()`` empties every cache made here (tests, the demo).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import TTLCache

T = TypeVar("T")
_CACHES: list[tuple[TTLCache, threading.Lock]] = []
_LOCKS: dict[int, threading.Lock] = {}


def ttl_cache(maxsize: int, seconds: float) -> TTLCache:
    cache: TTLCache = TTLCache(maxsize=maxsize, ttl=seconds)
    lock = threading.Lock()
    _CACHES.append((cache, lock))
    _LOCKS[id(cache)] = lock
    return cache


def get_or_load(cache: TTLCache, key: Any, load: Callable[[], T], *, keep: Callable[[T], bool] = bool) -> T:
    """The cached value of ``key``, or ``load()`` stored when ``keep(value)`` (by default: when not empty)."""
    lock = _LOCKS[id(cache)]
    with lock:
        try:
            return cache[key]
        except KeyError:
            pass
    value = load()
    if keep(value):
        with lock:
            cache[key] = value
    return value


def clear(cache: TTLCache) -> None:
    with _LOCKS[id(cache)]:
        cache.clear()


def clear_all() -> None:
    for cache, lock in _CACHES:
        with lock:
            cache.clear()
