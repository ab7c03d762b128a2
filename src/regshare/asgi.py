"""The ASGI application that ``regshare serve`` and uvicorn run.

Django's own ASGI handler costs an API call more than the call itself: it opens a new thread for
every request's synchronous code (asgiref's ``ThreadSensitiveContext``), so every request also
opened a new database connection, and with synchronous middleware it hops between that thread and
the event loop three times. Here the whole middleware chain and the view run synchronously, in one
hop, on a bounded pool of long-lived threads per process (``REGSHARE_REQUEST_THREADS``, default 8),
as under a WSGI worker with that many threads; each thread keeps its own database connection
(``CONN_MAX_AGE``). A slow request (a proxied provider, a large upload) holds one thread, not the
process: ``/api/v1/health`` and the other requests go on in the other threads.

Streamed responses (downloads) are sent chunk by chunk: each chunk of a synchronous iterator is made in
a pool thread and sent before the next is made. Django itself would first read a synchronous iterator
to its end into memory (its warning "StreamingHttpResponse must consume synchronous iterators").
"""

import gc
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections
from django.http import HttpResponseBase, JsonResponse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regshare.settings")


_END = object()


class PooledThreadASGIHandler(ASGIHandler):
    def __init__(self, threads: int | None = None) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(threads or settings.REGSHARE_REQUEST_THREADS,
                                           thread_name_prefix="regshare-request")
        chain = self._middleware_chain

        def respond(request):
            # Django's request_started signal closes expired or broken connections, but on the event loop's
            # side, not in the pool thread that holds this request's connection: so here.
            close_old_connections()
            return chain(request)

        self._middleware_chain = self.in_pool(respond)
        self._next_chunk = self.in_pool(next)

    def in_pool(self, func: Callable) -> Callable[..., Awaitable]:
        return sync_to_async(func, thread_sensitive=False, executor=self.executor)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def lifespan(self, receive, send) -> None:
        """A server (uvicorn, gunicorn's uvicorn worker) announces its start: tune the process for serving.
        Code that only imports the application (tests, scripts) keeps its process as it was."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                tune_server_process()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def run_get_response(self, request):
        """Data reads append their audit records through the group writer (``audit.record_deferred``);
        the response leaves only once those records are committed, and not at all if they fail."""
        pending: list = []
        token = audit.DEFERRED.set(pending)
        try:
            response = await super().run_get_response(request)
        finally:
            audit.DEFERRED.reset(token)
        if pending:
            try:
                await audit.commit_deferred(pending)
            except Exception:
                logging.getLogger(__name__).exception("audit records of a request were not written")
                await sync_to_async(response.close)()
                response = JsonResponse({"code": "audit_unavailable",
                                         "message": "审计记录写入失败,本次数据未发送,请稍后重试"}, status=503)
        return response

    async def send_response(self, response: HttpResponseBase, send: Callable[[dict], Awaitable]) -> None:
        if response.streaming and not response.is_async:
            response.streaming_content = self._chunk_by_chunk(response.streaming_content)
        await super().send_response(response, send)

    async def _chunk_by_chunk(self, chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
        iterator = iter(chunks)
        while (chunk := await self._next_chunk(iterator, _END)) is not _END:
            yield chunk


def _checkpoint_in_background() -> None:
    """On SQLite, the commit that fills the write-ahead log past its limit copies it back into the
    database file, and that request waits for the copy and its fsync. In the server, a background
    thread does this every second instead (passive checkpoints never block readers or writers)."""
    from django.db import connection
    from django.db.backends.signals import connection_created

    if connection.vendor != "sqlite":
        return

    def no_auto_checkpoint(sender, connection, **kwargs) -> None:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint=0")

    def run() -> None:
        while True:
            time.sleep(CHECKPOINT_SECONDS)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # noqa: BLE001 - next second's attempt reconnects
                logging.getLogger(__name__).exception("WAL checkpoint failed")
                connection.close()

    connection_created.connect(no_auto_checkpoint, weak=False)
    threading.Thread(target=run, name="regshare-wal-checkpoint", daemon=True).start()


CHECKPOINT_SECONDS = 1.0

django.setup(set_prefix=False)
from regshare.core import audit  # noqa: E402 - models can be imported only once Django is set up

_tuned = threading.Lock()
_tuned_once: list[bool] = []


def tune_server_process() -> None:
    """Once per serving process: background WAL checkpoints, a frozen heap and a short thread switch."""
    with _tuned:
        if _tuned_once:
            return
        _tuned_once.append(True)
    _checkpoint_in_background()
    # The objects that exist now (Django, the apps, the URL patterns) live as long as the process: keep
    # them out of the garbage collector's full passes, which otherwise walk all of them every so often
    # and stall every request in flight for tens of milliseconds.
    gc.freeze()
    # The event loop (reading requests, sending responses) and the request threads share the interpreter
    # lock; the default 5 ms turn lets a busy request thread hold back a finished response that long.
    sys.setswitchinterval(0.001)


application = PooledThreadASGIHandler()
