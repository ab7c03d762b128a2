"""The platform's ASGI application: data reads are answered only after their audit record is committed, a
slow request does not hold the others back, and downloads are streamed chunk by chunk.

These tests run the real ``regshare.asgi.application`` (the one uvicorn serves), whose requests use the
process's pool of request threads and the audit group writer, each with its own database connection: so
the data they read must be committed (transactional tests).
"""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from unittest import mock

import httpx
import pytest

from regshare.core import audit
from regshare.core.models import AuditRecord

pytestmark = pytest.mark.django_db(transaction=True)


# How long a test's stand-in for slow work waits to be released before it gives up: only a bound on how long a
# failing test takes, never a measure of the platform.
GIVE_UP_SECONDS = 15


def _in_own_loop(coroutine_function):
    # Its own thread and event loop: other tests (the browser tests) may leave a loop running in this one.
    out: list = []
    worker = threading.Thread(target=lambda: out.append(asyncio.run(coroutine_function())))
    worker.start()
    worker.join()
    return out[0]


def _get_many(paths: list[str], token: str) -> list[httpx.Response]:
    from regshare.asgi import application

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            headers = {"Authorization": f"Bearer {token}"}
            return await asyncio.gather(*(client.get(path, headers=headers) for path in paths))

    return _in_own_loop(run)


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


def test_request_signals_fire_once_each_in_the_thread_that_serves_the_request(demo):
    """request_started and request_finished (whose receivers close the request thread's expired database
    connections) fire once per request, both in the request thread that ran the view, not on the event loop's
    thread nor in a thread of their own."""
    from django.core import signals

    from regshare.asgi import application

    seen: dict[str, list[int]] = {"started": [], "finished": []}

    def on_started(**kwargs):
        seen["started"].append(threading.get_ident())

    def on_finished(**kwargs):
        seen["finished"].append(threading.get_ident())

    async def run() -> tuple[int, httpx.Response]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return threading.get_ident(), await client.get("/api/v1/health")

    signals.request_started.connect(on_started)
    signals.request_finished.connect(on_finished)
    try:
        loop_thread, response = _in_own_loop(run)
    finally:
        signals.request_started.disconnect(on_started)
        signals.request_finished.disconnect(on_finished)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert len(seen["started"]) == 1 and seen["finished"] == seen["started"]
    request_thread = seen["started"][0]
    assert request_thread != loop_thread
    assert request_thread in {t.ident for t in threading.enumerate() if t.name.startswith("regshare-request")}


def test_health_answers_while_a_slow_request_is_in_flight(demo, user_named, principal_of_user, monkeypatch):
    """A request that takes long (here a credit check held until released) occupies one request thread; the
    health check is answered meanwhile, so it finishes first. With one shared thread it waited behind it."""
    from django.core.exceptions import ValidationError

    from regshare.asgi import application
    from regshare.core import services as core_services
    from regshare.credit import services as credit_services

    admin = user_named("admin")
    token = core_services.issue_token(principal_of_user("admin"), department=admin.department, name="慢请求测试",
                                      scopes=["credit.check"]).secret
    entered, released = threading.Event(), threading.Event()

    def slow_check(*args, **kwargs):
        entered.set()
        released.wait(GIVE_UP_SECONDS)
        raise ValidationError("测试用的慢请求结束", code="slow_done")

    monkeypatch.setattr(credit_services, "check", slow_check)
    finished: list[str] = []

    async def run() -> dict[str, httpx.Response]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            async def slow() -> httpx.Response:
                response = await client.get("/api/v1/credit/check", params={"uscc": "x", "scenario": "y"},
                                            headers={"Authorization": f"Bearer {token}"})
                finished.append("slow")
                return response

            async def health() -> httpx.Response:
                await asyncio.to_thread(entered.wait, GIVE_UP_SECONDS)
                response = await client.get("/api/v1/health")
                finished.append("health")
                released.set()
                return response

            slow_response, health_response = await asyncio.gather(slow(), health())
            return {"slow": slow_response, "health": health_response}

    responses = _in_own_loop(run)
    assert entered.is_set()
    assert finished == ["health", "slow"]
    assert responses["health"].status_code == 200 and responses["health"].json()["status"] == "ok"
    assert responses["slow"].status_code == 400 and responses["slow"].json()["code"] == "slow_done"


def test_a_download_is_sent_chunk_by_chunk(granted, token_for, monkeypatch, recwarn):
    """The second chunk of a download is made only after the first has been sent: nothing is read to the end
    into memory first (Django does that with a synchronous iterator, and warns)."""
    from regshare.asgi import application
    from regshare.exchange import services as exchange_services

    token = token_for(granted())
    first_sent = threading.Event()
    first_sent_before_second_made: list[bool] = []

    def chunks():
        yield b"uscc,name\n"
        first_sent_before_second_made.append(first_sent.wait(GIVE_UP_SECONDS))
        yield "91360404MA3500001X,测试\n".encode()

    monkeypatch.setattr(exchange_services, "download", lambda *args, **kwargs: SimpleNamespace(
        chunks=chunks(), content_type="text/csv; charset=utf-8", filename="SCJG-0001-v1.csv", receipt_id=None))
    messages: list[dict] = []

    async def run() -> None:
        never = asyncio.Event()
        requested = False

        async def receive() -> dict:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await never.wait()  # the client stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            messages.append(message)
            if message.get("body", b"").startswith(b"uscc,"):
                first_sent.set()

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": "/api/v1/resources/SCJG-0001/download", "raw_path": b"",
                 "query_string": b"format=csv", "root_path": "", "server": ("testserver", 80),
                 "client": ("127.0.0.1", 50000),
                 "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())]}
        await application(scope, receive, send)

    _in_own_loop(run)
    assert messages[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in messages[1:]).decode() == "uscc,name\n91360404MA3500001X,测试\n"
    assert first_sent_before_second_made == [True]
    assert not [w for w in recwarn if "StreamingHttpResponse" in str(w.message)]


PROCESS_TUNING = """
import asyncio, gc, sys, threading
from regshare.asgi import application

def names():
    return {t.name for t in threading.enumerate()}

before = ("regshare-wal-checkpoint" in names(), sys.getswitchinterval())

async def serve_lifespan():
    sent = []
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    async def receive():
        return inbox.pop(0)
    async def send(message):
        sent.append(message["type"])
    await application({"type": "lifespan"}, receive, send)
    return sent

sent = asyncio.run(serve_lifespan())
print(before[0], before[1] > 0.001, sent, "regshare-wal-checkpoint" in names(), sys.getswitchinterval())
print("regshare.exchange.api" in sys.modules, gc.get_freeze_count() > 10000)
"""


@pytest.mark.django_db(transaction=False)
def test_only_a_starting_server_tunes_the_process(tmp_path):
    """Importing the application (as tests and scripts do) leaves the process alone; the lifespan start that
    uvicorn sends starts the WAL checkpoint thread, shortens the thread switch, and loads the URL configuration
    (with the API modules) before it moves the start-up's objects out of the collector's way."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "REGSHARE_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    out = subprocess.run([sys.executable, "-c", PROCESS_TUNING], capture_output=True, text=True, env=env,
                         timeout=120, check=True).stdout.split()
    assert out[:2] == ["False", "True"]
    assert out[2:4] == ["['lifespan.startup.complete',", "'lifespan.shutdown.complete']"]
    assert out[4:6] == ["True", "0.001"]
    assert out[6:] == ["True", "True"]


def test_a_served_request_leaves_nothing_for_the_cyclic_collector(granted, token_for):
    """A request's parts refer back to it; once its response is closed the handler lets them go, so serving
    does not feed the collector whose passes stall every request in flight."""
    import gc

    from django.core.handlers.asgi import ASGIRequest

    from regshare.asgi import application

    token = token_for(granted())

    async def get(path: str, query: str = "") -> int:
        # As a keep-alive client: the connection stays open after the response (no http.disconnect).
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
                 "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
        inbox = [{"type": "http.request", "body": b"", "more_body": False}]
        sent: list = []

        async def receive() -> dict:
            if inbox:
                return inbox.pop()
            await asyncio.sleep(GIVE_UP_SECONDS)
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        await application(scope, receive, send)
        return sent[0]["status"]

    async def serve() -> list[int]:
        return [await get("/api/v1/health"), await get("/api/v1/resources/SCJG-0001/rows", "uscc=91360404MA3500001X"),
                await get("/api/v1/resources/NOPE-0001/rows")]

    _in_own_loop(serve)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        statuses = _in_own_loop(serve)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, ASGIRequest)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert statuses == [200, 200, 404]
    assert left == []
