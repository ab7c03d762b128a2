"""The tamper-evident audit chain.

Each record's hash covers its own content and the previous record's hash. Appends lock the
single ``AuditHead`` row (PostgreSQL: SELECT … FOR UPDATE; SQLite: the IMMEDIATE transaction
already holds the write lock), so concurrent processes queue instead of forking the chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .models import AuditHead, AuditRecord

GENESIS = "0" * 64
SYSTEM_ACTOR = "system"
logger = logging.getLogger(__name__)


def _hasher():
    algorithm = settings.REGSHARE_AUDIT_HASH.lower()
    if algorithm not in {"sha256", "sm3"}:
        raise ValueError(f"不支持的审计哈希算法: {algorithm}(可选 sha256 或 sm3)")
    return lambda data: hashlib.new(algorithm, data).hexdigest()


def actor_name(actor: Any) -> str:
    """How an actor is written everywhere (audit records, event logs, check records): ``user:<name>``,
    ``token:<prefix>@<department code>``, or the system actor."""
    if actor is None:
        return SYSTEM_ACTOR
    if isinstance(actor, str):
        return actor
    token = getattr(actor, "token", None)
    user = getattr(actor, "user", None)
    if token is not None:
        return f"token:{token.prefix}@{token.department.code}"
    if user is not None:
        actor = user
    username = getattr(actor, "username", None)
    if username:
        return f"user:{username}"
    return str(actor)




def _target_name(target: Any) -> str:
    if target is None:
        return ""
    if isinstance(target, str):
        return target[:300]
    meta = getattr(target, "_meta", None)
    if meta is not None:
        return f"{meta.label_lower}:{target.pk}"[:300]
    return str(target)[:300]


def _payload(seq: int, created_at: str, actor: str, action: str, target: str, detail: str, prev: str) -> bytes:
    return "\x1f".join((str(seq), created_at, actor, action, target, detail, prev)).encode()


def record(actor: Any, action: str, target: Any = None, detail: dict | None = None) -> AuditRecord:
    """Append one record. Call it inside the service's transaction so change and record commit together."""
    entry = _entry(actor, action, target, detail)
    # Plain SQL rather than the ORM: appending is on the path of every audited request, and the
    # three statements below are all it needs.
    with transaction.atomic(), connection.cursor() as cursor:
        prev_seq, prev_hash = _lock_head(cursor)
        created_at = timezone.now()
        row = _chain_row(prev_seq + 1, entry, prev_hash, created_at)
        cursor.execute(f"{_INSERT} RETURNING id", list(row))
        pk = cursor.fetchone()[0]
        cursor.execute(f"UPDATE {AuditHead._meta.db_table} SET seq = %s, hash = %s WHERE id = 1", [row[0], row[-1]])
    return AuditRecord(pk=pk, seq=row[0], created_at=created_at, actor=entry.actor, action=entry.action,
                       target=entry.target, detail=entry.detail, prev_hash=prev_hash, hash=row[-1])


_INSERT = (f"INSERT INTO {AuditRecord._meta.db_table} (seq, created_at, actor, action, target, detail, prev_hash, "
           "hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)")


@dataclass(frozen=True)
class _Entry:
    actor: str
    action: str
    target: str
    detail: str
    # A record of the act itself (a credit check) inserted in the same transaction, just before the
    # entry; the entry's target is then that row ("app.model:<pk>").
    row: Any = field(default=None, compare=False)


def _detail_text(detail: dict | None) -> str:
    return json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)


def _entry(actor: Any, action: str, target: Any, detail: dict | None) -> _Entry:
    return _Entry(actor_name(actor)[:150], action[:80], _target_name(target), _detail_text(detail))


def _lock_head(cursor) -> tuple[int, str]:
    """The chain head, locked until the transaction ends (PostgreSQL: FOR UPDATE; SQLite: the
    IMMEDIATE transaction already holds the write lock)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT seq, hash FROM {AuditHead._meta.db_table} WHERE id = 1{lock}"
    cursor.execute(sql)
    row = cursor.fetchone()
    if row is None:
        AuditHead.objects.get_or_create(pk=1)
        cursor.execute(sql)
        row = cursor.fetchone()
    return row


def _chain_row(seq: int, entry: _Entry, prev_hash: str, created_at: dt.datetime) -> tuple:
    hash_ = _hasher()(_payload(seq, created_at.isoformat(), entry.actor, entry.action, entry.target, entry.detail,
                               prev_hash))
    return (seq, connection.ops.adapt_datetimefield_value(created_at), entry.actor, entry.action, entry.target,
            entry.detail, prev_hash, hash_)


# ----------------------------------------------------------------------------- group commit

# Set by the platform's ASGI handler (regshare.asgi) around each request: the records the request's
# data reads produced, which the handler hands to the group writer and waits for before it answers.
DEFERRED: ContextVar[list[_Entry] | None] = ContextVar("regshare_audit_deferred", default=None)
MAX_BATCH = 500
LINGER_SECONDS = float(os.environ.get("REGSHARE_AUDIT_LINGER_MS", "2")) / 1000


def record_deferred(actor: Any, action: str, target: Any = None, detail: dict | None = None) -> None:
    """Append a record that no data change has to commit with (a read of data, for instance).

    Under the platform's ASGI handler the record goes to this process's group writer, which appends
    whatever records are waiting in one transaction, and the handler holds the response until that
    commit: nothing leaves unrecorded, and concurrent requests share one chain-lock and commit instead
    of taking turns for one each. Anywhere else (tests, commands, inside a transaction) it is written
    at once by ``record``."""
    pending = DEFERRED.get()
    if pending is None or connection.in_atomic_block:
        record(actor, action, target, detail)
        return
    pending.append(_entry(actor, action, target, detail))


def commit_deferred(entries: list[_Entry]) -> asyncio.Future:
    """Hand a request's records to the group writer; the future is done once they are committed."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    _group_writer().queue.put((entries, loop, done))
    return done


class AuditUnavailable(Exception):
    """The audit record of an act could not be written, so the act was not done (the API answers 503)."""

    code = "audit_unavailable"

    def __init__(self, message: str = "审计记录写入失败,本次操作未完成,请稍后重试") -> None:
        super().__init__(message)
        self.message = message


class _Waiter:
    """A request thread waiting for the group writer (``record_row``), where ``commit_deferred`` waits on
    an event loop's future."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.error: BaseException | None = None

    def settle(self, error: BaseException | None) -> None:
        self.error = error
        self.event.set()


ROW_WAIT_SECONDS = 10.0


def record_row(actor: Any, action: str, instance: Any, detail: dict | None = None) -> Any:
    """Insert ``instance`` (the record of an act that changes nothing else: a credit check) and append its
    audit record, whose target is that row, in one transaction; return the saved instance.

    Outside a transaction (a request), the pair goes to this process's group writer with the other
    requests' records and this thread waits for the commit: concurrent requests share one chain lock and
    one commit instead of queueing for one each. Inside a transaction both are written at once, in it. Either way both rows commit together or not
    at all; if they cannot be written, ``AuditUnavailable`` is raised and nothing was recorded."""
    if connection.in_atomic_block:
        try:
            with write_turn(), transaction.atomic():
                from .prepared import insert

                insert(instance)
                record(actor, action, instance, detail)
        except DatabaseError as exc:
            raise AuditUnavailable() from exc
        return instance
    waiter = _Waiter()
    _group_writer().queue.put(([_Entry(actor_name(actor)[:150], action[:80], "", _detail_text(detail), instance)],
                               None, waiter))
    if not waiter.event.wait(ROW_WAIT_SECONDS):
        logger.error("审计记录批量写入超时")
        raise AuditUnavailable()
    if waiter.error is not None:
        raise AuditUnavailable() from waiter.error
    return instance


def _settle(futures: list[asyncio.Future], error: BaseException | None) -> None:
    for future in futures:
        if future.done():  # the request was cancelled (its client left); its records are written anyway
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class _GroupWriter:
    """One thread per process with its own database connection, appending queued records in batches."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="regshare-audit-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            size = len(batch[0][0])
            # Under load, waiting a moment for the next requests' records turns several commits into one.
            deadline = time.monotonic() + LINGER_SECONDS
            while size < MAX_BATCH:
                try:
                    batch.append(self.queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
                size += len(batch[-1][0])
            error: BaseException | None = None
            try:
                append_many([entry for entries, _loop, _future in batch for entry in entries])
            except Exception as exc:  # the waiting requests answer with an error instead of their data
                logger.exception("审计记录批量写入失败")
                connection.close()
                error = exc
            by_loop: dict = {}
            for _entries, loop, future in batch:
                if loop is None:  # a request thread waiting in ``record_row``
                    future.settle(error)
                else:
                    by_loop.setdefault(loop, []).append(future)
            for loop, futures in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_settle, futures, error)
                except RuntimeError:  # that event loop has closed: nobody is waiting any more
                    pass


_writer: _GroupWriter | None = None
_writer_pid = 0
_writer_lock = threading.Lock()


def _group_writer() -> _GroupWriter:
    global _writer, _writer_pid
    with _writer_lock:
        if _writer is None or _writer_pid != os.getpid():  # a forked child needs a thread of its own
            _writer, _writer_pid = _GroupWriter(), os.getpid()
        return _writer


def append_many(entries: list[_Entry]) -> int:
    """Append ``entries`` in order in one transaction holding the chain lock once; returns the last seq.

    The group writer's own thread calls this, on the database driver's connection directly: Django's
    transaction and cursor wrappers cost more than the three statements of a small batch. On SQLite
    the writers of several processes first take turns on a file lock, which wakes the next one the
    moment it is free, where SQLite's own busy handler would poll with growing sleeps."""
    connection.ensure_connection()
    raw = connection.connection
    sqlite = connection.vendor == "sqlite"
    mark = "?" if sqlite else "%s"
    head = AuditHead._meta.db_table
    with write_turn():
        cursor = raw.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE" if sqlite else "BEGIN")
            lock = "" if sqlite else " FOR UPDATE"
            cursor.execute(f"SELECT seq, hash FROM {head} WHERE id = 1{lock}")
            row = cursor.fetchone()
            if row is None:
                cursor.execute(f"INSERT INTO {head} (id, seq, hash) VALUES (1, 0, {mark})", [GENESIS])
                row = (0, GENESIS)
            seq, prev_hash = row
            rows = []
            for entry in entries:
                if entry.row is not None:
                    entry = replace(entry, target=_target_name(_insert_row(cursor, entry.row, mark)), row=None)
                seq += 1
                rows.append(_chain_row(seq, entry, prev_hash, timezone.now()))
                prev_hash = rows[-1][-1]
            cursor.executemany(_INSERT.replace("%s", mark), rows)
            cursor.execute(f"UPDATE {head} SET seq = {mark}, hash = {mark} WHERE id = 1", [seq, prev_hash])
            cursor.execute("COMMIT")
        except BaseException:
            try:
                cursor.execute("ROLLBACK")
            except Exception:  # noqa: BLE001 - the connection itself failed; the caller closes it
                pass
            raise
        finally:
            cursor.close()
    return seq


def _insert_row(cursor, instance: Any, mark: str) -> Any:
    """``core.prepared.insert`` on the group writer's driver cursor (inside its open transaction)."""
    from .prepared import insert_statement

    sql, values = insert_statement(instance, connection)
    cursor.execute(sql.replace("%s", mark), values)
    instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


_turns_lock = threading.Lock()
_turns_file: dict[tuple[str, int], int] = {}  # by process too: a forked child must not share the lock


@contextlib.contextmanager
def write_turn() -> Iterator[None]:
    """Around a short write transaction that every request of a busy endpoint runs (the audit group
    writer, credit checks): on SQLite, the processes take turns on a file lock, which wakes the next
    one the moment it is free, where SQLite's own busy handler polls with sleeps of up to 100 ms.
    Only for transactions opened inside it, never around one already open."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:  # PostgreSQL queues on row locks
        yield
        return
    path = f"{connection.settings_dict['NAME']}.audit-lock"
    with _turns_lock:
        fd = _turns_file.get((path, os.getpid()))
        if fd is None:
            fd = _turns_file[(path, os.getpid())] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


@dataclass
class VerifyResult:
    ok: bool
    count: int
    broken_seq: int | None = None
    reason: str = ""


def _rows(batch: int = 50000) -> Iterator[tuple]:
    """Every record in chain order, as raw tuples with ``created_at`` as an aware datetime.

    Plain SQL with keyset paging: verifying a million records through model instances would spend
    most of its time building objects nobody looks at.
    """
    table = AuditRecord._meta.db_table
    sql = (f"SELECT seq, created_at, actor, action, target, detail, prev_hash, hash FROM {table} "
           "WHERE seq > %s ORDER BY seq LIMIT %s")
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [last, batch])
            rows = cursor.fetchall()
            if not rows:
                return
            for row in rows:
                created_at = row[1]
                if isinstance(created_at, str):  # SQLite stores UTC text
                    created_at = dt.datetime.fromisoformat(created_at)
                if created_at.tzinfo is None:
                    created_at = created_at.replace(tzinfo=dt.UTC)
                yield (row[0], created_at, *row[2:])
            last = rows[-1][0]


def verify() -> VerifyResult:
    """Walk the chain from the genesis; the first record that does not fit is named."""
    digest = _hasher()
    prev, expected_seq, count = GENESIS, 1, 0
    for seq, created_at, actor, action, target, detail, prev_hash, hash_ in _rows():
        if seq != expected_seq:
            return VerifyResult(False, count, expected_seq, f"缺少第 {expected_seq} 条记录(下一条为第 {seq} 条)")
        if prev_hash != prev:
            return VerifyResult(False, count, seq, "前序哈希与上一条记录不符")
        if digest(_payload(seq, created_at.isoformat(), actor, action, target, detail, prev_hash)) != hash_:
            return VerifyResult(False, count, seq, "记录内容与其哈希不符(被篡改)")
        prev, expected_seq, count = hash_, seq + 1, count + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.seq != count:
        return VerifyResult(False, count, count + 1, f"链头记录为第 {head.seq} 条,实际只有 {count} 条(记录被删除)")
    return VerifyResult(True, count)


def search(params: Any) -> tuple[Any, dict]:
    """The audit log's filter: ``action`` (a code or a code prefix, as the list of labels offers),
    ``label`` (any Chinese words of an action's label), ``actor``, ``start`` / ``end`` (dates, Beijing
    time, both included). Returns the records and the cleaned values for the form; a date that does not
    parse is reported in ``values["error"]`` and not applied."""
    import datetime as dt

    from django.db.models import Q
    from django.utils import timezone

    from regshare.core import labels
    from regshare.core.models import AuditRecord

    def text(name: str) -> str:
        return str(params.get(name, "") or "").replace("\x00", "").strip()[:100]

    values = {"action": text("action"), "label": text("label"), "actor": text("actor"),
              "start": text("start"), "end": text("end"), "error": ""}
    records = AuditRecord.objects.all()
    if values["action"]:
        records = records.filter(Q(action=values["action"]) | Q(action__startswith=values["action"] + "."))
    if values["label"]:
        codes = labels.actions_matching(values["label"])
        records = records.filter(action__in=codes) if codes else records.none()
    if values["actor"]:
        records = records.filter(actor__icontains=values["actor"])
    zone = timezone.get_current_timezone()
    for name, moment in (("start", dt.time.min), ("end", dt.time.max)):
        if not values[name]:
            continue
        try:
            day = dt.date.fromisoformat(values[name])
        except ValueError:
            values["error"] = "日期格式应为 YYYY-MM-DD"
            values[name] = ""
            continue
        bound = dt.datetime.combine(day, moment, tzinfo=zone)
        records = records.filter(created_at__gte=bound) if name == "start" else records.filter(created_at__lte=bound)
    return records, values
