"""JudgePool over real HTTP against the scripted server: retries, back-off, format retries, cache, shape, secrets."""

from __future__ import annotations

import asyncio
import email.utils
import random
import socket
import time

import pytest

from judge_server import JudgeServer, Reply, chat_reply, error_reply
from rationalerm.errors import JudgeRefusedError
from rationalerm.llm import (
    JsonSchema,
    JudgePool,
    clean_base_url,
    estimate_prompt_tokens,
    request_key,
)
from rationalerm.llm.pool import _retry_after, _Slots
from rationalerm.parse import ParseFailure

MESSAGES = [{"role": "user", "content": "Say OK."}]
KEY = "sk-test-SECRET-4f9a1c"


def needs_ok(text: str):
    return text if "OK" in text else ParseFailure("not_ok", "the answer does not say OK")


def pool(server: JudgeServer | list[JudgeServer], **kwargs) -> JudgePool:
    servers = server if isinstance(server, list) else [server]
    options = {"api_key": KEY, "timeout": 2.0, "backoff_base": 0.01, "rng": random.Random(0)} | kwargs
    return JudgePool("judge-1", [s.url for s in servers], **options)


def complete(server, *, pool_options=None, **kwargs):
    async def run():
        async with pool(server, **(pool_options or {})) as p:
            return await p.complete(MESSAGES, **kwargs), p.stats

    return asyncio.run(run())


def test_ok_answer_request_shape_and_usage(judge_server):
    judge_server.script = lambda req, n: chat_reply(
        "OK", prompt_tokens=11, completion_tokens=3, cached_tokens=5
    )
    result, stats = complete(judge_server, validate=needs_ok, temperature=0.6, max_tokens=64, seed=7)
    assert result.ok and result.value == "OK" and result.attempts == 1 and result.answers == 1
    assert result.usage.as_dict() == {
        "prompt_tokens": 11,
        "completion_tokens": 3,
        "cached_prompt_tokens": 5,
        "total_tokens": 14,
    }
    assert stats.usage.prompt_tokens == 11
    (request,) = judge_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body == {
        "model": "judge-1",
        "messages": MESSAGES,
        "temperature": 0.6,
        "max_tokens": 64,
        "seed": 7,
    }
    assert result.endpoint == clean_base_url(judge_server.url)


def test_server_errors_are_retried_with_backoff(judge_server):
    judge_server.script = lambda req, n: error_reply(500 if n == 1 else 503) if n <= 2 else chat_reply("OK")
    result, stats = complete(judge_server, validate=needs_ok)
    assert result.ok and result.attempts == 3
    assert stats.retries == {"server_error": 2}


def test_429_honours_retry_after(judge_server):
    judge_server.script = lambda req, n: (
        error_reply(429, headers={"Retry-After": "0.4"}) if n == 1 else chat_reply("OK")
    )
    started = time.perf_counter()
    result, stats = complete(judge_server, validate=needs_ok)
    assert result.ok and stats.retries == {"rate_limited": 1}
    gap = judge_server.requests[1].received_at - judge_server.requests[0].received_at
    assert gap >= 0.4 and time.perf_counter() - started < 2


def test_429_honours_retry_after_ms(judge_server):
    judge_server.script = lambda req, n: (
        error_reply(429, headers={"retry-after-ms": "250", "Retry-After": "30"})
        if n == 1
        else chat_reply("OK")
    )
    result, _ = complete(judge_server, validate=needs_ok)
    gap = judge_server.requests[1].received_at - judge_server.requests[0].received_at
    assert result.ok and 0.25 <= gap < 5


def test_slow_answers_time_out_and_are_retried(judge_server):
    judge_server.script = lambda req, n: chat_reply("OK", delay=1.0 if n == 1 else 0.0)
    result, stats = complete(judge_server, validate=needs_ok, pool_options={"timeout": 0.3})
    assert result.ok and result.attempts == 2 and stats.retries == {"timeout": 1}


def test_dropped_connections_are_retried(judge_server):
    judge_server.script = lambda req, n: Reply(drop=True) if n <= 2 else chat_reply("OK")
    result, stats = complete(judge_server, validate=needs_ok)
    assert result.ok and result.attempts == 3 and stats.retries == {"connection_error": 2}


def test_malformed_body_is_retried(judge_server):
    judge_server.script = lambda req, n: (
        Reply(body="<html>bad gateway</html>") if n == 1 else chat_reply("OK")
    )
    result, stats = complete(judge_server, validate=needs_ok)
    assert result.ok and stats.retries == {"bad_response": 1}


def test_retries_exhausted_is_an_error_with_a_reason(judge_server):
    judge_server.script = lambda req, n: error_reply(500)
    result, stats = complete(judge_server, validate=needs_ok, pool_options={"max_retries": 3})
    assert result.status == "error" and result.reason == "server_error"
    assert result.attempts == 4 and judge_server.count == 4
    assert "gave up after 4 attempts" in (result.detail or "")
    assert stats.failures == {"server_error": 1}


def test_client_errors_are_not_retried(judge_server):
    judge_server.script = lambda req, n: error_reply(400, "bad model")
    result, _ = complete(judge_server, validate=needs_ok)
    assert result.status == "error" and result.reason == "http_400" and judge_server.count == 1


def test_format_retries_resample_with_a_new_seed(judge_server):
    judge_server.script = lambda req, n: chat_reply("no" if n == 1 else "OK")
    result, stats = complete(judge_server, validate=needs_ok, temperature=0.6, seed=10)
    assert result.ok and result.answers == 2 and stats.format_retries == 1
    first, second = (r.body for r in judge_server.requests)
    assert (first["seed"], second["seed"]) == (10, 11)
    assert second["messages"] == first["messages"]


def test_format_retry_at_temperature_zero_says_what_was_wrong(judge_server):
    judge_server.script = lambda req, n: chat_reply("no" if n == 1 else "OK")
    result, _ = complete(judge_server, validate=needs_ok, temperature=0.0)
    assert result.ok
    retry = judge_server.requests[1].body["messages"]
    assert retry[:1] == MESSAGES and retry[1] == {"role": "assistant", "content": "no"}
    assert "not_ok" in retry[2]["content"]


def test_answers_that_never_validate_are_invalid_not_zero(judge_server):
    judge_server.script = lambda req, n: chat_reply("no")
    result, stats = complete(judge_server, validate=needs_ok, max_format_retries=2)
    assert result.status == "invalid" and result.reason == "not_ok" and result.value is None
    assert result.text == "no" and result.answers == 3 and judge_server.count == 3
    assert stats.failures == {"not_ok": 1}


def test_empty_content_is_a_format_failure(judge_server):
    judge_server.script = lambda req, n: chat_reply(None if n == 1 else "OK")
    result, _ = complete(judge_server, validate=needs_ok)
    assert result.ok and result.answers == 2


def test_cache_makes_a_second_run_free(judge_server, tmp_path):
    cache = tmp_path / "cache.sqlite"
    judge_server.script = lambda req, n: chat_reply("OK")
    first, _ = complete(judge_server, validate=needs_ok, seed=1, pool_options={"cache": cache})
    second, stats = complete(judge_server, validate=needs_ok, seed=1, pool_options={"cache": cache})
    assert first.ok and not first.cached
    assert second.ok and second.cached and second.attempts == 0 and second.usage.total_tokens == 0
    assert judge_server.count == 1 and stats.cache_hits == 1
    # Another seed is another request.
    complete(judge_server, validate=needs_ok, seed=2, pool_options={"cache": cache})
    assert judge_server.count == 2


def test_cache_never_stores_invalid_answers(judge_server, tmp_path):
    cache = tmp_path / "cache.sqlite"
    judge_server.script = lambda req, n: chat_reply("no")
    complete(judge_server, validate=needs_ok, max_format_retries=0, pool_options={"cache": cache})
    complete(judge_server, validate=needs_ok, max_format_retries=0, pool_options={"cache": cache})
    assert judge_server.count == 2


def test_cache_key_ignores_key_and_url_but_not_sampling():
    base = {"model": "m", "messages": MESSAGES, "temperature": 0.6}
    assert request_key(base) == request_key(dict(reversed(list(base.items()))))
    assert request_key(base) != request_key(base | {"temperature": 0.7})
    assert request_key(base) != request_key(base | {"seed": 1})


def test_structured_mode_sends_a_json_schema(judge_server):
    schema = JsonSchema("answer", {"type": "object", "properties": {"ok": {"type": "boolean"}}})
    judge_server.script = lambda req, n: chat_reply('{"ok": true}')
    result, _ = complete(judge_server, structured=schema, extra_body={"top_k": 20})
    assert result.ok
    body = judge_server.requests[0].body
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema.schema, "strict": True},
    }
    assert body["top_k"] == 20 and "guided_json" not in body


def test_concurrency_limit_is_respected(judge_server):
    judge_server.script = lambda req, n: chat_reply("OK", delay=0.05)

    async def run():
        async with pool(judge_server, concurrency=5) as p:
            return await asyncio.gather(*(p.complete(MESSAGES, seed=i) for i in range(40)))

    results = asyncio.run(run())
    assert all(r.ok for r in results)
    assert judge_server.max_in_flight == 5


def test_failing_endpoint_is_backed_off():
    with JudgeServer(lambda req, n: error_reply(503)) as bad, JudgeServer() as good:
        good.script = lambda req, n: chat_reply("OK", delay=0.01)

        async def run():
            async with pool([bad, good], concurrency=4, backoff_base=0.2) as p:
                return await asyncio.gather(*(p.complete(MESSAGES, seed=i) for i in range(60)))

        results = asyncio.run(run())
    assert all(r.ok for r in results)
    assert good.count == 60
    assert bad.count < 15  # a few probes, not half the load


def test_key_never_appears_in_results_or_logs(judge_server, caplog):
    echo = f"Incorrect API key provided: {KEY}"
    judge_server.script = lambda req, n: error_reply(500, echo) if n == 1 else error_reply(400, echo)
    caplog.set_level("DEBUG", logger="rationalerm")
    result, _ = complete(judge_server, validate=needs_ok)
    assert result.status == "error" and result.reason == "http_400"
    assert KEY not in repr(result) and "***" in (result.detail or "")
    assert KEY not in caplog.text and "retry 1" in caplog.text


def test_clean_base_url_strips_credentials():
    assert (
        clean_base_url("https://user:pw@host.example:8443/v1/?api-key=abc#x")
        == "https://host.example:8443/v1"
    )
    assert clean_base_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"


def test_base_url_and_key_from_environment(judge_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", judge_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    judge_server.script = lambda req, n: chat_reply("OK")

    async def run():
        async with JudgePool("judge-1", backoff_base=0.01) as p:
            return await p.complete(MESSAGES)

    assert asyncio.run(run()).ok
    assert judge_server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_no_base_url_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="OPENAI_BASE_URL"):
        JudgePool("judge-1")


def test_429_honours_retry_after_as_an_http_date(judge_server):
    when = email.utils.formatdate(time.time() + 1.5, usegmt=True)  # whole seconds: 0.5 to 1.5 s from now
    judge_server.script = lambda req, n: (
        error_reply(429, headers={"Retry-After": when}) if n == 1 else chat_reply("OK")
    )
    result, stats = complete(judge_server, validate=needs_ok)
    gap = judge_server.requests[1].received_at - judge_server.requests[0].received_at
    assert result.ok and stats.retries == {"rate_limited": 1} and 0.45 <= gap < 3


def test_retry_after_parsing():
    assert _retry_after({"retry-after-ms": "100", "retry-after": "30"}) == pytest.approx(0.1)
    assert _retry_after({"retry-after-ms": "junk", "retry-after": "2"}) == 2.0
    assert _retry_after({"retry-after": "0.5"}) == 0.5
    assert _retry_after({"retry-after": "-3"}) == 0.0
    assert _retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past: retry now
    assert _retry_after({"retry-after": "soon"}) is None and _retry_after({}) is None


def test_slots_serve_retries_first_and_survive_cancellation():
    async def run():
        slots = _Slots(1)
        await slots.acquire()
        order: list[str] = []

        async def take(name: str, retry: bool) -> None:
            await slots.acquire(retry=retry)
            order.append(name)
            slots.release()

        fresh = asyncio.ensure_future(take("fresh", False))
        cancelled = asyncio.ensure_future(take("cancelled", True))
        retry = asyncio.ensure_future(take("retry", True))
        await asyncio.sleep(0)
        cancelled.cancel()
        await asyncio.sleep(0)
        slots.release()
        await asyncio.gather(fresh, retry)
        assert order == ["retry", "fresh"] and cancelled.cancelled()
        await asyncio.wait_for(slots.acquire(), 1)  # the slot came back

    asyncio.run(run())


# -- faults a user meets: the run stops where retrying cannot help, and says why ----------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_key_stops_the_run_at_once(judge_server, caplog, status):
    judge_server.script = lambda req, n: error_reply(status, f"Incorrect API key provided: {KEY}")
    caplog.set_level("DEBUG", logger="rationalerm")

    async def run():
        async with pool(judge_server) as p:
            with pytest.raises(JudgeRefusedError) as first:
                await p.complete(MESSAGES)
            with pytest.raises(JudgeRefusedError) as again:  # later calls send nothing
                await p.complete(MESSAGES, seed=1)
            return first.value, again.value

    first, again = asyncio.run(run())
    assert judge_server.count == 1  # not retried
    message = str(first)
    assert f"the judge at {clean_base_url(judge_server.url)} rejected the API key" in message
    assert f"HTTP {status}" in message and KEY not in message and KEY not in caplog.text
    assert again is first and first.status == status and first.endpoint == clean_base_url(judge_server.url)


def test_an_unknown_model_stops_the_run_and_lists_the_served_models(judge_server):
    judge_server.models = ["Qwen/Qwen3-30B-A3B-Instruct-2507", "judge-2"]
    judge_server.script = lambda req, n: error_reply(404, f"The model `{req['model']}` does not exist.")
    with pytest.raises(JudgeRefusedError) as raised:
        complete(judge_server)
    message = str(raised.value)
    assert "does not serve model 'judge-1'" in message
    assert "'Qwen/Qwen3-30B-A3B-Instruct-2507', 'judge-2'" in message
    assert judge_server.count == 1 and raised.value.status == 404


def test_served_models_lists_what_the_server_serves(judge_server):
    """What a trainer-started judge serves (verl names the judge by its model path), or None without a list."""
    judge_server.models = ["/models/Qwen3-8B", "judge-2"]

    async def run(url: str) -> list[str] | None:
        async with JudgePool("", url, timeout=2.0) as p:
            return await p.served_models()

    assert asyncio.run(run(judge_server.url)) == ["/models/Qwen3-8B", "judge-2"]
    assert judge_server.count == 0 and judge_server.get_count == 1  # a GET, no chat request
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert asyncio.run(run(f"http://127.0.0.1:{port}/v1")) is None


def test_a_404_for_a_served_model_points_at_the_base_url(judge_server):
    judge_server.models = ["judge-1"]
    judge_server.script = lambda req, n: error_reply(404, "Not Found")
    with pytest.raises(JudgeRefusedError, match=r"serves model 'judge-1' but answered HTTP 404.*ends in /v1"):
        complete(judge_server)


def test_a_prompt_over_the_context_length_fails_that_call_without_retries(judge_server):
    vllm = (
        "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens "
        "(8000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion."
    )
    judge_server.script = lambda req, n: error_reply(400, vllm)
    result, stats = complete(judge_server, validate=needs_ok)
    assert result.status == "error" and result.reason == "context_length" and judge_server.count == 1
    assert "maximum context length is 4096" in (result.detail or "")
    assert stats.failures == {"context_length": 1}


def test_an_oversized_prompt_is_never_sent(judge_server):
    huge = [{"role": "user", "content": "word " * 50_000}]  # 250,000 bytes: about 62,500 tokens

    async def run():
        async with pool(judge_server, max_prompt_tokens=32_000) as p:
            return await p.complete(huge), await p.complete(MESSAGES)

    big, small = asyncio.run(run())
    assert big.status == "error" and big.reason == "prompt_too_large" and big.attempts == 0
    assert "about 62,500 tokens" in (big.detail or "") and "32,000" in (big.detail or "")
    assert small.ok and judge_server.count == 1  # only the small one went out
    assert estimate_prompt_tokens(huge) == 62_500


def test_the_retry_delay_stays_capped_over_a_long_outage(judge_server):
    # Over a thousand consecutive failures once made 2 ** (failures - 1) overflow and crash the run.
    judge_server.script = lambda req, n: error_reply(503)
    options = {"max_retries": 1100, "backoff_base": 0.0001, "backoff_max": 0.0005}
    result, stats = complete(judge_server, pool_options=options)
    assert result.status == "error" and result.reason == "server_error" and result.attempts == 1101
    assert judge_server.count == 1101 and stats.retries == {"server_error": 1100}


def test_a_huge_retry_after_is_capped(judge_server):
    judge_server.script = lambda req, n: (
        error_reply(429, headers={"Retry-After": "86400"}) if n == 1 else chat_reply("OK")
    )
    result, _ = complete(judge_server, validate=needs_ok, pool_options={"retry_after_max": 0.3})
    gap = judge_server.requests[1].received_at - judge_server.requests[0].received_at
    assert result.ok and 0.3 <= gap < 2


def test_a_body_that_is_not_a_chat_completion_is_retried(judge_server):
    judge_server.script = lambda req, n: Reply(body={"object": "list"}) if n == 1 else chat_reply("OK")
    result, stats = complete(judge_server, validate=needs_ok)
    assert result.ok and result.attempts == 2 and stats.retries == {"bad_response": 1}


def test_a_base_url_that_is_not_http_is_refused_up_front():
    with pytest.raises(ValueError, match="http:// or https://"):
        JudgePool("judge-1", "localhost:8000/v1")


def test_the_query_of_a_base_url_is_kept_and_its_credentials_never_shown(judge_server):
    judge_server.script = lambda req, n: chat_reply("OK")

    async def run():
        async with JudgePool("judge-1", judge_server.url + "?api-version=2025-01-01", api_key=KEY) as p:
            return await p.complete(MESSAGES), p.base_urls, repr(p)

    result, urls, shown = asyncio.run(run())
    assert result.ok and judge_server.requests[0].path == "/v1/chat/completions?api-version=2025-01-01"
    assert urls == [clean_base_url(judge_server.url)] and KEY not in shown
