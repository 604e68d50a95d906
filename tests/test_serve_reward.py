"""``serve-reward``: OpenRLHF's remote reward protocol over real HTTP, health, validation, bounded concurrency and
cross-request batching."""

from __future__ import annotations

import json
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
    """40 one-sample requests at once (OpenRLHF's pattern) become a few scoring batches; over max_pending, 503."""
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
    assert len(statuses) == 40 and set(statuses) <= {200, 503} and statuses.count(200) >= 24
    assert health["rejected"] == statuses.count(503)
    assert health["batches"] < statuses.count(200)  # requests were scored together
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
        server.httpd.shutdown()
        thread.join(timeout=30)
        server.httpd.server_close()
        gc.unfreeze()
    assert not thread.is_alive()
