"""The ASGI application that ``regshare serve`` and uvicorn run.

Django's own ASGI handler costs an API call more than the call itself: it opens a new thread for
every request's synchronous code (asgiref's ``ThreadSensitiveContext``), so every request also
opened a new database connection, and with synchronous middleware it hops between that thread and
the event loop three times. Here the whole middleware chain and the view run synchronously, in one
hop, on a bounded pool of long-lived threads per process (``REGSHARE_REQUEST_THREADS``, default 8),
as under a WSGI worker with that many threads; each thread keeps its own database connection
(``CONN_MAX_AGE``). A slow request (a proxied provider, a large upload) holds one thread, not the
process: ``/api/v1/health`` and the other requests go on in the other threads. Everything a request does
on its thread happens in that one hop, Django's request signals included.

Streamed responses (downloads) are sent chunk by chunk: each chunk of a synchronous iterator is made in
a pool thread and sent before the next is made. Django itself would first read a synchronous iterator
to its end into memory (its warning "StreamingHttpResponse must consume synchronous iterators").
"""

import asyncio
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
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import HttpResponseBase, JsonResponse
from django.urls import get_resolver, set_script_prefix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regshare.settings")


_END = object()


class PooledThreadASGIHandler(ASGIHandler):
    def __init__(self, threads: int | None = None) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(threads or settings.REGSHARE_REQUEST_THREADS,
                                           thread_name_prefix="regshare-request")
        chain = self._middleware_chain
        handler_class = self.__class__

        def respond(request):
            # Django's ASGI handler sends request_started and, through response.close(), request_finished
            # each in a thread hop of its own, to asgiref's single shared thread: two more hand-offs per
            # request than the chain itself, and their receivers (close_old_connections) then ran on a thread
            # holding none of the request's connections. Here both signals fire in the pool thread that serves
            # the request, in the same hop as the chain.
            signals.request_started.send(sender=handler_class, scope=request.scope)
            response = chain(request)
            if not response.streaming:
                # The body is already in memory: closing now (request_finished) does not cut it short.
                response._resource_closers.append(request.close)
                response.close()
                response._regshare_closed = True
            return response

        self._middleware_chain = self.in_pool(respond)
        self._next_chunk = self.in_pool(next)
        self._close = self.in_pool(_close_response)

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
                if not getattr(response, "_regshare_closed", False):
                    await self._close(response)
                response = JsonResponse({"code": "audit_unavailable",
                                         "message": "审计记录写入失败,本次数据未发送,请稍后重试"}, status=503)
        return response

    async def handle(self, scope, receive, send) -> None:
        """Django's ``ASGIHandler.handle`` without its two thread hops for the request signals (see ``respond``)."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            await self._close(error_response)
            return

        async def process_request(request, send):
            response = await self.run_get_response(request)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:  # the client left while the response was being sent
                pass
            return response

        # A client that disconnects while its response is being made cancels the making (as Django does).
        tasks = [asyncio.create_task(self.listen_for_disconnect(receive)),
                 asyncio.create_task(process_request(request, send))]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            await self._close(None)
        else:
            if not getattr(response, "_regshare_closed", False):
                await self._close(response)
        body_file.close()
        # The request's parts refer back to it (the messages storage, the lazy user, the session), which
        # left some 75 objects per request to the cyclic collector, whose passes stall every request in
        # flight. Nothing reads the request once its response is closed.
        request.__dict__.clear()

    async def send_response(self, response: HttpResponseBase, send: Callable[[dict], Awaitable]) -> None:
        if response.streaming and not response.is_async:
            response.streaming_content = self._chunk_by_chunk(response.streaming_content)
        await super().send_response(response, send)

    async def _chunk_by_chunk(self, chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
        iterator = iter(chunks)
        while (chunk := await self._next_chunk(iterator, _END)) is not _END:
            yield chunk


def _close_response(response: HttpResponseBase | None) -> None:
    """Close a response that was not closed in its request's hop (a stream, once sent; an error answer), or,
    for a request cancelled before it had one, send request_finished: in a pool thread, as ``respond`` does."""
    if response is None:
        signals.request_finished.send(sender=PooledThreadASGIHandler)
    else:
        response.close()


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
    # The URL configuration (and the API modules and schemas it imports) loads at the first request
    # otherwise, after the freeze below, and its ~57,000 objects would stay in the collector's oldest
    # generation, whose every pass then took 40-80 ms with all requests in flight stalled.
    get_resolver().url_patterns  # noqa: B018 - loading is the point
    # The objects that exist now (Django, the apps, the URL patterns) live as long as the process: keep
    # them out of the garbage collector's full passes.
    gc.collect()
    gc.freeze()
    # The event loop (reading requests, sending responses) and the request threads share the interpreter
    # lock; the default 5 ms turn lets a busy request thread hold back a finished response that long.
    sys.setswitchinterval(0.001)


application = PooledThreadASGIHandler()
