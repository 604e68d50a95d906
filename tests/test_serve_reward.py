"""``serve-reward``: OpenRLHF's remote reward protocol over real loopback HTTP, health, validation, bounded
concurrency and cross-request batching; the token; judge faults (failed samples get the fallback, flagged; a judge
that answers nothing fails the request within the deadline, naming its URL; a slow one is answered in time); and
2,000 half-open connections against the ``serve-reward`` process (threads and file descriptors back to baseline
within its idle timeout, a real request served meanwhile)."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from judge_server import JudgeServer
from rationalerm.integrations import ScorerSpec
from rationalerm.integrations.openrlhf import RewardServer, completion_of
from rationalerm.reward.adversarial import VERDICT_BOX, render_completion
from reward_helpers import demo_rows, metajudge_script

ROW = demo_rows()[0]
LABEL = json.dumps(
    {
        "human_checklist": ROW["human-checklist"],
        "human_label": "B",
        "response1": ROW["response1"],
        "response2": ROW["response2"],
        "context": ROW["context"],
    }
)
HONEST = render_completion(ROW["judge-grounded-checklist"], VERDICT_BOX[2])


def post(url: str, body: Any) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_openrlhf_request_and_health(judge_server: JudgeServer) -> None:
    judge_server.script = metajudge_script(gullible=False)
    spec = ScorerSpec(matcher="llm", judge_model="judge", base_urls=(judge_server.url,))
    with RewardServer(spec) as server:
        with urllib.request.urlopen(server.url + "/health", timeout=10) as response:
            health = json.loads(response.read())
        assert health["status"] == "ok" and health["kind"] == "hybrid" and health["matcher"] == "llm"
        prompt = "<|user|>judge these<|assistant|>"
        status, body = post(
            server.url + "/get_reward",
            {
                "query": [prompt + HONEST, prompt + "no verdict"],
                "prompts": [prompt, prompt],
                "labels": [LABEL, LABEL],
            },
        )
    assert status == 200
    assert body["rewards"][0] > 0 and body["rewards"][1] == 0.0
    assert body["scores"] == body["rewards"]
    assert body["extra_logs"]["outcome"] == [1.0, 0.0] and body["extra_logs"]["parsed"] == [1.0, 0.0]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not JSON"),
        ([1, 2], 400, "JSON object"),
        ({"query": ["a"], "labels": "x"}, 400, "'labels' must be a list"),
        ({"query": ["a", "b"], "prompts": ["a"], "labels": [LABEL, LABEL]}, 400, "differ in length"),
        ({"query": ["a"], "labels": ["{}"]}, 400, "labels[0]"),
        ({"query": ["a"], "labels": ["not json"]}, 400, "labels[0]"),
    ],
)
def test_invalid_requests_are_refused(body: Any, status: int, message: str) -> None:
    with RewardServer(ScorerSpec(kind="outcome")) as server:
        code, answer = post(server.url, body)
    assert code == status and message in answer["error"]


def test_unknown_paths_and_empty_bodies() -> None:
    with RewardServer(ScorerSpec(kind="outcome")) as server:
        assert post(server.url + "/nope", {"query": []})[0] == 404
        request = urllib.request.Request(server.url, data=b"", method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=10)
        assert info.value.code == 400


def test_concurrent_requests_are_batched_and_bounded(judge_server: JudgeServer) -> None:
    """40 one-sample requests at once (OpenRLHF's pattern) become a few scoring batches; over max_pending they wait
    for room instead of failing (a 503 would cost OpenRLHF one of its 5 tries)."""
    judge_server.script = metajudge_script(gullible=False)
    judge_server.latency = 0.05
    spec = ScorerSpec(matcher="llm", judge_model="judge", base_urls=(judge_server.url,))
    statuses: list[int] = []
    with RewardServer(spec, batch_wait=0.05, max_pending=24) as server:

        def one(i: int) -> None:
            text = HONEST.replace("I compared", f"Attempt {i}: I compared")
            statuses.append(post(server.url, {"query": [text], "prompts": [""], "labels": [LABEL]})[0])

        threads = [threading.Thread(target=one, args=(i,)) for i in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        health = server.health()
    assert statuses == [200] * 40
    assert health["rejected"] == 0 and health["pending"] == 0
    assert health["batches"] < 40  # requests were scored together
    assert completion_of("PROMPT answer", "PROMPT ") == "answer" and completion_of("x", "y") == "x"


def test_serve_forever_freezes_what_start_up_made() -> None:
    """The serve-reward process moves its start-up objects (modules, SDK types, the model) out of the collector's
    reach once the scorer is open, and still answers."""
    import gc

    server = RewardServer(ScorerSpec(kind="outcome"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    gc.unfreeze()
    try:
        thread.start()
        health: dict[str, Any] = {}
        for _ in range(200):
            with urllib.request.urlopen(server.url + "/health", timeout=10) as response:
                health = json.loads(response.read())
            if health["status"] == "ok":
                break
            time.sleep(0.05)
        assert health["status"] == "ok"
        assert gc.get_freeze_count() > 1000
        status, body = post(
            server.url + "/get_reward", {"query": [HONEST], "prompts": [""], "labels": [LABEL]}
        )
        assert status == 200 and body["rewards"] == [1.0]
    finally:
        server.stop()
        thread.join(timeout=30)
        gc.unfreeze()
    assert not thread.is_alive()


# -- token, limits -------------------------------------------------------------------------------------------------


def test_token_is_required_when_set() -> None:
    """``--token``: a header (Bearer) or ``?token=`` (OpenRLHF 0.11 sends no headers); anything else is 401."""
    body = {"query": [HONEST], "prompts": [""], "labels": [LABEL]}
    with RewardServer(ScorerSpec(kind="outcome"), token="s3cret") as server:
        assert post(server.url + "/get_reward", body)[0] == 401
        assert post(server.url + "/get_reward?token=wrong", body)[0] == 401
        status, answer = post(server.url + "/get_reward?token=s3cret", body)
        assert status == 200 and answer["rewards"] == [1.0]
        request = urllib.request.Request(
            server.url + "/get_reward",
            data=json.dumps(body).encode(),
            headers={"Authorization": "Bearer s3cret", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["rewards"] == [1.0]
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(server.url + "/health", timeout=10)
        assert info.value.code == 401
        assert server.health()["unauthorized"] == 3


def test_a_full_server_refuses_only_at_the_deadline(judge_server: JudgeServer) -> None:
    """With no room before the deadline the request gets 503 (Retry-After) at the deadline, not at once."""
    judge_server.script = metajudge_script(gullible=False)
    judge_server.latency = 3.0
    spec = ScorerSpec(matcher="llm", judge_model="judge", base_urls=(judge_server.url,))
    with RewardServer(spec, max_pending=1, deadline=1.5) as server:
        first = threading.Thread(
            target=post, args=(server.url, {"query": [HONEST], "prompts": [""], "labels": [LABEL]})
        )
        first.start()
        time.sleep(0.3)
        started = time.monotonic()
        status, answer = post(server.url, {"query": [HONEST + " "], "prompts": [""], "labels": [LABEL]})
        waited = time.monotonic() - started
        first.join()
    assert status == 503 and "full" in answer["error"]
    assert 0.8 < waited < 1.5


# -- judge faults ----------------------------------------------------------------------------------------------------


def wrong_verdict(completion: str) -> str:
    return completion.replace(VERDICT_BOX[2], VERDICT_BOX[1])


@pytest.mark.parametrize(("mode", "expected"), [("zero", 0.0), ("outcome", 1.0)])
def test_a_judge_failure_gives_the_sample_the_fallback(
    judge_server: JudgeServer, mode: str, expected: float
) -> None:
    """The judge answers garbage for every request: the samples it had to match get the chosen fallback, flagged
    and counted; the others (wrong verdict: no judge call) keep their reward; the request succeeds."""
    from judge_server import chat_reply

    judge_server.script = lambda request, number: chat_reply("no tags at all")
    spec = ScorerSpec(matcher="llm", judge_model="judge", base_urls=(judge_server.url,))
    with RewardServer(spec, on_judge_failure=mode) as server:
        status, body = post(
            server.url + "/get_reward",
            {"query": [HONEST, wrong_verdict(HONEST)], "prompts": ["", ""], "labels": [LABEL, LABEL]},
        )
        health = server.health()
    assert status == 200
    assert body["rewards"] == [expected, 0.0]
    assert body["extra_logs"]["judge_failed"] == [1.0, 0.0]
    assert body["extra_logs"]["outcome"] == [1.0, 0.0]
    assert body["judge_failures"] == 1
    assert health["judge_failures"] == 1 and health["degraded_requests"] == 1


def fast_failing_scorer(url: str):  # type: ignore[no-untyped-def]
    """A hybrid scorer whose judge pool gives up fast (2 tries, 50 ms back-off): judge-down tests in seconds."""
    from rationalerm.llm import JudgePool
    from rationalerm.matchers.llm import LLMMatcher
    from rationalerm.reward import RewardConfig, RewardScorer

    pool = JudgePool("judge", [url], concurrency=8, timeout=5.0, max_retries=1, backoff_base=0.05)
    return RewardScorer(RewardConfig(kind="hybrid"), matcher=LLMMatcher(pool, temperature=0.6))


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_judge_that_is_down_gives_a_degraded_answer_in_time() -> None:
    """Nothing listens at the judge's address (connection refused): the pool gives up, the sample gets the
    ``outcome`` fallback, flagged, well inside the deadline."""
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with RewardServer(
        ScorerSpec(matcher="llm", judge_model="judge", base_urls=(url,)),
        scorer=fast_failing_scorer(url),
        on_judge_failure="outcome",
        deadline=10.0,
    ) as server:
        started = time.monotonic()
        status, body = post(
            server.url + "/get_reward", {"query": [HONEST], "prompts": [""], "labels": [LABEL]}
        )
        took = time.monotonic() - started
    assert status == 200 and body["rewards"] == [1.0] and body["extra_logs"]["judge_failed"] == [1.0]
    assert took < 5.0


def test_a_judge_that_answers_nothing_fails_the_request_at_the_deadline_naming_it(
    judge_server: JudgeServer,
) -> None:
    """A judge that accepts and never answers (hung): at the deadline the request fails with 504 and the judge's
    URL, not after OpenRLHF's 180 s; the judge's late answers are not waited for."""
    judge_server.script = metajudge_script(gullible=False)
    judge_server.latency = 30.0
    spec = ScorerSpec(matcher="llm", judge_model="judge", base_urls=(judge_server.url,))
    with RewardServer(spec, deadline=2.0) as server:
        started = time.monotonic()
        status, body = post(
            server.url + "/get_reward", {"query": [HONEST], "prompts": [""], "labels": [LABEL]}
        )
        took = time.monotonic() - started
        health = server.health()
    assert status == 504 and judge_server.url in body["error"] and "deadline" in body["error"]
    assert 1.5 < took < 3.0
    assert health["judge_timeouts"] == 1


def test_a_slow_judge_is_answered_in_time_and_late_samples_get_the_fallback(
    judge_server: JudgeServer,
) -> None:
    """The judge answers (0.3 s) except for one sample it takes 30 s over: the quick request is scored, the slow
    one gets the fallback at the deadline (the judge answered meanwhile: slow, not gone), flagged."""
    default = metajudge_script(gullible=False)

    def script(request: dict[str, Any], number: int):  # type: ignore[no-untyped-def]
        from judge_server import prompt_text

        reply = default(request, number)
        if reply is not None and "Attempt slow" in prompt_text(request):
            reply.delay = 30.0
        return reply

    judge_server.script = script
    judge_server.latency = 0.3
    spec = ScorerSpec(matcher="llm", judge_model="judge", base_urls=(judge_server.url,))
    row = json.loads(LABEL)
    slow_label = json.dumps(
        {**row, "human_checklist": [*row["human_checklist"], "Attempt slow: a marker item."]}
    )
    results: dict[str, tuple[int, dict]] = {}
    with RewardServer(spec, deadline=2.5, on_judge_failure="outcome", batch_wait=0.0) as server:

        def send(name: str, label: str) -> None:
            body = {"query": [HONEST], "prompts": [""], "labels": [label]}
            results[name] = post(server.url + "/get_reward", body)

        slow = threading.Thread(target=send, args=("slow", slow_label))
        started = time.monotonic()
        slow.start()
        time.sleep(0.2)
        send("quick", LABEL)
        quick_took = time.monotonic() - started
        slow.join()
        slow_took = time.monotonic() - started
    assert results["quick"][0] == 200 and results["quick"][1]["extra_logs"]["judge_failed"] == [0.0]
    assert results["quick"][1]["rewards"][0] > 0 and quick_took < 2.0
    assert results["slow"][0] == 200 and results["slow"][1]["extra_logs"]["judge_failed"] == [1.0]
    assert results["slow"][1]["rewards"] == [1.0] and slow_took < 3.0


# -- half-open connections against the serve-reward process ----------------------------------------------------------


def process_counts(pid: int) -> tuple[int, int]:
    """(open file descriptors, threads) of a process, from /proc."""
    import os

    return len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts fds and threads in /proc (Linux)")
def test_serve_reward_survives_2000_half_open_connections() -> None:
    """2,000 clients connect to the ``rationalerm serve-reward`` process and send half a request head, then nothing.
    The server's threads never grow (no thread per connection), a real request is answered meanwhile, and once its
    idle timeout (2 s here) passes every half-open connection is closed: descriptors back to baseline."""
    import re
    import resource
    import socket
    import subprocess

    storm = 2000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < storm + 512:
        pytest.skip(f"the open-file limit ({hard}) is below {storm + 512}")
    if soft != resource.RLIM_INFINITY and soft < storm + 512:  # this process holds the client sockets
        resource.setrlimit(resource.RLIMIT_NOFILE, (storm + 512, hard))
    idle = 2.0
    command = [sys.executable, "-m", "rationalerm.cli", "serve-reward", "--kind", "outcome", "--port", "0"]
    command += ["--idle-timeout", str(idle)]
    server = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    clients: list[socket.socket] = []
    try:
        url = ""
        deadline = time.monotonic() + 60
        assert server.stderr is not None
        while not url and time.monotonic() < deadline:
            line = server.stderr.readline()
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            url = found.group(0) if found else ""
            assert line or server.poll() is None, "serve-reward exited"
        assert url, "serve-reward printed no URL"
        body = {"query": [HONEST], "prompts": [""], "labels": [LABEL]}
        assert post(url + "/get_reward", body) == (200, post(url + "/get_reward", body)[1])
        time.sleep(0.2)
        base_fds, base_threads = process_counts(server.pid)
        port = int(url.rsplit(":", 1)[1])
        started = time.monotonic()
        for _ in range(storm):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.sendall(b"POST /get_reward HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
            clients.append(client)
        opened = time.monotonic() - started
        status, answer = post(url + "/get_reward", body)  # served while 2,000 connections hang
        assert status == 200 and answer["rewards"] == [1.0]
        peak_fds, peak_threads = process_counts(server.pid)
        assert peak_fds >= base_fds + storm // 2  # they are open on the server's side
        assert peak_threads <= base_threads + 2
        # Back to baseline within the idle timeout (counted from the first connection) and a little slack.
        fds = peak_fds
        while time.monotonic() < started + idle + 5.0:
            fds, threads = process_counts(server.pid)
            if fds <= base_fds + 2:
                break
            time.sleep(0.1)
        recovered = time.monotonic() - started
        fds, threads = process_counts(server.pid)
        print(
            f"\nhalf-open storm: {storm} connections opened in {opened:.2f} s; server fds {base_fds} -> {peak_fds} "
            f"-> {fds}, threads {base_threads} -> {peak_threads} -> {threads}; back to baseline "
            f"{recovered:.2f} s after the first connection (idle timeout {idle:g} s)"
        )
        assert fds <= base_fds + 2 and threads <= base_threads + 2
        closed = 0
        for client in clients:
            client.settimeout(1.0)
            try:
                closed += client.recv(1024) == b""
            except OSError:  # reset
                closed += 1
        assert closed == storm
        assert post(url + "/get_reward", body)[0] == 200
    finally:
        for client in clients:
            client.close()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def test_connections_over_the_cap_are_closed_at_once() -> None:
    """``max_connections``: a connection over the cap is closed as soon as it is accepted; the ones under it, and
    new ones once those are gone, are served."""
    import socket

    with RewardServer(ScorerSpec(kind="outcome"), max_connections=4, idle_timeout=30.0) as server:
        port = int(server.url.rsplit(":", 1)[1])
        held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
        try:
            time.sleep(0.2)
            extra = socket.create_connection(("127.0.0.1", port), timeout=5)
            extra.settimeout(5)
            try:
                assert extra.recv(1024) == b""  # closed by the server, nothing sent
            finally:
                extra.close()
            assert server.health()["refused_connections"] == 1
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.2)
        status, body = post(
            server.url + "/get_reward", {"query": [HONEST], "prompts": [""], "labels": [LABEL]}
        )
    assert status == 200 and body["rewards"] == [1.0]


@pytest.mark.slow
def test_judge_down_with_the_default_settings_is_answered_inside_openrlhfs_deadline() -> None:
    """The defaults serve-reward runs with (the pool's 5 retries with back-off, the 150 s deadline) and nothing
    listening at the judge's address: a degraded, flagged answer well inside OpenRLHF's 180 s."""
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with RewardServer(
        ScorerSpec(matcher="llm", judge_model="judge", base_urls=(url,), timeout=120.0)
    ) as server:
        started = time.monotonic()
        status, body = post(
            server.url + "/get_reward", {"query": [HONEST], "prompts": [""], "labels": [LABEL]}
        )
        took = time.monotonic() - started
    print(
        f"\njudge down, default settings: answered {status} in {took:.1f} s, judge_failed {body.get('extra_logs', {}).get('judge_failed')}"
    )
    assert status == 200 and body["extra_logs"]["judge_failed"] == [1.0] and body["rewards"] == [0.0]
    assert took < 150.0


def test_at_the_deadline_a_sample_that_needs_no_judge_keeps_its_exact_reward(
    judge_server: JudgeServer,
) -> None:
    """A wrong-verdict request batched with one the hung judge holds: at the deadline its reward (0, known without
    the judge) is answered as it is, not flagged, while the request that needed the judge fails (504)."""
    judge_server.script = metajudge_script(gullible=False)
    judge_server.latency = 30.0
    spec = ScorerSpec(matcher="llm", judge_model="judge", base_urls=(judge_server.url,))
    answers: dict[str, tuple[int, dict]] = {}
    with RewardServer(spec, deadline=2.0, batch_wait=0.5) as server:

        def send(name: str, text: str) -> None:
            answers[name] = post(server.url, {"query": [text], "prompts": [""], "labels": [LABEL]})

        needs_judge = threading.Thread(target=send, args=("honest", HONEST))
        needs_judge.start()
        time.sleep(0.1)
        send("wrong", wrong_verdict(HONEST))
        needs_judge.join()
        batches = server.health()["batches"]
    assert batches == 1  # scored together, so both waited on the judge
    assert answers["wrong"][0] == 200 and answers["wrong"][1]["rewards"] == [0.0]
    assert (
        answers["wrong"][1]["extra_logs"]["judge_failed"] == [0.0]
        and answers["wrong"][1]["judge_failures"] == 0
    )
    assert answers["honest"][0] == 504


def test_a_body_that_does_not_arrive_gets_408() -> None:
    """A client that announces a body and sends part of it: 408 after ``body_timeout``, the server unharmed."""
    import http.client

    with RewardServer(ScorerSpec(kind="outcome"), body_timeout=0.5) as server:
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            connection.putrequest("POST", "/get_reward")
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length", "1000")
            started = time.monotonic()
            connection.endheaders(b'{"query": ["')
            response = connection.getresponse()
            took = time.monotonic() - started
            assert response.status == 408 and b"0.5 s" in response.read()
        finally:
            connection.close()
        assert 0.4 < took < 3.0
        status, body = post(server.url, {"query": [HONEST], "prompts": [""], "labels": [LABEL]})
    assert status == 200 and body["rewards"] == [1.0]
