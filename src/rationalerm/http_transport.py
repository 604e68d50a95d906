"""A lean HTTP/1.1 keep-alive transport for plain ``http://`` endpoints, plugged under the official SDK.

The SDK's default stack (httpx2 -> httpcore2 -> h11 over anyio) spends about as much client CPU per request as
everything else in a judge run put together. Judge servers on a cluster (vLLM, SGLang) usually speak plain HTTP on
a private network, where none of that machinery is needed, so :class:`FastHTTPTransport` implements
``httpx2.AsyncBaseTransport.handle_async_request`` directly on asyncio protocols:

* one :class:`asyncio.Protocol` per connection; a response is parsed from the bytes received (status line,
  headers, then a ``Content-Length``, ``chunked`` or read-until-close body) and handed over in one wake-up;
* a keep-alive pool per origin (idle connections are reused most-recent first, dropped when the server closed
  them or after ``keepalive_expiry`` seconds idle);
* httpx2 timeouts (``connect`` for opening a connection, ``read`` as the longest silence while a response is
  awaited) and errors raised as the httpx2 exceptions the default transport raises (``ConnectError``,
  ``ConnectTimeout``, ``ReadTimeout``, ``ReadError``, ``WriteError``, ``RemoteProtocolError``), which the SDK maps
  to ``APITimeoutError`` / ``APIConnectionError`` exactly as before.

Responses are read whole before ``handle_async_request`` returns (``stream=True`` still works, it just gets the
bytes at once), which suits non-streamed chat completions. ``https://`` and anything else go to a fallback
transport (by default httpx2's own), so TLS keeps the standard, audited path.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import socket
import time
from collections import deque
from typing import Any

import httpx2

__all__ = ["FastHTTPTransport", "PreparedRequest"]

_MAX_HEAD = 64 * 1024  # a response head larger than this is a protocol error, not something to buffer forever
_NO_BODY_STATUS = (204, 304)


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: sends a request, parses one response, reports whether it may be reused."""

    __slots__ = (
        "_body_mode",
        "_buffer",
        "_can_write",
        "_chunks",
        "_closed",
        "_error",
        "_head",
        "_last_activity",
        "_loop",
        "_on_timer",
        "_read_timeout",
        "_received_any",
        "_remaining",
        "_timer",
        "_timer_context",
        "_waiter",
        "idle_since",
        "origin",
        "request_is_head",
        "transport",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: tuple[str, str, int]):
        self._loop = loop
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[Any] | None = None
        self._closed = False
        self._error: Exception | None = None
        self._head: tuple[int, bytes, list[tuple[bytes, bytes]], bool] | None = None
        self._body_mode = ""
        self._remaining = 0
        self._chunks: list[bytes] = []
        self._last_activity = 0.0
        self._read_timeout: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._received_any = False
        self.idle_since = 0.0
        self._can_write: asyncio.Future[None] | None = None
        self.request_is_head = False
        # Made once per connection, not per request: the read-timeout timer's callback and the context it runs in
        # (call_at would otherwise copy the caller's context for every request; the check reads no context vars).
        self._on_timer = self._check_timeout
        self._timer_context = contextvars.Context()

    # -- asyncio.Protocol ----------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (OSError, AttributeError):
                pass

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._body_mode == "done":
            # Bytes nobody asked for (a server talking out of turn): the connection cannot be trusted any more.
            self._closed = True
            if self.transport is not None:
                self.transport.close()
            return
        self._received_any = True
        self._last_activity = self._loop.time()
        self._buffer += data
        self._advance()

    def eof_received(self) -> bool:
        self._on_close(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_close(exc)
        if self._can_write is not None and not self._can_write.done():
            self._can_write.set_result(None)

    def pause_writing(self) -> None:
        self._can_write = self._loop.create_future()

    def resume_writing(self) -> None:
        if self._can_write is not None and not self._can_write.done():
            self._can_write.set_result(None)
        self._can_write = None

    # -- requests --------------------------------------------------------------------------------------------

    @property
    def usable(self) -> bool:
        return not self._closed and self.transport is not None and not self.transport.is_closing()

    def close(self) -> None:
        self._closed = True
        if self.transport is not None:
            self.transport.close()

    async def exchange(
        self,
        data: bytes,
        read_timeout: float | None,
        write_timeout: float | None,
        request: httpx2.Request | None,
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes, bool]:
        """Send one request; return (status, reason, headers, body, keep_alive). Errors carry ``request`` when
        one is given (a :class:`PreparedRequest` caller attaches its own when it needs one)."""
        assert self.transport is not None
        self._buffer.clear()
        self._head = None
        self._body_mode = ""
        self._error = None
        self._received_any = False
        waiter = self._waiter = self._loop.create_future()
        try:
            self.transport.write(data)
        except (OSError, RuntimeError) as exc:
            self._waiter = None
            raise httpx2.WriteError(str(exc) or type(exc).__name__, request=request) from exc
        if self._can_write is not None:  # a large body the kernel could not take at once
            try:
                await asyncio.wait_for(asyncio.shield(self._can_write), write_timeout)
            except TimeoutError:
                self._waiter = None
                self.close()
                raise httpx2.WriteTimeout("the request could not be sent in time", request=request) from None
        self._last_activity = self._loop.time()
        self._read_timeout = read_timeout
        if read_timeout is not None:
            self._timer = self._loop.call_at(
                self._last_activity + read_timeout, self._on_timer, context=self._timer_context
            )
        try:
            result = await waiter
        except BaseException:
            # Timed out, cancelled or failed half way: the stream position is unknown, never reuse it.
            self.close()
            raise
        finally:
            self._waiter = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if isinstance(result, Exception):
            self.close()
            if request is not None and isinstance(result, httpx2.TransportError):
                result.request = request
            raise result
        return result

    def _check_timeout(self) -> None:
        self._timer = None
        waiter = self._waiter
        if waiter is None or waiter.done() or self._read_timeout is None:
            return
        due = self._last_activity + self._read_timeout
        if self._loop.time() >= due:
            waiter.set_result(httpx2.ReadTimeout("timed out waiting for the response"))
        else:  # data arrived meanwhile: the timeout counts from the last byte received
            self._timer = self._loop.call_at(due, self._on_timer, context=self._timer_context)

    def _on_close(self, exc: Exception | None) -> None:
        self._closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._body_mode == "close" and self._head is not None:
            self._finish(bytes(self._buffer), keep_alive=False)
        elif not self._received_any:
            error: Exception = httpx2.RemoteProtocolError("Server disconnected without sending a response.")
            if exc is not None:
                error = httpx2.ReadError(str(exc) or type(exc).__name__)
            waiter.set_result(error)
        else:
            waiter.set_result(
                httpx2.RemoteProtocolError("peer closed connection without sending complete message body")
            )

    # -- parsing ---------------------------------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(httpx2.RemoteProtocolError(message))

    def _advance(self) -> None:
        buffer = self._buffer
        while self._head is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    self._fail("response head too large")
                return
            head = bytes(buffer[:end])
            del buffer[: end + 4]
            if not self._parse_head(head):
                return
        mode = self._body_mode
        if mode == "length":
            if len(buffer) >= self._remaining:
                n = self._remaining
                body = bytes(buffer[:n])
                extra = len(buffer) > n
                del buffer[:n]
                self._finish(body, keep_alive=self._head[3] and not extra)
        elif mode == "chunked":
            self._advance_chunked()
        # "close": everything until the connection closes (see _on_close)

    def _parse_head(self, head: bytes) -> bool:
        lines = head.split(b"\r\n")
        status_line = lines[0].split(b" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
            self._fail(f"malformed status line {lines[0][:80]!r}")
            return False
        try:
            status = int(status_line[1])
        except ValueError:
            self._fail(f"malformed status code {status_line[1][:20]!r}")
            return False
        reason = status_line[2] if len(status_line) > 2 else b""
        if 100 <= status < 200 and status != 101:
            return True  # an interim response (100 Continue): the real one follows
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        chunked = False
        keep_alive = status_line[0] == b"HTTP/1.1"
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                self._fail(f"malformed header line {line[:80]!r}")
                return False
            name = name.strip()
            value = value.strip()
            headers.append((name, value))
            lower = name.lower()
            if lower == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    self._fail(f"malformed Content-Length {value[:20]!r}")
                    return False
                if length < 0:
                    self._fail("negative Content-Length")
                    return False
            elif lower == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif lower == b"connection":
                tokens = value.lower()
                if b"close" in tokens:
                    keep_alive = False
                elif b"keep-alive" in tokens:
                    keep_alive = True
        self._head = (status, reason, headers, keep_alive)
        if status in _NO_BODY_STATUS or self.request_is_head:
            self._body_mode = "none"
            self._finish(b"", keep_alive=keep_alive and not self._buffer)
        elif chunked:
            self._body_mode = "chunked"
            self._chunks = []  # made here, not for every response: most have a Content-Length
        elif length is not None:
            self._body_mode = "length"
            self._remaining = length
        else:
            self._body_mode = "close"
        return True

    def _advance_chunked(self) -> None:
        buffer = self._buffer
        while True:
            if self._body_mode == "trailer":
                end = buffer.find(b"\r\n")
                if end < 0:
                    return
                line = bytes(buffer[:end])
                del buffer[: end + 2]
                if not line:
                    assert self._head is not None
                    body = b"".join(self._chunks)
                    self._chunks.clear()  # the connection does not keep the last body's pieces
                    self._finish(body, keep_alive=self._head[3] and not buffer)
                    return
                continue
            if self._remaining == 0:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > 1024:
                        self._fail("malformed chunk size line")
                    return
                size_line = bytes(buffer[:end]).split(b";", 1)[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    self._fail(f"malformed chunk size {size_line[:20]!r}")
                    return
                del buffer[: end + 2]
                if size == 0:
                    self._body_mode = "trailer"
                    continue
                self._remaining = size + 2  # the chunk and its CRLF
            if len(buffer) < self._remaining:
                return
            chunk = bytes(buffer[: self._remaining - 2])
            if buffer[self._remaining - 2 : self._remaining] != b"\r\n":
                self._fail("chunk not followed by CRLF")
                return
            del buffer[: self._remaining]
            self._remaining = 0
            self._chunks.append(chunk)

    def _finish(self, body: bytes, keep_alive: bool) -> None:
        waiter = self._waiter
        head = self._head
        if waiter is None or waiter.done() or head is None:
            return
        status, reason, headers, _ = head
        self._body_mode = "done"
        waiter.set_result((status, reason, headers, body, keep_alive))


def _serialize_head(request: httpx2.Request, *, drop_length: bool = False) -> tuple[bytes, bool]:
    """The request line and headers, each line CRLF-terminated (no blank line yet, and no Transfer-Encoding:
    bodies are sent whole); and whether a Content-Length header is among them (with ``drop_length``, it is left
    out for the caller to add its own)."""
    parts = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    has_length = False
    for name, value in request.headers.raw:
        lower = name.lower()
        if lower == b"transfer-encoding":
            continue
        if lower == b"content-length":
            if drop_length:
                continue
            has_length = True
        parts += (name, b": ", value, b"\r\n")
    return b"".join(parts), has_length


class PreparedRequest:
    """A request head serialized once, to send many bodies with :meth:`FastHTTPTransport.send_prepared`.

    Made from an ``httpx2.Request`` (a template: its URL, method, headers and timeout extension); the template's
    own ``Content-Length`` is left out, each body gets its own."""

    __slots__ = ("head", "method", "origin", "timeouts")

    def __init__(self, template: httpx2.Request):
        url = template.url
        if url.scheme != "http":
            raise ValueError("a prepared request is for plain http:// only")
        self.head, _ = _serialize_head(template, drop_length=True)
        self.method = template.method
        self.origin = ("http", url.host, url.port or 80)
        self.timeouts: dict[str, Any] = dict(template.extensions.get("timeout") or {})


# Connections in the first wave of a prewarm (then 2x, 4x, ...).
_FIRST_WAVE = 8


def _failed(task: asyncio.Task[Any]) -> bool:
    """A finished task that raised or was cancelled (its exception counts as retrieved)."""
    return task.cancelled() or task.exception() is not None


class FastHTTPTransport(httpx2.AsyncBaseTransport):
    """httpx2 transport: asyncio HTTP/1.1 keep-alive for ``http://``, ``fallback`` for every other scheme.

    ``max_keepalive`` idle connections are kept per origin, each for at most ``keepalive_expiry`` seconds (4 s:
    under the 5 s after which uvicorn, behind vLLM and SGLang, closes an idle connection, so a request is never
    sent on a connection the server is closing). There is no cap on connections open at once: the
    caller (``JudgePool``'s concurrency limit) already bounds requests in flight. ``fallback`` defaults to
    ``httpx2.AsyncHTTPTransport()`` created on first use.
    """

    def __init__(
        self,
        *,
        max_keepalive: int = 256,
        keepalive_expiry: float | None = 4.0,
        fallback: httpx2.AsyncBaseTransport | None = None,
    ):
        self._idle: dict[tuple[str, str, int], deque[_Connection]] = {}
        # Connections prewarm is opening that no request has claimed yet (see _claim).
        self._opening: dict[tuple[str, str, int], deque[asyncio.Task[_Connection]]] = {}
        self._active: set[_Connection] = set()
        self._max_keepalive = max_keepalive
        self._keepalive_expiry = keepalive_expiry
        self._fallback = fallback
        self._owns_fallback = fallback is None
        self._closed = False

    # -- connections -----------------------------------------------------------------------------------------

    async def _connect(
        self, origin: tuple[str, str, int], timeout: float | None, request: httpx2.Request | None
    ) -> _Connection:
        loop = asyncio.get_running_loop()
        _, host, port = origin
        try:
            # asyncio.timeout, not wait_for: no extra task per connection (a burst opens a hundred at once).
            async with asyncio.timeout(timeout):
                _, connection = await loop.create_connection(lambda: _Connection(loop, origin), host, port)
        except TimeoutError:
            raise httpx2.ConnectTimeout(
                f"no connection to {host}:{port} within {timeout} s", request=request
            ) from None
        except OSError as exc:
            raise httpx2.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return connection

    def _checkout(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        expiry = self._keepalive_expiry
        now = time.monotonic() if expiry is not None else 0.0
        while idle:
            connection = (
                idle.pop()
            )  # most recently used first: its server side is least likely to time it out
            if not connection.usable:
                continue
            if expiry is not None and now - connection.idle_since > expiry:
                connection.close()
                continue
            return connection
        return None

    def _checkin(self, connection: _Connection) -> None:
        if self._closed or not connection.usable:
            connection.close()
            return
        idle = self._idle.setdefault(connection.origin, deque())
        if len(idle) >= self._max_keepalive:
            idle.popleft().close()
        if self._keepalive_expiry is not None:
            connection.idle_since = time.monotonic()
        idle.append(connection)

    async def prewarm(self, origin: tuple[str, str, int], count: int, timeout: float | None = None) -> int:
        """Open connections to ``origin`` concurrently until ``count`` are idle or being opened; return how many
        were opened.

        For a burst about to start: ``count`` connections set up side by side take about as long as one, while
        requests that each open their own wait behind the work between them. A request that finds no idle
        connection meanwhile takes one of those being opened rather than opening another, so prewarm can run beside
        the burst's first requests. The connections are opened whether or not this call is cancelled, each within
        ``timeout``. A connection that fails is not an error here (the request that needs it will say why)."""
        idle = sum(1 for c in self._idle.get(origin, ()) if c.usable)
        opening = self._opening.setdefault(origin, deque())
        missing = max(0, min(count, self._max_keepalive) - idle - len(opening))
        if missing == 0 or self._closed:
            return 0
        loop = asyncio.get_running_loop()
        # In waves of doubling size, each started when the one before is open: the burst's first requests get
        # their connections after a few loop turns, instead of when the last of a hundred is set up.
        tasks: list[asyncio.Task[_Connection]] = []
        gate: asyncio.Future[Any] | None = None
        size = _FIRST_WAVE
        while len(tasks) < missing:
            wave = [
                loop.create_task(self._connect_after(gate, origin, timeout))
                for _ in range(min(size, missing - len(tasks)))
            ]
            gate = asyncio.gather(*wave, return_exceptions=True)
            tasks += wave
            size *= 2
        for task in tasks:
            task.add_done_callback(functools.partial(self._opened, origin))
        opening.extend(tasks)
        await asyncio.wait(tasks)  # never cancels them: a request may be waiting for one
        return sum(1 for task in tasks if not _failed(task))

    async def _connect_after(
        self, gate: asyncio.Future[Any] | None, origin: tuple[str, str, int], timeout: float | None
    ) -> _Connection:
        if gate is not None:
            await gate
        return await self._connect(origin, timeout, None)

    def _opened(self, origin: tuple[str, str, int], task: asyncio.Task[_Connection]) -> None:
        """A prewarm connection is open (or failed): idle, unless a request claimed it first (then it is that
        request's) or the transport closed (aclose took care of it)."""
        opening = self._opening.get(origin)
        if opening is None or task not in opening:
            return
        opening.remove(task)
        if not _failed(task):
            self._checkin(task.result())

    async def _claim(self, origin: tuple[str, str, int]) -> _Connection | None:
        """A connection prewarm is opening, if any: waiting for it beats opening one more."""
        opening = self._opening.get(origin)
        while opening:
            task = opening.popleft()
            try:
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                if task.cancelled():  # the transport closed: not this request's cancellation
                    raise httpx2.ConnectError("the transport is closed") from None
                # This request was cancelled: the connection goes to the pool (or to the next request).
                if not task.done():
                    opening.appendleft(task)
                elif not _failed(task):
                    self._checkin(task.result())
                raise
            except Exception:
                continue  # that one failed: the next one, or a connection of this request's own
        return None

    # -- sending ---------------------------------------------------------------------------------------------

    async def send_prepared(
        self, prepared: PreparedRequest, body: bytes
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes]:
        """Send ``body`` with a head serialized once; return (status, reason, headers, body) as received.

        The lean path of :class:`~rationalerm.llm.JudgePool`: no ``httpx2.Request`` or ``httpx2.Response`` is
        made per request. Errors are the httpx2 exceptions :meth:`handle_async_request` raises, without a
        ``request`` (the caller makes one only when it needs it). The body is returned as the server sent it: a ``Content-Encoding`` is
        not undone here (the caller hands such a response to ``httpx2.Response``, which decodes it)."""
        if self._closed:
            raise RuntimeError("the transport is closed")
        data = b"".join(
            (prepared.head, b"Content-Length: ", str(len(body)).encode("ascii"), b"\r\n\r\n", body)
        )
        return await self._exchange(prepared.origin, data, prepared.method, prepared.timeouts, None)

    async def _exchange(
        self,
        origin: tuple[str, str, int],
        data: bytes,
        method: str,
        timeouts: dict[str, Any],
        request: httpx2.Request | None,
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes]:
        connection = self._checkout(origin)
        if connection is None:
            connection = await self._claim(origin) or await self._connect(
                origin, timeouts.get("connect"), request
            )
        connection.request_is_head = method == "HEAD"
        self._active.add(connection)
        try:
            status, reason, headers, content, keep_alive = await connection.exchange(
                data, timeouts.get("read"), timeouts.get("write"), request
            )
        finally:
            self._active.discard(connection)
        if keep_alive:
            self._checkin(connection)
        else:
            connection.close()
        return status, reason, headers, content

    # -- httpx2 transport API --------------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        if url.scheme != "http":
            return await self._fallback_transport().handle_async_request(request)
        if self._closed:
            raise RuntimeError("the transport is closed")
        body = await request.aread()
        method = request.method
        head, has_length = _serialize_head(request)
        if not has_length and (body or method not in ("GET", "HEAD", "DELETE", "OPTIONS")):
            head += b"Content-Length: " + str(len(body)).encode("ascii") + b"\r\n"
        status, reason, headers, content = await self._exchange(
            ("http", url.host, url.port or 80),
            b"".join((head, b"\r\n", body)),
            method,
            request.extensions.get("timeout") or {},
            request,
        )
        return httpx2.Response(
            status_code=status,
            headers=headers,
            content=content,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    def _fallback_transport(self) -> httpx2.AsyncBaseTransport:
        if self._fallback is None:
            self._fallback = httpx2.AsyncHTTPTransport()
        return self._fallback

    @property
    def idle_connections(self) -> int:
        """Idle keep-alive connections held (for tests and diagnostics)."""
        return sum(1 for idle in self._idle.values() for c in idle if c.usable)

    async def aclose(self) -> None:
        self._closed = True
        for opening in self._opening.values():
            for task in opening:
                if not task.done():
                    task.cancel()
                elif not _failed(task):  # opened, its callback not run yet
                    task.result().close()
        self._opening.clear()
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        for connection in list(self._active):
            connection.close()
        self._active.clear()
        if self._fallback is not None and self._owns_fallback:
            await self._fallback.aclose()
