"""The plain-http fast path of JudgePool: what it sends is what the SDK builds, and what fails fails as the SDK's own
exceptions (over real HTTP against the scripted server)."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket

import httpx2
import openai
import pytest

from judge_server import JudgeServer, Reply, chat_reply, error_reply
from rationalerm import aio
from rationalerm.llm import _CHAT_PATH, _JSON_HEADERS, JudgePool, _LeanAsyncOpenAI

pytestmark = pytest.mark.usefixtures("both_event_loops")

KEY = "sk-lean-SECRET-77aa01"
BODY = json.dumps({"model": "judge-1", "messages": [{"role": "user", "content": "Say OK."}]}).encode()


def lean_client(pool: JudgePool) -> _LeanAsyncOpenAI:
    (client,) = pool._endpoints[0].clients
    assert isinstance(client, _LeanAsyncOpenAI)
    return client


def test_lean_path_sends_exactly_the_head_the_sdk_builds(judge_server: JudgeServer) -> None:
    judge_server.script = lambda request, n: chat_reply("OK")

    async def go() -> None:
        async with JudgePool("judge-1", judge_server.url, api_key=KEY, timeout=7.0) as pool:
            client = lean_client(pool)
            # the SDK's own, unmodified request path, with the same client ...
            await client.post(
                _CHAT_PATH,
                cast_to=httpx2.Response,
                content=BODY,
                options={"timeout": 7.0, "headers": _JSON_HEADERS},
            )
            # ... and the fast path, twice (the second from the kept template)
            await client.post_json(_CHAT_PATH, BODY, headers=_JSON_HEADERS, timeout=7.0)
            await client.post_json(_CHAT_PATH, BODY, headers=_JSON_HEADERS, timeout=7.0)

    aio.run(go())
    sdk, first, second = judge_server.requests
    assert sdk.path == first.path == second.path == "/v1/chat/completions"
    assert first.headers == sdk.headers and second.headers == sdk.headers
    assert first.body == second.body == sdk.body == json.loads(BODY)
    assert sdk.headers["authorization"] == f"Bearer {KEY}"
    assert sdk.headers["x-stainless-read-timeout"] == "7.0"
    assert not any(name.startswith("x-stainless-lang") for name in sdk.headers)  # telemetry left out on http


def test_template_follows_a_new_api_key(judge_server: JudgeServer) -> None:
    judge_server.script = lambda request, n: chat_reply("OK")

    async def go() -> None:
        async with JudgePool("judge-1", judge_server.url, api_key=KEY) as pool:
            client = lean_client(pool)
            await client.post_json(_CHAT_PATH, BODY, headers=_JSON_HEADERS, timeout=5.0)
            client.api_key = "sk-rotated-key-0001"
            await client.post_json(_CHAT_PATH, BODY, headers=_JSON_HEADERS, timeout=5.0)

    aio.run(go())
    old, new = (r.headers["authorization"] for r in judge_server.requests)
    assert old == f"Bearer {KEY}" and new == "Bearer sk-rotated-key-0001"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
    ],
)
def test_http_errors_are_the_sdk_exceptions(judge_server: JudgeServer, status: int, error: type) -> None:
    judge_server.script = lambda request, n: error_reply(
        status, "scripted failure", headers={"x-why": "test"}
    )

    async def go() -> BaseException:
        async with JudgePool("judge-1", judge_server.url, api_key=KEY) as pool:
            with pytest.raises(openai.APIStatusError) as caught:
                await lean_client(pool).post_json(_CHAT_PATH, BODY, headers=_JSON_HEADERS, timeout=5.0)
            return caught.value

    exc = aio.run(go())
    assert type(exc) is error
    assert exc.status_code == status
    assert str(exc) == f"Error code: {status} - scripted failure"
    assert exc.response.headers["x-why"] == "test"
    assert exc.body == {"message": "scripted failure", "type": "test", "code": status}
    assert exc.request.headers["authorization"] == f"Bearer {KEY}"
    assert exc.request.content == BODY


def test_timeouts_and_refused_connections_are_the_sdk_exceptions(judge_server: JudgeServer) -> None:
    judge_server.script = lambda request, n: chat_reply("late", delay=1.0)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    async def go() -> None:
        async with JudgePool("judge-1", judge_server.url, api_key=KEY) as pool:
            with pytest.raises(openai.APITimeoutError) as timeout:
                await lean_client(pool).post_json(_CHAT_PATH, BODY, headers=_JSON_HEADERS, timeout=0.2)
            assert timeout.value.request.url.path == "/v1/chat/completions"
        async with JudgePool("judge-1", f"http://127.0.0.1:{closed_port}/v1", api_key=KEY) as pool:
            with pytest.raises(openai.APIConnectionError) as refused:
                await lean_client(pool).post_json(_CHAT_PATH, BODY, headers=_JSON_HEADERS, timeout=2.0)
            assert not isinstance(refused.value, openai.APITimeoutError)
            assert isinstance(refused.value.__cause__, httpx2.ConnectError)

    aio.run(go())


def test_compressed_answers_are_decoded(judge_server: JudgeServer) -> None:
    def script(request, n):
        answer = chat_reply("OK, compressed").body
        return Reply(body=gzip.compress(json.dumps(answer).encode()), headers={"Content-Encoding": "gzip"})

    judge_server.script = script

    async def go():
        async with JudgePool("judge-1", judge_server.url, api_key=KEY, cache=None) as pool:
            return await pool.complete([{"role": "user", "content": "Say OK."}])

    result = aio.run(go())
    assert result.ok and result.text == "OK, compressed"


def test_pool_failures_through_the_lean_path_keep_reasons_and_never_the_key(
    judge_server: JudgeServer,
) -> None:
    judge_server.script = lambda request, n: error_reply(400, f"bad model; your key {KEY} is fine")

    async def go():
        async with JudgePool("judge-1", judge_server.url, api_key=KEY, cache=None) as pool:
            return await pool.complete([{"role": "user", "content": "Say OK."}])

    result = aio.run(go())
    assert result.status == "error" and result.reason == "http_400" and result.attempts == 1
    assert "Error code: 400 - bad model" in result.detail and KEY not in result.detail


def test_https_endpoints_keep_the_sdk_default_stack() -> None:
    pool = JudgePool("judge-1", "https://judge.example.invalid/v1", api_key=KEY, concurrency=16)
    try:
        clients = pool._endpoints[0].clients
        assert clients and not any(isinstance(c, _LeanAsyncOpenAI) for c in clients)
    finally:
        aio.run(pool.aclose())


def test_template_follows_a_new_base_url(judge_server: JudgeServer) -> None:
    judge_server.script = lambda request, n: chat_reply("OK")
    with JudgeServer(lambda request, n: chat_reply("other")) as other:

        async def go() -> None:
            async with JudgePool("judge-1", judge_server.url, api_key=KEY) as pool:
                client = lean_client(pool)
                await client.post_json(_CHAT_PATH, BODY, headers=_JSON_HEADERS, timeout=5.0)
                client.base_url = other.url
                await client.post_json(_CHAT_PATH, BODY, headers=_JSON_HEADERS, timeout=5.0)

        aio.run(go())
        assert judge_server.count == 1 and other.count == 1
        assert other.requests[0].headers["host"] == f"127.0.0.1:{other.port}"


def test_warm_up_opens_the_connections_a_burst_will_use(judge_server: JudgeServer) -> None:
    judge_server.script = lambda request, n: chat_reply("OK", delay=0.05)

    async def go() -> tuple[int, int, int, int]:
        async with JudgePool("judge-1", judge_server.url, api_key=KEY, concurrency=6, cache=None) as pool:
            opened = await pool.warm_up(100)  # at most the concurrency
            again = await pool.warm_up(100)  # already there: nothing to open
            transport = lean_client(pool)._lean_transport
            idle = transport.idle_connections
            results = await asyncio.gather(
                *(pool.complete([{"role": "user", "content": "hi"}]) for _ in range(6))
            )
            assert all(r.ok for r in results)
            return opened, again, idle, len(judge_server._connections)

    opened, again, idle, server_side = aio.run(go())
    assert (opened, again, idle) == (6, 0, 6)
    assert server_side == 6  # the burst used the warmed connections and opened none of its own
    assert aio.run(_https_warm_up()) == 0


async def _https_warm_up() -> int:
    async with JudgePool("judge-1", "https://judge.example.invalid/v1", api_key=KEY) as pool:
        return await pool.warm_up(10)  # the SDK's own pool there: nothing to do, and no network touched


def test_reward_batches_warm_the_judge_connections_up(judge_server: JudgeServer) -> None:
    from rationalerm.matchers.llm import LLMMatcher
    from rationalerm.reward import RewardConfig, RewardSample, RewardScorer
    from rationalerm.reward.adversarial import render_completion

    sample = RewardSample(human_checklist=("Response 1 gets the date wrong: 1658, not 1648.",), human_label=2)
    completions = [render_completion([f"Response A dates it to 1658 (case {i})."], "B>A") for i in range(40)]
    opened: list[int] = []

    class Recording(LLMMatcher):
        async def warm_up(self, requests: int) -> int:
            opened.append(await super().warm_up(requests))
            return opened[-1]

    async def go():
        async with Recording(JudgePool("judge", [judge_server.url], cache=None, concurrency=8)) as matcher:
            scorer = RewardScorer(RewardConfig(), matcher=matcher)
            first = await scorer.score_batch(completions, [sample] * 40)
            second = await scorer.score_batch(["changed " + c for c in completions], [sample] * 40)
            return first, second

    first, second = aio.run(go())
    assert opened == [8, 0]  # the second batch found the first one's connections still open
    # The warm-up runs beside the first requests: they waited for its connections rather than opening their own.
    assert judge_server.accepted == 8
    assert all(r.status == "ok" for r in first + second)


def test_warm_up_never_fails_on_a_server_that_is_down() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    async def go() -> tuple[int, object]:
        async with JudgePool(
            "judge-1", f"http://127.0.0.1:{closed_port}/v1", api_key=KEY, max_retries=0
        ) as pool:
            opened = await pool.warm_up(4)
            result = await pool.complete([{"role": "user", "content": "hi"}])
            return opened, result

    opened, result = aio.run(go())
    assert opened == 0 and result.status == "error" and result.reason == "connection_error"
