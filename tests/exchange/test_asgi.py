"""The platform's ASGI application: data reads are answered only after their audit record is committed.

These tests run the real ``regshare.asgi.application`` (the one uvicorn serves), whose requests use the
process's shared request thread and the audit group writer, each with its own database connection: so
the data they read must be committed (transactional tests).
"""

from __future__ import annotations

import asyncio
import threading
from unittest import mock

import httpx
import pytest

from regshare.core import audit
from regshare.core.models import AuditRecord

pytestmark = pytest.mark.django_db(transaction=True)


def _get_many(paths: list[str], token: str) -> list[httpx.Response]:
    from regshare.asgi import application

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            headers = {"Authorization": f"Bearer {token}"}
            return await asyncio.gather(*(client.get(path, headers=headers) for path in paths))

    # Its own thread and event loop: other tests (the browser tests) may leave a loop running in this one.
    out: list = []
    worker = threading.Thread(target=lambda: out.append(asyncio.run(run())))
    worker.start()
    worker.join()
    return out[0]


def test_concurrent_reads_are_each_recorded_once_and_the_chain_holds(granted, token_for):
    token = token_for(granted())
    before = AuditRecord.objects.filter(action="exchange.access.query").count()
    codes = [f"91360404MA35{i:05d}X" for i in range(12)]
    responses = _get_many([f"/api/v1/resources/SCJG-0001/rows?uscc={c}" for c in codes], token)
    assert [r.status_code for r in responses] == [200] * 12
    assert [r.json()["rows"][0]["uscc"] for r in responses] == codes
    assert responses[0].json()["rows"][0]["legal_rep_id"].count("*") == 8  # masked as the grant says
    records = AuditRecord.objects.filter(action="exchange.access.query").order_by("seq")
    assert records.count() == before + 12
    assert sorted(c for r in records[before:] for c in codes if c in r.detail) == sorted(codes)
    result = audit.verify()
    assert result.ok, result.reason


def test_a_read_whose_audit_record_fails_returns_no_data(granted, token_for):
    token = token_for(granted())
    reads = AuditRecord.objects.filter(action__startswith="exchange.access")
    before = reads.count()
    with mock.patch.object(audit, "append_many", side_effect=RuntimeError("disk full")):
        [response] = _get_many(["/api/v1/resources/SCJG-0001/rows?uscc=91360404MA3500001X"], token)
    assert response.status_code == 503
    assert response.json()["code"] == "audit_unavailable" and "91360404MA3500001X" not in response.text
    assert reads.count() == before


def test_append_many_continues_the_chain_in_order(demo):
    first = audit.record("system", "before", "t")
    entries = [audit._entry("proc:test", "batch", f"t{i}", {"i": i}) for i in range(5)]
    last = audit.append_many(entries)
    assert last == first.seq + 5
    batch = list(AuditRecord.objects.filter(seq__gt=first.seq).order_by("seq"))
    assert [r.target for r in batch] == [f"t{i}" for i in range(5)]
    assert batch[0].prev_hash == first.hash
    assert audit.verify().ok
