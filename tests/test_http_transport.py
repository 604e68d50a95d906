"""FastHTTPTransport against raw asyncio servers scripted byte by byte: framing, keep-alive, closes, timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx2
import openai
import pytest

from judge_server import JudgeServer, chat_reply
from rationalerm import aio
from rationalerm.http_transport import FastHTTPTransport
from rationalerm.llm import JudgePool

pytestmark = pytest.mark.usefixtures("both_event_loops")

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, dict[bytes, bytes], bytes]:
    """One request: (request line, lower-cased headers, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return lines[0], headers, body


def response(body: bytes, status: str = "200 OK", extra: bytes = b"") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n".encode()
        + extra
        + b"\r\n"
        + body
    )


class RawServer:
    """An asyncio server on 127.0.0.1 running ``handler`` per connection; counts connections."""

    def __init__(self, handler: Handler):
        self.handler = handler
        self.connections = 0
        self.open = 0  # connections whose handler is still running (the client has not closed them)
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> RawServer:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            self.open += 1
            try:
                await self.handler(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                self.open -= 1
                writer.close()

        self.server = await asyncio.start_server(serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


def run(coro: Awaitable[None]) -> None:
    aio.run(coro)  # type: ignore[arg-type]


async def keep_alive_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        line, _, body = await read_request(reader)
        writer.write(response(b'{"echo": %d, "line": "%s"}' % (len(body), line.decode().split()[1].encode())))
        await writer.drain()


def test_keep_alive_connections_are_reused():
    async def main():
        async with RawServer(keep_alive_echo) as server:
            async with httpx2.AsyncClient(transport=FastHTTPTransport()) as client:
                for i in range(5):
                    r = await client.post(f"{server.url}/v1/x?i={i}", content=b"abc")
                    assert r.status_code == 200 and r.json() == {"echo": 3, "line": f"/v1/x?i={i}"}
                assert server.connections == 1
                # Concurrent requests open more connections, then all of them are kept for reuse.
                results = await asyncio.gather(*(client.get(f"{server.url}/c") for _ in range(4)))
                assert all(r.json()["echo"] == 0 for r in results)
                assert server.connections == 4
                await asyncio.gather(*(client.get(f"{server.url}/c") for _ in range(4)))
                assert server.connections == 4

    run(main())


def test_chunked_response_with_extensions_and_trailer():
    async def handler(reader, writer):
        while True:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n")
            for part in (b"hel", b"lo wor", b"ld" * 3000):
                writer.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
                await writer.drain()
                await asyncio.sleep(0.01)  # the body arrives in several reads
            writer.write(b"0\r\nX-Trailer: yes\r\n\r\n")
            await writer.drain()

    async def main():
        async with RawServer(handler) as server:
            async with httpx2.AsyncClient(transport=FastHTTPTransport()) as client:
                for _ in range(2):
                    r = await client.get(server.url)
                    assert r.text == "hello world" + "ld" * 2999
                assert server.connections == 1

    run(main())


def test_server_closing_after_the_response_is_handled():
    async def connection_close(reader, writer):
        await read_request(reader)
        writer.write(response(b'{"n": 1}', extra=b"Connection: close\r\n"))
        await writer.drain()

    async def read_until_close(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        writer.write(b'{"no": "length"}')
        await writer.drain()
        writer.close()

    async def main():
        for handler in (connection_close, read_until_close):
            async with RawServer(handler) as server:
                transport = FastHTTPTransport()
                async with httpx2.AsyncClient(transport=transport) as client:
                    first = await client.get(server.url)
                    second = await client.get(server.url)
                    assert first.status_code == second.status_code == 200 and first.json()
                    assert server.connections == 2 and transport.idle_connections == 0

    run(main())


def test_idle_connection_closed_by_the_server_is_not_reused():
    async def one_then_close(reader, writer):
        await read_request(reader)
        writer.write(response(b"{}"))
        await writer.drain()
        await asyncio.sleep(0.05)  # the server's keep-alive timeout: closes while the client holds it idle

    async def main():
        async with RawServer(one_then_close) as server:
            transport = FastHTTPTransport()
            async with httpx2.AsyncClient(transport=transport) as client:
                assert (await client.get(server.url)).status_code == 200
                await asyncio.sleep(0.2)
                assert transport.idle_connections == 0
                assert (await client.get(server.url)).status_code == 200
                assert server.connections == 2

    run(main())


def test_server_closing_without_a_response_is_a_remote_protocol_error():
    async def drop(reader, writer):
        await read_request(reader)

    async def truncated(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part")
        await writer.drain()

    async def main():
        for handler, message in ((drop, "without sending a response"), (truncated, "complete message body")):
            async with RawServer(handler) as server:
                async with httpx2.AsyncClient(transport=FastHTTPTransport()) as client:
                    with pytest.raises(httpx2.RemoteProtocolError, match=message) as info:
                        await client.get(server.url)
                    assert info.value.request.url == httpx2.URL(server.url)

    run(main())


def test_malformed_response_is_a_remote_protocol_error():
    async def garbage(reader, writer):
        await read_request(reader)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)

    async def main():
        async with RawServer(garbage) as server:
            async with httpx2.AsyncClient(transport=FastHTTPTransport()) as client:
                with pytest.raises(httpx2.RemoteProtocolError, match="status line"):
                    await client.get(server.url)

    run(main())


def test_read_timeout_counts_from_the_last_byte():
    async def slow(reader, writer):
        while True:
            line, _, _ = await read_request(reader)
            if b"/trickle" in line:  # 0.6 s in all, but never 0.3 s of silence
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n")
                for byte in b"abcdef":
                    await asyncio.sleep(0.1)
                    writer.write(bytes([byte]))
                    await writer.drain()
            else:
                await asyncio.sleep(1.0)
                writer.write(response(b"{}"))
                await writer.drain()

    async def main():
        async with RawServer(slow) as server:
            async with httpx2.AsyncClient(transport=FastHTTPTransport(), timeout=0.3) as client:
                r = await client.get(f"{server.url}/trickle")
                assert r.content == b"abcdef"
                loop = asyncio.get_running_loop()
                started = loop.time()
                with pytest.raises(httpx2.ReadTimeout):
                    await client.get(f"{server.url}/silent")
                assert 0.25 < loop.time() - started < 0.9

    run(main())


def test_connection_refused_is_a_connect_error():
    async def main():
        async with RawServer(keep_alive_echo) as server:
            url = server.url
        await asyncio.sleep(0.05)
        async with httpx2.AsyncClient(transport=FastHTTPTransport()) as client:
            with pytest.raises(httpx2.ConnectError):
                await client.get(url)

    run(main())


def test_https_goes_to_the_fallback_transport():
    seen = []

    async def fallback_handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        return httpx2.Response(204)

    async def main():
        transport = FastHTTPTransport(fallback=httpx2.MockTransport(fallback_handler))
        async with httpx2.AsyncClient(transport=transport) as client:
            assert (await client.get("https://example.invalid/v1/models")).status_code == 204
        assert seen == ["https://example.invalid/v1/models"]

    run(main())


def test_sdk_errors_map_as_with_the_default_transport():
    """The SDK sees the same exception types: timeouts, dropped connections, HTTP statuses."""

    async def handler(reader, writer):
        line, headers, body = await read_request(reader)
        assert headers[b"authorization"] == b"Bearer sk-x" and b'"model"' in body
        if b"/slow/" in line:
            await asyncio.sleep(1)
        elif b"/drop/" in line:
            return
        writer.write(response(b'{"error": {"message": "busy"}}', status="503 Service Unavailable"))
        await writer.drain()

    async def main():
        async with RawServer(handler) as server:
            for path, error in (
                ("slow", openai.APITimeoutError),
                ("drop", openai.APIConnectionError),
                ("status", openai.InternalServerError),
            ):
                client = openai.AsyncOpenAI(
                    api_key="sk-x",
                    base_url=f"{server.url}/{path}/v1",
                    max_retries=0,
                    timeout=0.3,
                    http_client=httpx2.AsyncClient(transport=FastHTTPTransport()),
                )
                with pytest.raises(error):
                    await client.chat.completions.create(
                        model="m", messages=[{"role": "user", "content": "hi"}]
                    )
                await client.close()

    run(main())


def test_judge_pool_uses_the_fast_transport_for_http_only():
    with JudgeServer(lambda req, n: chat_reply("OK")) as server:

        async def main():
            async with JudgePool("m", [server.url, "https://example.invalid/v1"], api_key="k") as pool:
                http, https = (e.clients[0]._client._transport for e in pool._endpoints)
                assert isinstance(http, FastHTTPTransport) and not isinstance(https, FastHTTPTransport)
            async with JudgePool("m", server.url, api_key="k", concurrency=4) as pool:
                (client,) = pool._endpoints[0].clients
                transport = client._client._transport
                results = await asyncio.gather(
                    *(pool.complete([{"role": "user", "content": "x"}], seed=i) for i in range(20))
                )
                assert all(r.ok and r.text == "OK" for r in results)
                assert 1 <= transport.idle_connections <= 4

        run(main())
        assert server.count == 20
        assert "x-stainless-lang" not in server.requests[0].headers  # telemetry left out on plain http


def _origin(url: str) -> tuple[str, str, int]:
    parsed = httpx2.URL(url)
    return ("http", parsed.host, parsed.port or 80)


def test_prewarm_beside_a_burst_opens_each_connection_once():
    """Requests that start while prewarm is opening connections wait for those instead of opening their own, and
    the first of them does not wait for the last of the connections (they open in waves)."""
    at_first_request: list[int] = []

    async def handler(reader, writer):
        while True:
            await read_request(reader)
            if not at_first_request:
                at_first_request.append(server.connections)
            writer.write(response(b"{}"))
            await writer.drain()

    async def main():
        nonlocal server
        async with RawServer(handler) as server:
            transport = FastHTTPTransport()
            async with httpx2.AsyncClient(transport=transport) as client:
                warming = asyncio.create_task(transport.prewarm(_origin(server.url), 64))
                await asyncio.sleep(0)  # prewarm has registered its 64 connections
                results = await asyncio.gather(*(client.get(f"{server.url}/r") for _ in range(64)))
                assert await warming == 64
                assert all(r.status_code == 200 for r in results)
                assert server.connections == 64  # not 64 warmed + 64 of the requests' own
                assert transport.idle_connections == 64
        assert 1 <= at_first_request[0] < 64

    server: RawServer
    run(main())


def test_a_cancelled_request_hands_its_prewarm_connection_on():
    async def main():
        async with RawServer(keep_alive_echo) as server:
            origin = _origin(server.url)
            transport = FastHTTPTransport()
            async with httpx2.AsyncClient(transport=transport) as client:
                warming = asyncio.create_task(transport.prewarm(origin, 1))
                await asyncio.sleep(0)
                (opening,) = transport._opening[origin]
                request = asyncio.create_task(client.get(f"{server.url}/r"))
                for _ in range(50):  # until the request has claimed the connection being opened
                    await asyncio.sleep(0)
                    if not transport._opening[origin]:
                        break
                assert not opening.done(), "the connection opened before the request could claim it"
                request.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await request
                assert await warming == 1
                assert transport.idle_connections == 1  # handed back, not leaked
                assert (await client.get(f"{server.url}/again")).status_code == 200
                assert server.connections == 1

    run(main())


def test_closing_during_prewarm_leaves_no_connection_open():
    async def main():
        async with RawServer(keep_alive_echo) as server:
            origin = _origin(server.url)
            transport = FastHTTPTransport()
            warming = asyncio.create_task(transport.prewarm(origin, 40))
            for _ in range(3):
                await asyncio.sleep(0)
            await transport.aclose()
            opened = await warming  # finishes (its connections cancelled or closed), never raises
            assert opened < 40
            for _ in range(100):  # the server sees every connection that was opened closed again
                if server.open == 0:
                    break
                await asyncio.sleep(0.01)
            assert server.open == 0 and transport.idle_connections == 0
            pending = [t for t in asyncio.all_tasks() if "FastHTTPTransport" in t.get_coro().__qualname__]
            assert pending == []
            assert await transport.prewarm(origin, 1) == 0  # closed: opens nothing

    run(main())
