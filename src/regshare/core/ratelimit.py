"""Rate limits and the counting of rejected API tokens, kept in Django's cache.

Fixed windows: a counter per key and window, which expires with the window. With the default
in-process cache each server process counts on its own; with REDIS_URL all processes share one count.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

from . import audit

# Tests replace the clock so that a window can be made to pass without waiting.
clock: Callable[[], float] = time.time


class RateLimited(Exception):
    """Too many requests; ``retry_after`` is the number of seconds until the window ends (a message
    may name it as ``{retry_after}``)."""

    def __init__(self, retry_after: int, message: str = "") -> None:
        self.retry_after = retry_after
        self.message = (message or "请求过于频繁,请 {retry_after} 秒后再试。").format(retry_after=retry_after)
        super().__init__(self.message)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


def hit(scope: str, key: str, rate: tuple[int, int]) -> Verdict:
    """Count one request of ``key`` against ``rate`` = (requests, seconds); a limit of 0 is no limit."""
    limit, window = rate
    if limit <= 0:
        return Verdict(True)
    now = clock()
    start = int(now // window) * window
    cache_key = f"rl:{scope}:{key}:{start}"
    # add() is a no-op when the key exists, so concurrent first hits do not reset each other's count.
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    if count <= limit:
        return Verdict(True)
    return Verdict(False, max(1, int(start + window - now + 0.999)))


def check(scope: str, key: str, rate: tuple[int, int], message: str = "") -> None:
    """Like :func:`hit`, but raises :class:`RateLimited` when over the limit."""
    verdict = hit(scope, key, rate)
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after, message)


REJECTED_TOKEN_WINDOW = 60
KEEP_REJECTED_COUNTS = 24 * 3600


def note_rejected_token(source: str, actor: str, reason: str, target: object) -> None:
    """Audit rejected bearer tokens at most once per source and minute.

    Someone trying tokens can send thousands a minute; a chain record for each would grow the audit
    chain without bound. The first rejection of a minute is recorded at once (so that an attack is
    visible while it runs), together with how many rejections the same source had in its previous
    active minute; the rejections in between are only counted.
    """
    minute = int(clock() // REJECTED_TOKEN_WINDOW)
    counter = f"token-rejected:{source}:{minute}"
    # add() succeeds for exactly one request per source and minute: that one writes the record.
    if not cache.add(counter, 1, timeout=KEEP_REJECTED_COUNTS):
        try:
            cache.incr(counter)
        except ValueError:
            cache.set(counter, 1, timeout=KEEP_REJECTED_COUNTS)
        return
    detail: dict = {"reason": reason, "source": source}
    last_key = f"token-rejected-last:{source}"
    last_minute = cache.get(last_key)
    if last_minute is not None and last_minute != minute:
        count = cache.get(f"token-rejected:{source}:{last_minute}")
        if count:
            detail["previous_minute"] = {"at": last_minute * REJECTED_TOKEN_WINDOW, "count": count}
    cache.set(last_key, minute, timeout=KEEP_REJECTED_COUNTS)
    audit.record(actor, "token.rejected", target, detail)
