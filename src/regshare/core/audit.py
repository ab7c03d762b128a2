"""The tamper-evident audit chain.

Each record's hash covers its own content and the previous record's hash. Appends lock the
single ``AuditHead`` row (PostgreSQL: SELECT … FOR UPDATE; SQLite: the IMMEDIATE transaction
already holds the write lock), so concurrent processes queue instead of forking the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditHead, AuditRecord

GENESIS = "0" * 64
SYSTEM_ACTOR = "system"


def _hasher():
    algorithm = settings.REGSHARE_AUDIT_HASH.lower()
    if algorithm not in {"sha256", "sm3"}:
        raise ValueError(f"不支持的审计哈希算法: {algorithm}(可选 sha256 或 sm3)")
    return lambda data: hashlib.new(algorithm, data).hexdigest()


def _actor_name(actor: Any) -> str:
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
    digest = _hasher()
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    actor_text, target_text = _actor_name(actor)[:150], _target_name(target)
    action = action[:80]
    # Plain SQL rather than the ORM: appending is on the path of every audited request, and the
    # three statements below are all it needs.
    head_table, record_table = AuditHead._meta.db_table, AuditRecord._meta.db_table
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {head_table} WHERE id = 1{lock}")
        row = cursor.fetchone()
        if row is None:
            AuditHead.objects.get_or_create(pk=1)
            cursor.execute(f"SELECT seq, hash FROM {head_table} WHERE id = 1{lock}")
            row = cursor.fetchone()
        prev_seq, prev_hash = row
        seq = prev_seq + 1
        created_at = timezone.now()
        hash_ = digest(_payload(seq, created_at.isoformat(), actor_text, action, target_text, detail_text, prev_hash))
        cursor.execute(
            f"INSERT INTO {record_table} (seq, created_at, actor, action, target, detail, prev_hash, hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            [seq, connection.ops.adapt_datetimefield_value(created_at), actor_text, action, target_text,
             detail_text, prev_hash, hash_],
        )
        pk = cursor.fetchone()[0]
        cursor.execute(f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1", [seq, hash_])
    return AuditRecord(pk=pk, seq=seq, created_at=created_at, actor=actor_text, action=action, target=target_text,
                       detail=detail_text, prev_hash=prev_hash, hash=hash_)


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
