"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for tests and benchmarks.

It speaks real HTTP/1.1 with keep-alive (``ThreadingHTTPServer``, one thread per connection) on an ephemeral port,
so clients are exercised exactly as against vLLM or a hosted API: no mocking of the SDK. Behaviour is a Python
callable ``script(request_json, request_number) -> Reply | None`` (None: the default answer), and every request
is recorded for assertions on shape and count.

The default answer reads the MetaJudge prompt (lines ``R<i>. ...`` and ``S<j>. ...``) and matches human item i to
model item i (score 1.0) or to S0 when there is no model item i; with ``response_format`` json_schema it answers
the JSON form instead. Other tests script their own answers (GenRM verdicts, faults) with :func:`chat_reply`.

Run as a script for a server in its own process (benchmarks measure client CPU without the server in it)::

    python tests/judge_server.py --latency 0.05 --jitter 0.5 --p500 0.1 --p429 0.1

prints its base URL on the first line of stdout and serves until stdin closes. ``GET /stats`` returns counts and
the total latency served.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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


_HUMAN_RE = re.compile(r"^R(\d+)\. ", re.MULTILINE)
_MODEL_RE = re.compile(r"^S(\d+)\. ", re.MULTILINE)


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
    returning seconds) is added to every reply's own delay. ``requests`` lists every request received.
    """

    def __init__(self, script: Script | None = None, *, latency: float | Callable[[], float] = 0.0):
        self.script = script
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self.total_delay = 0.0
        self.status_counts: dict[int | str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._count = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> JudgeServer:
        handler = type("Handler", (_Handler,), {"owner": self})
        httpd = _Server(("127.0.0.1", 0), handler)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> JudgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

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

    # -- request handling (called from handler threads) -------------------------------------------------------

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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: hundreds of clients connect at once


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the client's delayed ACK adds ~40 ms per reply.
    disable_nagle_algorithm = True
    owner: JudgeServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``requests`` instead of a log."""

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/stats"):
            self._send(Reply(body=self.owner.stats()))
        else:
            self._send(error_reply(404, "not found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.owner._decide(self.path, headers, body)
        try:
            if reply.delay > 0:
                time.sleep(reply.delay)
        finally:
            with self.owner._lock:
                self.owner.in_flight -= 1
        if reply.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, bytes):
            data = reply.body
            content_type = "application/octet-stream"
        elif isinstance(reply.body, str):
            data = reply.body.encode("utf-8")
            content_type = "text/plain; charset=utf-8"
        else:
            data = json.dumps(reply.body).encode("utf-8")
            content_type = "application/json"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (timeout) and closed the socket
            self.close_connection = True


# --------------------------------------------------------------------------------------------------------------
# Stand-alone process mode (benchmarks)


def fault_script(p500: float, p429: float, retry_after: str, seed: int) -> Script:
    """Fail a random share of requests with 500 or 429 (``Retry-After: retry_after``), else the default answer."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def script(request: dict[str, Any], number: int) -> Reply | None:
        with lock:
            draw = rng.random()
        if draw < p500:
            return error_reply(500, "injected server error")
        if draw < p500 + p429:
            return error_reply(429, "injected rate limit", headers={"Retry-After": retry_after})
        return None

    return script


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.0, help="mean seconds per reply")
    parser.add_argument("--jitter", type=float, default=0.0, help="latency uniform in mean*(1 +/- jitter)")
    parser.add_argument("--p500", type=float, default=0.0)
    parser.add_argument("--p429", type=float, default=0.0)
    parser.add_argument("--retry-after", default="1")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed + 1)
    lock = threading.Lock()

    def latency() -> float:
        with lock:
            return args.latency * (1 + args.jitter * (2 * rng.random() - 1))

    script = (
        fault_script(args.p500, args.p429, args.retry_after, args.seed) if args.p500 or args.p429 else None
    )
    with JudgeServer(script, latency=latency) as server:
        print(server.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
