import os
import subprocess
import sys

import pytest
from django.db import connection

from regshare.core import audit
from regshare.core.models import AuditHead, AuditRecord


def test_chain_links_each_record_to_the_previous(db):
    first = audit.record("user:alice", "resource.publish", "catalog.resource:1", {"version": 2})
    second = audit.record("user:bob", "grant.revoke", "exchange.grant:7", {"reason": "滥用"})
    assert second.prev_hash == first.hash
    assert second.seq == first.seq + 1
    result = audit.verify()
    assert result.ok and result.count == AuditRecord.objects.count()


@pytest.mark.parametrize("field", ["detail", "actor", "action", "target"])
def test_tampered_record_is_named(db, field):
    audit.record("system", "a", "t1", {"n": 1})
    victim = audit.record("system", "b", "t2", {"n": 2})
    audit.record("system", "c", "t3", {"n": 3})
    AuditRecord.objects.filter(pk=victim.pk).update(**{field: "篡改"})
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == victim.seq


def test_deleted_record_is_detected(db):
    audit.record("system", "a", "t1")
    victim = audit.record("system", "b", "t2")
    audit.record("system", "c", "t3")
    AuditRecord.objects.filter(pk=victim.pk).delete()
    result = audit.verify()
    assert not result.ok and result.broken_seq == victim.seq


def test_truncated_tail_is_detected(db):
    audit.record("system", "a", "t1")
    last = audit.record("system", "b", "t2")
    AuditRecord.objects.filter(pk=last.pk).delete()
    result = audit.verify()
    assert not result.ok and "删除" in result.reason


def test_sm3_chain_verifies(db, settings):
    settings.REGSHARE_AUDIT_HASH = "sm3"
    AuditRecord.objects.all().delete()
    AuditHead.objects.all().delete()
    a = audit.record("system", "a", "t")
    b = audit.record("system", "b", "t")
    assert b.prev_hash == a.hash and len(a.hash) == 64
    assert audit.verify().ok
    settings.REGSHARE_AUDIT_HASH = "sha256"
    assert not audit.verify().ok  # the same chain does not verify under another algorithm


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


APPENDER = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "regshare.settings"
django.setup()
from regshare.core import audit
for i in range(int(sys.argv[1])):
    audit.record("proc:" + sys.argv[2], "concurrency.test", "t", {"i": i})
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_never_fork_the_chain():
    """Several processes append at once (on PostgreSQL in CI); the chain stays one line."""
    before = AuditRecord.objects.count()
    env = {**os.environ, "DATABASE_URL": _database_url()}
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, "60", str(n)], env=env) for n in range(4)]
    assert [p.wait(timeout=180) for p in procs] == [0, 0, 0, 0]
    assert AuditRecord.objects.count() == before + 240
    seqs = list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    result = audit.verify()
    assert result.ok, result.reason
