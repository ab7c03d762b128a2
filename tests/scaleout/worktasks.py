"""Tasks for the worker tests, run by real ``huey_consumer`` processes on a Redis queue of the test's own
(``RS_QUEUE_NAME`` on ``RS_REDIS_URL``), with the platform's queue class. Their effects are Redis keys
under the queue name, so the test reads what each worker did."""

from __future__ import annotations

import os

import redis
from huey import crontab

from regshare.core.queue import RegshareRedisHuey

NAME = os.environ["RS_QUEUE_NAME"]
HUEY = RegshareRedisHuey(NAME, url=os.environ["RS_REDIS_URL"], lease_seconds=int(os.environ.get("RS_LEASE", "2")))
R = redis.Redis.from_url(os.environ["RS_REDIS_URL"])


@HUEY.task()
def record(job: str, hold: bool = False) -> str:
    """Idempotent: the effect is a set member and a key set to a fixed value, so running twice changes nothing.
    With ``hold``, the first attempt waits for the test to release it (the test kills its worker instead)."""
    attempt = R.rpush(f"{NAME}:attempts:{job}", os.getpid())
    if hold and attempt == 1:
        R.blpop([f"{NAME}:release:{job}"], timeout=120)
    R.sadd(f"{NAME}:effects", job)
    R.set(f"{NAME}:done:{job}", "ok")
    return job


@HUEY.periodic_task(crontab(minute="*"))
def tick() -> None:
    R.rpush(f"{NAME}:ticks", os.getpid())
