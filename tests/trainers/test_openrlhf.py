"""OpenRLHF's own remote-reward client against ``serve-reward``, over loopback HTTP.

The client is OpenRLHF 0.11's ``SingleTurnAgentExecutor.execute`` (``openrlhf.utils.agent``), the code each rollout
worker runs after generation: it decodes prompt + response into ``query``, POSTs ``{"query", "prompts",
"labels"}`` with a new aiohttp session per try, ``ClientTimeout(total=180)``, 5 tries one second apart, and on
failure logs and leaves the reward None. OpenRLHF cannot be installed whole on a CPU machine (deepspeed, flash-attn
and vLLM need CUDA builds), so ``scripts/trainers/openrlhf.sh`` installs its wheel without dependencies beside the
venv; that module's own imports (aiohttp, torch, transformers, sympy, pylatexenc) are there. The vLLM engine and the
tokenizer are stand-ins (the engine "generates" a fixed completion; a character-level tokenizer), everything after
generation is OpenRLHF's. Without openrlhf these tests skip.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from types import SimpleNamespace
from typing import Any

import pytest

agent = pytest.importorskip(
    "openrlhf.utils.agent",
    reason="openrlhf is not installed (scripts/trainers/openrlhf.sh installs it beside the venv)",
)

from judge_server import JudgeServer, chat_reply  # noqa: E402
from rationalerm.integrations import ScorerSpec  # noqa: E402
from rationalerm.integrations.openrlhf import RewardServer  # noqa: E402
from rationalerm.reward.adversarial import VERDICT_BOX, render_completion  # noqa: E402
from reward_helpers import demo_rows, metajudge_script  # noqa: E402

ROW = demo_rows()[0]
# What `rationalerm prepare-rl --format openrlhf` puts in the label column (--data.label_key).
LABEL = json.dumps(
    {
        "human_checklist": ROW["human-checklist"],
        "human_label": "B",
        "response1": ROW["response1"],
        "response2": ROW["response2"],
        "context": ROW["context"],
    }
)
PROMPT = "<|user|>Which response is better?<|assistant|>"
HONEST = render_completion(ROW["judge-grounded-checklist"], VERDICT_BOX[2])


class CharTokenizer:
    """A character-level stand-in for the HF tokenizer, as ``execute`` calls it."""

    def __call__(
        self, text: str, add_special_tokens: bool = False, return_tensors: str = "pt"
    ) -> dict[str, Any]:
        import torch

        return {"input_ids": torch.tensor([[ord(c) for c in text]])}

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        return "".join(chr(i) for i in ids)


class CannedEngine:
    """A stand-in for OpenRLHF's vLLM engine actor: 'generates' ``text``."""

    def __init__(self, text: str) -> None:
        self.text = text

    async def generate(self, prompt_token_ids: list[int], params: Any, multi_modal_data: Any = None) -> Any:
        output = SimpleNamespace(token_ids=[ord(c) for c in self.text], finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[output])


def rollout(url: str, completion: str, label: str = LABEL) -> tuple[dict[str, Any], float]:
    """One OpenRLHF rollout's reward step: its output dict and the seconds it took."""
    executor = agent.SingleTurnAgentExecutor(url)
    params = SimpleNamespace(max_tokens=4096, logprobs=None)
    started = time.monotonic()
    output = asyncio.run(
        executor.execute(PROMPT, label, copy.copy(params), 8192, CharTokenizer(), CannedEngine(completion))
    )
    return output, time.monotonic() - started


def llm_spec(judge: JudgeServer) -> ScorerSpec:
    return ScorerSpec(matcher="llm", judge_model="judge", base_urls=(judge.url,))


def test_openrlhf_gets_the_reward_and_its_logs(judge_server: JudgeServer) -> None:
    judge_server.script = metajudge_script(gullible=False)
    with RewardServer(llm_spec(judge_server)) as server:
        output, _ = rollout(server.url + "/get_reward", HONEST)
        wrong, _ = rollout(server.url + "/get_reward", HONEST.replace(VERDICT_BOX[2], VERDICT_BOX[1]))
    assert output["reward"] == output["scores"] and output["reward"][0] > 0.5
    logs = output["extra_logs"]
    assert logs["outcome"] == [1.0] and logs["judge_failed"] == [0.0] and logs["valid"] == [1.0]
    assert wrong["reward"] == [0.0] and wrong["extra_logs"]["outcome"] == [0.0]
    # OpenRLHF's query is prompt + response; the judge saw the response's reasons, not the prompt.
    assert all("Which response is better" not in json.dumps(r.body) for r in judge_server.requests)


def test_openrlhf_reaches_a_token_protected_server_through_the_url() -> None:
    """OpenRLHF 0.11 sends no headers: the token rides in the URL; without it the client's 5 tries all fail."""
    with RewardServer(ScorerSpec(kind="outcome"), token="s3cret") as server:
        output, _ = rollout(server.url + "/get_reward?token=s3cret", HONEST)
        refused, took = rollout(server.url + "/get_reward", HONEST)
        unauthorized = server.health()["unauthorized"]
    assert output["reward"] == [1.0]
    assert refused["reward"] is None and unauthorized == 5 and took >= 4.0


def test_openrlhf_gets_a_flagged_fallback_when_the_judge_fails(judge_server: JudgeServer) -> None:
    judge_server.script = lambda request, number: chat_reply("nothing a parser can read")
    with RewardServer(llm_spec(judge_server), on_judge_failure="outcome") as server:
        output, took = rollout(server.url + "/get_reward", HONEST)
    assert output["reward"] == [1.0] and output["extra_logs"]["judge_failed"] == [1.0]
    assert took < 10.0


def test_openrlhf_with_a_slow_judge_is_answered_inside_its_deadline(judge_server: JudgeServer) -> None:
    """A judge at 1.5 s per answer and a 3 s deadline: scored normally, in one try."""
    judge_server.script = metajudge_script(gullible=False)
    judge_server.latency = 1.5
    with RewardServer(llm_spec(judge_server), deadline=3.0) as server:
        output, took = rollout(server.url + "/get_reward", HONEST)
        requests = server.health()["requests"]
    assert output["reward"][0] > 0.5 and output["extra_logs"]["judge_failed"] == [0.0]
    assert requests == 1 and took < 3.0


def test_openrlhf_retries_a_hung_judge_within_its_deadline_then_gives_up(judge_server: JudgeServer) -> None:
    """A judge that never answers: each of OpenRLHF's 5 tries gets a 504 naming the judge at the server's deadline
    (2 s here, 150 s by default: under the client's 180 s), then OpenRLHF leaves the reward None, as it does for
    any reward failure."""
    judge_server.script = metajudge_script(gullible=False)
    judge_server.latency = 60.0
    with RewardServer(llm_spec(judge_server), deadline=2.0) as server:
        output, took = rollout(server.url + "/get_reward", HONEST)
        health = server.health()
    assert output["reward"] is None
    assert health["requests"] == 5 and health["judge_timeouts"] == 5
    assert 5 * 2.0 < took < 5 * (2.0 + 1.0) + 3.0
