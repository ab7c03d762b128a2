"""The task queue on Redis for several workers: no task is lost when a worker dies, and only one worker
enqueues the periodic tasks.

huey's Redis storage pops a message off the queue before running it, so a worker killed mid-task
(``kill -9``, out of memory, a machine that went away) takes the task with it. Here a worker moves each
message atomically (``BLMOVE``) from the queue into a *processing* list of its own process, and removes it
only when the task has finished (completed, failed, was re-scheduled or revoked). Each worker process
keeps a lease key alive in Redis; any worker that finds a processing list whose lease has expired puts
its messages back on the queue. The tasks of the platform are therefore written to be idempotent
(a load that is already finished is not run again, a version that is already converted is skipped...):
a task that dies after its effect but before its acknowledgement runs a second time.

Periodic tasks: every consumer may run a scheduler, but only the holder of a lease in Redis (taken by the
first and renewed on each minute's check) returns periodic tasks from ``read_periodic``; when it dies,
another takes over within ``PERIODIC_LEASE_SECONDS``. ``regshare worker --no-periodic`` runs a worker
without a scheduler at all.

Nothing here imports Django: the module is loaded while Django reads its settings.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from huey import RedisHuey
from huey import signals as S
from huey.storage import RedisStorage

log = logging.getLogger("huey")

PERIODIC_LEASE_SECONDS = 150  # more than two of the scheduler's 60-second checks

# Acquire the lease, or renew it when this owner holds it already.
_TAKE_LEASE = """
local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  return 1
end
return 0
"""


class ReliableRedisStorage(RedisStorage):
    """huey's Redis storage with an acknowledged queue (see the module's docstring)."""

    def __init__(self, name: str = "huey", *, lease_seconds: int | None = None, **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.lease_seconds = int(lease_seconds or os.environ.get("REGSHARE_WORKER_LEASE_SECONDS", "30"))
        self._local = threading.local()
        self._owner_pid: int | None = None
        self._owner = ""
        self._heartbeat: threading.Thread | None = None
        self._lock = threading.RLock()

    # -- identity of this worker process (a forked worker gets its own) --------------------------------
    @property
    def owner(self) -> str:
        pid = os.getpid()
        if self._owner_pid != pid:
            # Worker threads start together: one name per process, or a second name would have no lease
            # and its tasks would be "recovered" by the other workers while they run.
            with self._lock:
                if self._owner_pid != pid:
                    self._owner = f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:8]}"
                    self._heartbeat = None
                    self._owner_pid = pid
        return self._owner

    def processing_key(self, owner: str | None = None) -> str:
        return f"{self.queue_key}.processing.{owner or self.owner}"

    def alive_key(self, owner: str | None = None) -> str:
        return f"{self.queue_key}.alive.{owner or self.owner}"

    def periodic_key(self) -> str:
        return f"{self.queue_key}.periodic-leader"

    # -- queue -----------------------------------------------------------------------------------------
    def dequeue(self):
        self._start_heartbeat()
        if self.blocking:
            data = self.conn.blmove(self.queue_key, self.processing_key(), self.read_timeout, "RIGHT", "LEFT")
        else:
            data = self.conn.lmove(self.queue_key, self.processing_key(), "RIGHT", "LEFT")
        self._local.message = data
        return data

    def acknowledge(self) -> None:
        """The message this thread dequeued last has been dealt with: it leaves the processing list."""
        data = getattr(self._local, "message", None)
        self._local.message = None
        if data is not None:
            self.conn.lrem(self.processing_key(), -1, data)

    def forget_current(self) -> None:
        """Leave the current message in the processing list (the worker is stopping in the middle of it):
        it is put back on the queue once this process's lease has run out."""
        self._local.message = None

    def flush_queue(self) -> None:
        super().flush_queue()
        for key in self.conn.scan_iter(match=f"{self.queue_key}.processing.*"):
            self.conn.delete(key)

    # -- leases and recovery ---------------------------------------------------------------------------
    def _start_heartbeat(self) -> None:
        owner = self.owner
        if self._heartbeat is not None:
            return
        with self._lock:
            if self._heartbeat is not None:
                return
            self.conn.set(self.alive_key(owner), "1", ex=self.lease_seconds)
            self.requeue_orphans()
            self._heartbeat = threading.Thread(target=self._beat, args=(owner,), name="regshare-lease",
                                               daemon=True)
            self._heartbeat.start()

    def _beat(self, owner: str) -> None:
        period = max(self.lease_seconds / 3, 0.5)
        stop = threading.Event()
        while not stop.wait(period):
            if self._owner != owner:
                return
            try:
                self.conn.set(self.alive_key(owner), "1", ex=self.lease_seconds)
                self.requeue_orphans()
            except Exception:  # Redis away for a moment: the next beat tries again
                log.warning("worker lease not renewed", exc_info=True)

    def requeue_orphans(self) -> int:
        """Put back on the queue the messages of worker processes whose lease has run out; returns how many."""
        moved = 0
        prefix = f"{self.queue_key}.processing."
        for key in self.conn.scan_iter(match=f"{prefix}*"):
            key = key.decode() if isinstance(key, bytes) else key
            owner = key[len(prefix):]
            if owner == self._owner or self.conn.exists(self.alive_key(owner)):
                continue
            # LMOVE is atomic per message, so two workers recovering the same list never double a message.
            while self.conn.lmove(key, self.queue_key, "LEFT", "RIGHT") is not None:
                moved += 1
        if moved:
            log.warning("re-queued %d task(s) of stopped worker(s)", moved)
        return moved

    def take_periodic_lease(self, seconds: int = PERIODIC_LEASE_SECONDS) -> bool:
        return bool(self.conn.eval(_TAKE_LEASE, 1, self.periodic_key(), self.owner, int(seconds)))


class RegshareRedisHuey(RedisHuey):
    """``RedisHuey`` on ``ReliableRedisStorage``: tasks are acknowledged after they ran, periodic tasks come
    from one scheduler at a time."""

    storage_class = ReliableRedisStorage

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A worker stopped gracefully in the middle of a task (SIGTERM twice, or the grace period over)
        # leaves it for recovery instead of acknowledging it.
        self.signal(S.SIGNAL_INTERRUPTED)(self._interrupted)

    def _interrupted(self, signal, task, *args, **kwargs) -> None:
        if isinstance(self.storage, ReliableRedisStorage):
            self.storage.forget_current()

    def _acknowledge(self) -> None:
        # Immediate mode (tests, a district without Redis) swaps in huey's memory storage, which has no queue.
        if isinstance(self.storage, ReliableRedisStorage):
            self.storage.acknowledge()

    def dequeue(self):
        try:
            return super().dequeue()
        except Exception:
            # A message no worker can read would otherwise come back from recovery for ever.
            self._acknowledge()
            raise

    def execute(self, task, timestamp=None):
        try:
            return super().execute(task, timestamp)
        finally:
            # Every outcome (done, failed, re-queued for a retry by huey itself, scheduled for later,
            # revoked, expired) means this copy of the message is dealt with.
            self._acknowledge()

    def read_periodic(self, timestamp):
        if not isinstance(self.storage, ReliableRedisStorage):
            return super().read_periodic(timestamp)
        try:
            leader = self.storage.take_periodic_lease()
        except Exception:
            log.warning("periodic lease not reachable; skipping this minute", exc_info=True)
            return []
        return super().read_periodic(timestamp) if leader else []
