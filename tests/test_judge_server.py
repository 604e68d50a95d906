"""The scripted judge server itself, over real HTTP: what the other tests and the benchmarks rely on."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from judge_server import JudgeServer, Reply, chat_reply, models_not_found_reply

CHAT = {"model": "judge", "messages": [{"role": "user", "content": "R1. one\nR2. two\nS1. uno"}]}


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["content-type"] == "application/json"
        return json.loads(response.read())


def post(url: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_models_are_listed_in_the_openai_form_and_gets_are_not_counted(judge_server: JudgeServer) -> None:
    assert get_json(judge_server.url + "/models") == {
        "object": "list",
        "data": [
            {"id": "judge", "object": "model", "owned_by": "judge-server"},
            {"id": "judge-1", "object": "model", "owned_by": "judge-server"},
        ],
    }
    judge_server.models = ["served"]
    assert [model["id"] for model in get_json(judge_server.url + "/models")["data"]] == ["served"]
    status, _, body = post(judge_server.url + "/chat/completions", json.dumps(CHAT).encode())
    assert status == 200 and "R2@S0" in json.loads(body)["choices"][0]["message"]["content"]
    assert get_json(judge_server.url + "/stats")["requests"] == 1
    assert judge_server.count == 1 and len(judge_server.requests) == 1 and judge_server.get_count == 3
    request = judge_server.requests[0]
    assert request.path == "/v1/chat/completions" and request.body == CHAT
    assert request.headers["content-type"] == "application/json"  # names lower-cased


def test_models_not_found_reply_is_the_vllm_404(judge_server: JudgeServer) -> None:
    judge_server.script = lambda request, n: models_not_found_reply(request["model"])
    status, headers, body = post(judge_server.url + "/chat/completions", json.dumps(CHAT).encode())
    assert status == 404 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "error": {
            "message": "The model `judge` does not exist.",
            "type": "NotFoundError",
            "param": None,
            "code": 404,
        }
    }


def test_bodies_headers_and_non_json_requests(judge_server: JudgeServer) -> None:
    replies = {1: Reply(body="plain", headers={"X-Why": "test"}), 2: Reply(status=503, body=b"\x00raw")}
    judge_server.script = lambda request, n: replies[n]
    url = judge_server.url + "/chat/completions"
    status, headers, body = post(url, b"{}")
    assert (status, headers["Content-Type"], headers["X-Why"], body) == (
        200,
        "text/plain; charset=utf-8",
        "test",
        b"plain",
    )
    status, headers, body = post(url, b"{}")
    assert (status, headers["Content-Type"], body) == (503, "application/octet-stream", b"\x00raw")
    status, _, body = post(url, b"not json")  # the script is not called: a third reply would be a KeyError
    assert status == 400 and json.loads(body)["error"]["message"] == "body is not JSON"
    assert judge_server.count == 3 and judge_server.requests[2].body is None
    assert judge_server.status_counts == {200: 1, 503: 1, 400: 1}


def test_keep_alive_connections_are_reused(judge_server: JudgeServer) -> None:
    async def go() -> list[int]:
        async with aiohttp.ClientSession() as session:
            statuses = []
            for _ in range(5):
                async with session.post(judge_server.url + "/chat/completions", json=CHAT) as response:
                    await response.read()
                    statuses.append(response.status)
            return statuses

    assert asyncio.run(go()) == [200] * 5
    assert judge_server.accepted == 1 and judge_server.count == 5


def test_a_dropped_request_closes_the_connection_unanswered(judge_server: JudgeServer) -> None:
    judge_server.script = lambda request, n: Reply(drop=True) if n == 1 else None

    async def go() -> int:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ServerDisconnectedError):
                async with session.post(judge_server.url + "/chat/completions", json=CHAT) as response:
                    await response.read()
            async with session.post(judge_server.url + "/chat/completions", json=CHAT) as response:
                await response.read()
                return response.status

    assert asyncio.run(go()) == 200
    assert judge_server.status_counts == {"drop": 1, 200: 1} and judge_server.accepted == 2
    assert judge_server.in_flight == 0


def test_delays_overlap_and_add_the_latency(judge_server: JudgeServer) -> None:
    judge_server.script = lambda request, n: chat_reply("OK", delay=0.2)
    judge_server.latency = 0.1

    async def go() -> float:
        async with aiohttp.ClientSession() as session:

            async def one() -> None:
                async with session.post(judge_server.url + "/chat/completions", json=CHAT) as response:
                    assert response.status == 200
                    await response.read()

            start = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(20)))
            return time.perf_counter() - start

    elapsed = asyncio.run(go())
    assert 0.3 <= elapsed < 1.5  # twenty 0.3 s replies wait side by side, not one after another
    assert judge_server.max_in_flight == 20 and judge_server.in_flight == 0
    assert judge_server.total_delay == pytest.approx(20 * 0.3)


def test_stop_does_not_wait_for_replies_still_delayed() -> None:
    with JudgeServer(lambda request, n: chat_reply("late", delay=30)) as server:
        request = urllib.request.Request(server.url + "/chat/completions", data=b"{}")
        with pytest.raises(OSError):  # the client gives up; the reply is still waiting out its delay
            urllib.request.urlopen(request, timeout=0.2)
        deadline = time.monotonic() + 5
        while server.in_flight != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.in_flight == 1
        start = time.perf_counter()
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_stand_alone_process(loop: str) -> None:
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    script = Path(__file__).with_name("judge_server.py")
    argv = [sys.executable, str(script), "--latency", "0.01", "--jitter", "0.5"] + (
        ["--uvloop"] if loop == "uvloop" else []
    )
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None and process.stdin is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
            status, _, body = post(url + "/chat/completions", json.dumps(CHAT).encode())
            assert status == 200 and json.loads(body)["object"] == "chat.completion"
            stats = get_json(url + "/stats")
            assert (
                stats["requests"] == 1 and stats["status_counts"] == {"200": 1} and stats["total_delay"] > 0
            )
            process.stdin.close()
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
