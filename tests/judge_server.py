"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for tests and benchmarks.

It is an :mod:`aiohttp.web` application (its own event loop in a background thread) on an ephemeral port: a real
HTTP/1.1 server with keep-alive, as vLLM's (FastAPI on uvicorn) is, so clients are exercised exactly as against
vLLM or a hosted API (no mocking of the SDK, and no protocol written by hand on either side). Behaviour is a Python
callable ``script(request_json, request_number) -> Reply | None`` (None: the default answer), and every chat
request is recorded for assertions on shape and count.

The default answer reads the MetaJudge prompt (lines ``R<i>. ...`` and ``S<j>. ...``) and matches human item i to
model item i (score 1.0) or to S0 when there is no model item i; with ``response_format`` json_schema it answers
the JSON form instead. Other tests script their own answers (GenRM verdicts, faults) with :func:`chat_reply`.

``GET /v1/models`` lists the server's model names in the OpenAI form, and ``GET .../stats`` returns counts and the
total latency served; GETs are neither scripted nor recorded (``requests`` and ``count`` are chat requests only).

Run as a script for a server in its own process (benchmarks measure client CPU without the server in it)::

    python tests/judge_server.py --latency 0.05 --jitter 0.5 --p500 0.1 --p429 0.1 --uvloop

prints its base URL on the first line of stdout and serves until stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    """What the server does with one request: wait ``delay`` seconds, then either drop the connection without
    answering (``drop``) or answer ``status`` with ``body`` (a dict is sent as JSON, str/bytes as they are)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


@dataclass
class RecordedRequest:
    number: int
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float


Script = Callable[[dict[str, Any], int], "Reply | None"]


def chat_reply(
    text: str | None,
    *,
    model: str = "judge",
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    cached_tokens: int = 0,
    finish_reason: str = "stop",
    delay: float = 0.0,
) -> Reply:
    """A 200 chat.completion answering ``text``."""
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens},
        },
    }
    return Reply(body=body, delay=delay)


def error_reply(
    status: int,
    message: str = "scripted failure",
    *,
    headers: dict[str, str] | None = None,
    delay: float = 0.0,
) -> Reply:
    """An OpenAI-style error body with ``status``."""
    return Reply(
        status=status,
        body={"error": {"message": message, "type": "test", "code": status}},
        headers=headers or {},
        delay=delay,
    )


def models_not_found_reply(model: str) -> Reply:
    """The 404 vLLM (and OpenAI) answer for a model the server does not serve."""
    return Reply(
        status=404,
        body={
            "error": {
                "message": f"The model `{model}` does not exist.",
                "type": "NotFoundError",
                "param": None,
                "code": 404,
            }
        },
    )


_HUMAN_RE = re.compile(r"^R(\d+)[.:] ", re.MULTILINE)  # ". " here, ": " in the released script
_MODEL_RE = re.compile(r"^S(\d+)[.:] ", re.MULTILINE)


def prompt_text(request: dict[str, Any]) -> str:
    """The text of the last user message of a chat request."""
    for message in reversed(request.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
            return str(content or "")
    return ""


def list_sizes(request: dict[str, Any]) -> tuple[int, int]:
    """(number of human items, number of model items) in a MetaJudge prompt."""
    text = prompt_text(request)
    return len(_HUMAN_RE.findall(text)), len(_MODEL_RE.findall(text))


def metajudge_matches(request: dict[str, Any]) -> list[tuple[int, int, float]]:
    """The default matching: human i to model i with score 1.0, S0 when the model list is shorter."""
    n_human, n_model = list_sizes(request)
    return [(i, i if i <= n_model else 0, 1.0 if i <= n_model else 0.0) for i in range(1, n_human + 1)]


def metajudge_text(matches: list[tuple[int, int, float]], reasoning: str = "Compared each item.") -> str:
    lines = "\n".join(f"- R{h}@S{m}: {s:g}" for h, m, s in matches)
    return f"{reasoning}\n<RESULT_START>\n{lines}\n<RESULT_END>"


def default_reply(request: dict[str, Any]) -> Reply:
    """A valid MetaJudge answer (tags, or JSON when the request asks for a json_schema)."""
    matches = metajudge_matches(request)
    response_format = request.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        text = json.dumps(
            {
                "reasoning": "Compared each item.",
                "matches": [{"human": h, "model": m, "score": s} for h, m, s in matches],
            }
        )
    else:
        text = metajudge_text(matches)
    return chat_reply(text, model=str(request.get("model", "judge")))


class JudgeServer:
    """The scripted server. ``with JudgeServer(script) as server: server.url`` is ``http://127.0.0.1:<port>/v1``.

    ``script`` may be replaced while running (``server.script = ...``). ``latency`` (seconds, or a callable
    returning seconds) is added to every reply's own delay. ``requests`` lists every chat request received (GETs
    are counted apart, in ``get_count``). ``models`` are the names ``GET /v1/models`` lists.

    The server is an :mod:`aiohttp.web` application on its own event loop in a daemon thread (a reply's delay is an
    ``asyncio.sleep``, not a sleeping thread), so it keeps up with thousands of requests per second on one core;
    ``script`` and ``latency`` are called on that thread. ``accepted`` counts the TCP connections accepted since
    start (a client that reuses its connections keeps it low).
    """

    def __init__(
        self,
        script: Script | None = None,
        *,
        latency: float | Callable[[], float] = 0.0,
        loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
        models: Sequence[str] = ("judge", "judge-1"),
    ):
        self.script = script
        self.latency = latency
        self.models: Sequence[str] = models
        self.requests: list[RecordedRequest] = []
        self.total_delay = 0.0
        self.status_counts: dict[int | str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.accepted = 0  # TCP connections accepted since start
        self.get_count = 0  # GET requests (stats, models, unknown paths): not scripted, not in ``requests``
        self._lock = threading.Lock()
        self._count = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self._loop_factory = loop_factory

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> JudgeServer:
        loop = self._loop_factory()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="judge-server", daemon=True)
        self._thread.start()

        async def listen() -> tuple[web.AppRunner, asyncio.AbstractServer]:
            # Practically no limit on what a client may send (aiohttp's defaults: 1 MiB bodies, 8 KiB header lines).
            app = web.Application(client_max_size=1 << 30)
            app.router.add_route("*", "/{path:.*}", self._handle)
            runner = web.AppRunner(
                app,
                access_log=None,
                keepalive_timeout=75.0,  # clients keep idle connections for reuse
                max_line_size=1 << 20,
                max_field_size=1 << 20,
                shutdown_timeout=1.0,
            )
            await runner.setup()
            protocols = runner.server
            assert protocols is not None

            def accept() -> web.RequestHandler:  # asyncio calls this once per accepted connection
                self.accepted += 1
                return protocols()

            # aiohttp's own protocol factory served as its low-level server docs show (TCPSite would do the same
            # with no hook to count connections); a deep backlog for bursts of hundreds of connections.
            server = await asyncio.get_running_loop().create_server(
                accept, "127.0.0.1", 0, backlog=4096, reuse_address=True
            )
            return runner, server

        try:
            self._runner, self._server = asyncio.run_coroutine_threadsafe(listen(), loop).result(timeout=10)
        except BaseException:
            self._halt()
            raise
        self._port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        loop, server, runner = self._loop, self._server, self._runner
        if loop is None or server is None or runner is None:
            return

        async def shutdown() -> None:
            server.close()  # no new connections
            protocols = runner.server
            for connection in protocols.connections if protocols is not None else ():
                connection.force_close()  # open connections close at once, mid-request or idle
            # Replies still waiting out their delay are cancelled rather than awaited.
            current = asyncio.current_task()
            pending = [task for task in asyncio.all_tasks() if task is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await runner.cleanup()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=10)
        finally:
            self._halt()

    def _halt(self) -> None:
        loop = self._loop
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        loop.close()
        self._loop = self._server = self._runner = self._thread = None

    def __enter__(self) -> JudgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def count(self) -> int:
        return self._count

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._count = 0
            self.get_count = 0
            self.total_delay = 0.0
            self.status_counts.clear()
            self.max_in_flight = 0

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self._count,
                "total_delay": self.total_delay,
                "status_counts": {str(k): v for k, v in self.status_counts.items()},
            }

    def models_list(self) -> dict[str, Any]:
        """The ``GET /v1/models`` body."""
        return {
            "object": "list",
            "data": [{"id": name, "object": "model", "owned_by": "judge-server"} for name in self.models],
        }

    # -- request handling (on the server's loop thread) -------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET":
            with self._lock:
                self.get_count += 1
            path = request.path.rstrip("/")
            if path.endswith("/stats"):
                return _response(Reply(body=self.stats()))
            if path.endswith("/models"):
                return _response(Reply(body=self.models_list()))
            return _response(error_reply(404, "not found"))
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in request.headers.items()}
        reply = self._decide(request.raw_path, headers, body)
        try:
            if reply.delay > 0:
                await asyncio.sleep(reply.delay)
        finally:
            self._done()
        if reply.drop:
            transport = request.transport
            if transport is not None:
                transport.close()
            # Nothing reaches the client: aiohttp finds the transport closing, writes nothing and ends the connection.
            return web.Response()
        return _response(reply)

    def _decide(self, path: str, headers: dict[str, str], body: Any) -> Reply:
        with self._lock:
            self._count += 1
            number = self._count
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.requests.append(RecordedRequest(number, path, headers, body, time.time()))
        script = self.script
        reply = script(body, number) if script is not None and isinstance(body, dict) else None
        if reply is None:
            reply = default_reply(body) if isinstance(body, dict) else error_reply(400, "body is not JSON")
        extra = self.latency() if callable(self.latency) else self.latency
        delay = reply.delay + extra
        with self._lock:
            self.total_delay += delay
            key: int | str = "drop" if reply.drop else reply.status
            self.status_counts[key] = self.status_counts.get(key, 0) + 1
        return Reply(reply.status, reply.body, reply.headers, delay, reply.drop)

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1


def _response(reply: Reply) -> web.Response:
    """``reply`` as an aiohttp response: bytes as octet-stream, str as text/plain, anything else as JSON."""
    if isinstance(reply.body, bytes):
        data, content_type = reply.body, "application/octet-stream"
    elif isinstance(reply.body, str):
        data, content_type = reply.body.encode("utf-8"), "text/plain; charset=utf-8"
    else:
        data, content_type = json.dumps(reply.body).encode("utf-8"), "application/json"
    headers = {"Server": "judge-server", "Content-Type": content_type}
    for name, value in reply.headers.items():  # the reply's own headers win (names are case-insensitive)
        for same in [key for key in headers if key.lower() == name.lower()]:
            del headers[same]
        headers[name] = value
    return web.Response(status=reply.status, body=data, headers=headers)


# --------------------------------------------------------------------------------------------------------------
# Stand-alone process mode (benchmarks)


def fault_script(
    p500: float, p429: float, retry_after: str | None, seed: int, retry_after_ms: float | None = None
) -> Script:
    """Fail a random share of requests with 500 or 429, else the default answer.

    A 429 carries ``Retry-After: retry_after`` (seconds or an HTTP date) and, when ``retry_after_ms`` is set,
    ``retry-after-ms`` too (as OpenAI sends both; a client honouring the finer one waits that long)."""
    rng = random.Random(seed)
    lock = threading.Lock()
    headers: dict[str, str] = {}
    if retry_after_ms is not None:
        headers["retry-after-ms"] = f"{retry_after_ms:g}"
    if retry_after:
        headers["Retry-After"] = retry_after

    def script(request: dict[str, Any], number: int) -> Reply | None:
        with lock:
            draw = rng.random()
        if draw < p500:
            return error_reply(500, "injected server error")
        if draw < p500 + p429:
            return error_reply(429, "injected rate limit", headers=dict(headers))
        return None

    return script


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.0, help="mean seconds per reply")
    parser.add_argument("--jitter", type=float, default=0.0, help="latency uniform in mean*(1 +/- jitter)")
    parser.add_argument("--p500", type=float, default=0.0)
    parser.add_argument("--p429", type=float, default=0.0)
    parser.add_argument("--retry-after", default="1", help="Retry-After of injected 429s ('' for none)")
    parser.add_argument("--retry-after-ms", type=float, help="also send retry-after-ms on injected 429s")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--uvloop", action="store_true", help="serve on uvloop (must be installed)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed + 1)
    lock = threading.Lock()

    def latency() -> float:
        with lock:
            return args.latency * (1 + args.jitter * (2 * rng.random() - 1))

    script = (
        fault_script(args.p500, args.p429, args.retry_after, args.seed, args.retry_after_ms)
        if args.p500 or args.p429
        else None
    )
    loop_factory = asyncio.new_event_loop
    if args.uvloop:
        import uvloop

        loop_factory = uvloop.new_event_loop
    with JudgeServer(script, latency=latency, loop_factory=loop_factory) as server:
        print(server.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
