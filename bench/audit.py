"""Audit chain benchmark: append rate through the service and verify rate over a long chain.

Baselines in the same run: a bare single-row ORM insert per transaction (the floor for append),
and a bare read of every record without hashing (the floor for verify).

    .venv/bin/python bench/audit.py [--appends 20000] [--chain 1000000]
Set DATABASE_URL to run against PostgreSQL; otherwise a fresh SQLite file in a temp dir is used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=20000)
    parser.add_argument("--chain", type=int, default=1_000_000)
    args = parser.parse_args()

    os.environ.setdefault("REGSHARE_DATA_DIR", tempfile.mkdtemp(prefix="regshare-bench-audit-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "regshare.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from regshare.core import audit
    from regshare.core.models import AuditHead, AuditRecord

    AuditRecord.objects.all().delete()
    AuditHead.objects.all().delete()

    n = args.appends
    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            AuditRecord.objects.create(seq=10**12 + i, created_at=timezone.now(), actor="bench", action="bench.bare",
                                       target="t", detail="{}", prev_hash="", hash="")
    bare_append = n / (time.perf_counter() - started)
    AuditRecord.objects.all().delete()

    started = time.perf_counter()
    for i in range(n):
        audit.record("user:bench", "bench.append", "catalog.resource:1", {"i": i})
    append_rate = n / (time.perf_counter() - started)

    # Extend the chain to the verify size quickly with the same hashing as record() (bulk insert).
    digest = audit._hasher()
    head = AuditHead.objects.get(pk=1)
    seq, prev = head.seq, head.hash
    batch: list[AuditRecord] = []
    now = timezone.now()
    stamp = now.isoformat()
    while seq < args.chain:
        seq += 1
        detail = json.dumps({"i": seq}, sort_keys=True)
        h = digest(audit._payload(seq, stamp, "user:bench", "bench.bulk", "t", detail, prev))
        batch.append(AuditRecord(seq=seq, created_at=now, actor="user:bench", action="bench.bulk", target="t",
                                 detail=detail, prev_hash=prev, hash=h))
        prev = h
        if len(batch) == 20000:
            AuditRecord.objects.bulk_create(batch)
            batch = []
    AuditRecord.objects.bulk_create(batch)
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)

    started = time.perf_counter()
    rows = sum(1 for _ in audit._rows())
    bare_read = time.perf_counter() - started

    started = time.perf_counter()
    result = audit.verify()
    verify_seconds = time.perf_counter() - started
    if not result.ok:
        sys.exit(f"chain broken: {result}")

    print(json.dumps({
        "bench": "audit",
        "database": connection.vendor,
        "append_records_per_s": round(append_rate),
        "bare_insert_per_s": round(bare_append),
        "append_vs_bare": round(append_rate / bare_append, 3),
        "verify_records": result.count,
        "verify_seconds": round(verify_seconds, 2),
        "verify_records_per_s": round(result.count / verify_seconds),
        "bare_read_seconds": round(bare_read, 2),
        "verify_vs_bare_read": round(verify_seconds / bare_read, 2),
        "read_rows": rows,
        "targets": {"append_records_per_s": 2000, "verify_seconds_for_1M": 10},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
