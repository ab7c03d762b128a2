"""Workers on Redis (real Redis, db 13, and real ``huey_consumer`` processes): a task whose worker is killed
mid-run is re-queued and finishes; several workers share the queue and only one schedules periodic tasks."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

REDIS_URL = os.environ.get("REGSHARE_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"


@pytest.fixture(scope="module")
def r():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        # A developer's `make test` without Redis may skip; CI (.ci/run starts it) must run it.
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return client


@pytest.fixture
def queue(r, monkeypatch):
    """A queue of its own for the test, the tasks module imported against it, and a way to start workers."""
    name = f"rs-test-{uuid.uuid4().hex[:10]}"
    env = dict(os.environ, RS_QUEUE_NAME=name, RS_REDIS_URL=REDIS_URL, RS_LEASE="2",
               PYTHONPATH=os.pathsep.join([str(HERE), str(SRC), os.environ.get("PYTHONPATH", "")]))
    for key in ("RS_QUEUE_NAME", "RS_REDIS_URL", "RS_LEASE"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.syspath_prepend(str(HERE))
    sys.modules.pop("worktasks", None)
    tasks = importlib.import_module("worktasks")
    workers: list[subprocess.Popen] = []

    def start(*options: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "huey.bin.huey_consumer", "worktasks.HUEY", "-k", "thread", *options],
            env=env, cwd=str(HERE), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        workers.append(process)
        return process

    yield tasks, start
    for process in workers:
        if process.poll() is None:
            process.kill()
        process.wait(10)
    sys.modules.pop("worktasks", None)
    for pattern in (f"{name}:*", f"{tasks.HUEY.storage.queue_key}*", f"huey.*{tasks.HUEY.storage.name}*"):
        for key in r.scan_iter(match=pattern):
            r.delete(key)


def wait_until(check, seconds: float = 60, what: str = "") -> None:
    """Poll for an outcome the workers produce (waits for an event; measures nothing)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not reached in {seconds}s: {what}")


def pids(r, key: str) -> list[int]:
    return [int(x) for x in r.lrange(key, 0, -1)]


def test_task_of_a_killed_worker_is_requeued_and_finishes_once(r, queue):
    tasks, start = queue
    name = tasks.NAME
    first = start("-w", "1", "-n")
    tasks.record("load-1", hold=True)
    wait_until(lambda: r.llen(f"{name}:attempts:load-1") == 1, what="the first worker took the task")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert r.get(f"{name}:done:load-1") is None  # it died in the middle

    second = start("-w", "1", "-n")
    wait_until(lambda: r.get(f"{name}:done:load-1") == b"ok", what="the task ran again on the second worker")
    assert pids(r, f"{name}:attempts:load-1") == [first.pid, second.pid]
    assert r.smembers(f"{name}:effects") == {b"load-1"}
    storage = tasks.HUEY.storage
    assert r.llen(storage.queue_key) == 0
    # The dead worker's list was emptied by the recovery, the second worker's by the acknowledgement.
    wait_until(lambda: not any(r.llen(k) for k in r.scan_iter(match=f"{storage.queue_key}.processing.*")),
               what="processing lists empty")


def test_several_workers_share_the_queue_and_one_schedules_periodic_tasks(r, queue):
    tasks, start = queue
    name, queue_key = tasks.NAME, tasks.HUEY.storage.queue_key
    workers = [start("-w", "2") for _ in range(3)]
    wait_until(lambda: len(list(r.scan_iter(match=f"{queue_key}.alive.*"))) == 3, what="three live workers")
    # Six tasks that each hold their thread until released: all six start only if all three workers
    # (two threads each) take some.
    jobs = [f"job-{i}" for i in range(6)]
    for job in jobs:
        tasks.record(job, hold=True)
    wait_until(lambda: sum(r.llen(f"{name}:attempts:{job}") for job in jobs) == 6, what="six tasks running")
    for job in jobs:
        r.rpush(f"{name}:release:{job}", 1)
    wait_until(lambda: r.scard(f"{name}:effects") == len(jobs), what="all jobs done")
    ran_on = [p for job in jobs for p in pids(r, f"{name}:attempts:{job}")]
    assert len(ran_on) == 6  # nobody died: each ran once
    assert sorted(set(ran_on)) == sorted(w.pid for w in workers)
    # Each of the three schedulers checked the periodic tasks when it started; one of them holds the lease
    # and only it enqueued the every-minute task.
    ticks = pids(r, f"{name}:ticks")
    leader = r.get(f"{queue_key}.periodic-leader").decode()
    assert leader.split(":")[1] in {str(w.pid) for w in workers}
    assert len(ticks) == 1


def test_a_worker_recovers_the_tasks_of_a_dead_worker_at_start(r, queue):
    """Without any worker process: a processing list whose owner has no lease goes back on the queue."""
    tasks, _ = queue
    storage = tasks.HUEY.storage
    tasks.record("orphan")
    message = r.rpop(storage.queue_key)
    r.lpush(storage.processing_key("gone-host:1:dead"), message)
    r.lpush(storage.processing_key("live-host:2:alive"), b"kept")
    r.set(storage.alive_key("live-host:2:alive"), "1", ex=30)
    assert storage.requeue_orphans() == 1
    assert r.lrange(storage.queue_key, 0, -1) == [message]
    assert r.lrange(storage.processing_key("live-host:2:alive"), 0, -1) == [b"kept"]
    task = tasks.HUEY.dequeue()
    assert task.args == ("orphan",)


def test_enqueueing_starts_no_lease(r, queue):
    """Web processes only enqueue: they never appear as workers whose tasks could be recovered."""
    tasks, _ = queue
    tasks.record("x")
    assert list(r.scan_iter(match=f"{tasks.HUEY.storage.queue_key}.alive.*")) == []


def test_redis_url_selects_the_reliable_queue(r, tmp_path):
    env = dict(os.environ, REDIS_URL=REDIS_URL, REGSHARE_DATA_DIR=str(tmp_path), REGSHARE_WORKER_LEASE_SECONDS="45",
               DJANGO_SETTINGS_MODULE="regshare.settings", PYTHONPATH=str(SRC))
    code = ("import django; django.setup(); from huey.contrib.djhuey import HUEY; "
            "print(type(HUEY).__name__, HUEY.storage.lease_seconds, HUEY.immediate)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["RegshareRedisHuey", "45", "False"], out.stderr


def test_worker_command_can_run_without_the_scheduler(monkeypatch):
    from django.core import management

    from regshare import cli

    calls = []
    monkeypatch.setattr(management, "call_command", lambda *a, **k: calls.append((a, k)))
    args = cli.build_parser().parse_args(["worker", "--workers", "4", "--no-periodic"])
    args.func(args)
    args = cli.build_parser().parse_args(["worker"])
    args.func(args)
    assert [kwargs for _, kwargs in calls] == [{"workers": 4, "periodic": False}, {"workers": 2, "periodic": True}]
    assert all(type(args[0]).__module__.endswith("run_huey") for args, _ in calls)
