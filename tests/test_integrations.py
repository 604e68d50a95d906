"""The framework adapters, each called exactly as its framework calls it: verl's compute_score (sync and async, per
trajectory, with reward_router_address), TRL's async reward function with dataset columns, and prepare-rl's files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from judge_server import JudgeServer, chat_reply
from rationalerm.integrations import ScorerSpec, choose_judge_model
from rationalerm.integrations.trl import TRLReward
from rationalerm.integrations.verl import compute_score, compute_score_async
from rationalerm.reward.adversarial import VERDICT_BOX, render_completion
from rationalerm.runs.prepare_rl import prepare_rl
from reward_helpers import DEMO, demo_rows, metajudge_script

ROWS = demo_rows()[:4]
METRIC_KEYS = {
    "score",
    "outcome",
    "ap",
    "recall",
    "precision",
    "n_reasons",
    "parsed",
    "valid",
    "judge_failed",
}


@pytest.fixture(scope="module")
def verl_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path_factory.mktemp("verl") / "train.parquet"
    summary = prepare_rl(DEMO, path, "verl")
    assert summary.written == len(demo_rows()) and summary.skipped == 0
    return pq.read_table(path).to_pylist()[: len(ROWS)]


def honest(row: dict) -> str:
    label = {"A": 1, "B": 2, "tie": 0}[row["reward_model"]["ground_truth"]]
    source = next(r for r in ROWS if r["id"] == row["extra_info"]["id"])
    return render_completion(source["judge-grounded-checklist"], VERDICT_BOX[label])


def test_prepare_rl_verl_layout(verl_rows: list[dict]) -> None:
    row = verl_rows[0]
    assert row["data_source"] == "rationalerm/helpsteer3-atomic"
    assert row["prompt"][0]["role"] == "user" and "<response_a>" in row["prompt"][0]["content"]
    assert row["reward_model"]["ground_truth"] == "B"
    assert row["extra_info"]["human_checklist"] == ROWS[0]["human-checklist"]
    assert row["extra_info"]["response1"] == ROWS[0]["response1"]


def test_verl_sync_and_async_forms_agree(verl_rows: list[dict], judge_server: JudgeServer) -> None:
    judge_server.script = metajudge_script(gullible=False)
    kwargs = {"matcher": "llm", "judge_model": "judge", "base_url": judge_server.url}
    solutions = [honest(r) for r in verl_rows]
    sync = [
        compute_score(r["data_source"], s, r["reward_model"]["ground_truth"], r["extra_info"], **kwargs)
        for r, s in zip(verl_rows, solutions, strict=True)
    ]

    async def run_async() -> list[dict]:
        return list(
            await asyncio.gather(
                *(
                    compute_score_async(
                        r["data_source"], s, r["reward_model"]["ground_truth"], r["extra_info"], **kwargs
                    )
                    for r, s in zip(verl_rows, solutions, strict=True)
                )
            )
        )

    async_results = asyncio.run(run_async())
    for results in (sync, async_results):
        assert [set(r) >= METRIC_KEYS for r in results] == [True] * len(verl_rows)
        assert all(isinstance(v, float) for r in results for v in r.values())
    assert [r["score"] for r in sync] == [r["score"] for r in async_results]
    assert all(r["outcome"] == 1.0 and r["score"] > 0 and r["judge_failed"] == 0.0 for r in sync)


def test_verl_judge_failures_are_flagged_and_logged(
    verl_rows: list[dict], judge_server: JudgeServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A 0 the policy did not earn (the judge answered nothing readable) is flagged in the dict verl logs."""
    judge_server.script = lambda request, number: chat_reply("no result block here")
    row = verl_rows[2]
    with caplog.at_level("WARNING", logger="rationalerm.integrations.verl"):
        result = compute_score(
            row["data_source"],
            honest(row),
            row["reward_model"]["ground_truth"],
            row["extra_info"],
            matcher="llm",
            judge_model="judge",
            base_url=judge_server.url,
        )
    assert result["score"] == 0.0 and result["outcome"] == 1.0
    assert (result["judge_failed"], result["valid"], result["parsed"]) == (1.0, 0.0, 1.0)
    assert "match_failed" in caplog.text and "flagged in reward_extra_info" in caplog.text


def test_verl_uses_the_reward_router(verl_rows: list[dict], judge_server: JudgeServer) -> None:
    """verl serving the judge passes reward_router_address (host:port); the LLM matcher then talks to it and asks
    for the model the server lists, not a made-up name."""
    judge_server.script = metajudge_script(gullible=False)
    judge_server.models = ["/ckpt/Qwen3-8B-judge"]
    router = judge_server.url.removeprefix("http://").removesuffix("/v1")
    row = verl_rows[1]

    async def go() -> dict:
        return await compute_score_async(
            row["data_source"],
            honest(row),
            row["reward_model"]["ground_truth"],
            row["extra_info"],
            reward_router_address=router,
            reward_model_tokenizer=None,
        )

    before = judge_server.count
    result = asyncio.run(go())
    assert judge_server.count == before + 1 and result["score"] > 0
    assert judge_server.requests[-1].body["model"] == "/ckpt/Qwen3-8B-judge"
    assert ScorerSpec.from_kwargs({"reward_router_address": router}).base_urls == (f"http://{router}/v1",)


def test_the_judge_model_comes_from_the_server_or_the_reward_model_name() -> None:
    class Tokenizer:
        name_or_path = "/ckpt/judge"

    spec = ScorerSpec.from_kwargs({"reward_router_address": "h:1", "reward_model_tokenizer": Tokenizer()})
    assert (spec.matcher, spec.judge_model, spec.judge_model_hint) == ("llm", "", "/ckpt/judge")
    assert choose_judge_model(["a", "/ckpt/judge"], "/ckpt/judge", "h") == "/ckpt/judge"
    assert choose_judge_model(["judge"], "/ckpt/judge", "h") == "judge"  # served under its last path part
    assert choose_judge_model(["only-one"], "", "h") == "only-one"
    assert choose_judge_model(None, "/ckpt/judge", "h") == "/ckpt/judge"
    with pytest.raises(ValueError, match="serves several models"):
        choose_judge_model(["a", "b"], "", "h")
    with pytest.raises(ValueError, match="no judge model"):
        choose_judge_model(None, "", "h")


def test_verl_outcome_kind_needs_no_judge(verl_rows: list[dict]) -> None:
    row = verl_rows[0]
    good = compute_score(row["data_source"], honest(row), "B", row["extra_info"], kind="outcome")
    bad = compute_score(row["data_source"], "no verdict here", "B", row["extra_info"], kind="outcome")
    assert (good["score"], good["parsed"]) == (1.0, 1.0)
    assert (bad["score"], bad["parsed"]) == (0.0, 0.0)


def test_trl_reward_function_called_like_grpo_trainer(tmp_path: Path, judge_server: JudgeServer) -> None:
    judge_server.script = metajudge_script(gullible=False)
    data = tmp_path / "trl.jsonl"
    prepare_rl(DEMO, data, "trl")
    records = [json.loads(line) for line in data.read_text().splitlines()][:2]
    # Two generations per prompt, columns repeated per completion, conversational completions: as TRL passes them.
    inputs = [r for r in records for _ in range(2)]
    completions = [
        [
            {
                "role": "assistant",
                "content": render_completion(
                    ROWS[i // 2]["judge-grounded-checklist"],
                    VERDICT_BOX[{"A": 1, "B": 2}[inputs[i]["human_label"]]],
                ),
            }
        ]
        if i % 2 == 0
        else [{"role": "assistant", "content": "I think \\boxed{A>B}"}]
        for i in range(4)
    ]
    columns = {key: [r[key] for r in inputs] for key in inputs[0] if key != "prompt"}
    metrics: dict[str, list[float]] = {}
    reward = TRLReward(ScorerSpec(matcher="llm", judge_model="judge", base_urls=(judge_server.url,)))
    assert reward.__name__ == "hybrid_reward"

    async def call() -> list[float | None]:
        try:
            return await reward(
                prompts=[r["prompt"] for r in inputs],
                completions=completions,
                completion_ids=[[1, 2, 3]] * 4,
                trainer_state=None,
                log_extra=lambda column, values: None,
                log_metric=lambda name, value: metrics.setdefault(name, []).append(value),
                **columns,
            )
        finally:
            await reward.aclose()

    scores = asyncio.run(call())
    assert len(scores) == 4 and scores[0] > 0 and scores[2] > 0
    assert scores[1] == 0.0 and scores[3] == 0.0  # no reasons: unparseable for the hybrid reward
    assert metrics["rationalerm/parsed"] == [0.5]
    assert metrics["rationalerm/outcome"][0] == pytest.approx(0.5)


def test_trl_reward_names_missing_columns() -> None:
    reward = TRLReward(ScorerSpec(kind="outcome"))
    with pytest.raises(KeyError, match="human_checklist"):
        asyncio.run(reward(prompts=["p"], completions=["\\boxed{A>B}"], completion_ids=[[1]]))


def test_reward_adapters_take_the_bf16_encoder_only_where_the_cpu_has_it(monkeypatch) -> None:
    import rationalerm.matchers.encoder as encoder_module
    from rationalerm.integrations import ScorerSpec, make_local_matcher

    monkeypatch.delenv("RATIONALERM_LOCAL_BACKEND", raising=False)
    monkeypatch.setattr(encoder_module, "native_bf16", lambda: True)
    assert make_local_matcher(ScorerSpec()).backend == "torch-bf16"
    assert make_local_matcher(ScorerSpec(local_backend="onnxruntime")).backend == "onnxruntime"
    monkeypatch.setenv("RATIONALERM_LOCAL_BACKEND", "onnxruntime")  # the environment pins it
    assert make_local_matcher(ScorerSpec()).encoder_backend == "onnxruntime"
    monkeypatch.delenv("RATIONALERM_LOCAL_BACKEND")
    monkeypatch.setattr(encoder_module, "native_bf16", lambda: False)
    assert make_local_matcher(ScorerSpec()).encoder_backend == "onnxruntime"


def test_micro_batcher_gathers_concurrent_calls_into_batches() -> None:
    """verl calls the reward once per trajectory, many at once: the local matcher sees batches, each caller gets
    its own outcomes, in order, and a failing batch fails its callers only."""
    from rationalerm.integrations.microbatch import MicroBatcher
    from rationalerm.matchers import MatchRequest
    from rationalerm.stats.consistency import optimal_matching
    from reward_helpers import LexicalMatcher, matrix

    class Batch(LexicalMatcher):
        def match_many(self, requests):
            if any(r.key == "boom" for r in requests):
                raise RuntimeError("encoder failed")
            self.calls.append(len(requests))
            return [optimal_matching(matrix(r.human, r.model)) for r in requests]

    inner = Batch()
    batcher = MicroBatcher(inner, wait=0.05)
    requests = [
        MatchRequest(str(i), ["Response 1 has a bug in line 3"], ["Response 1 has a bug in line 3", f"x{i}"])
        for i in range(20)
    ]

    async def go():
        return await asyncio.gather(*(batcher.match([r]) for r in requests))

    outcomes = asyncio.run(go())
    assert [o[0].pairs[0].model for o in outcomes] == [1] * 20 and [o[0].n_model for o in outcomes] == [
        2
    ] * 20
    assert sum(inner.calls) == 20 and len(inner.calls) < 5 and batcher.batches == len(inner.calls)
    with pytest.raises(RuntimeError, match="encoder failed"):
        asyncio.run(batcher.match([MatchRequest("boom", ["a"], ["b"])]))
    assert asyncio.run(batcher.match(requests[:1]))[0].pairs[0].model == 1  # the thread goes on


def test_verl_concurrent_calls_of_one_worker_share_one_scorer(
    verl_rows: list[dict], judge_server: JudgeServer
) -> None:
    """verl's reward worker calls the reward once per trajectory, all at once: one scorer is opened for them (the
    judge is asked once what it serves), its connection pool serves them all, and they are answered concurrently."""
    judge_server.script = metajudge_script(gullible=False)
    judge_server.models = ["served-judge"]
    judge_server.latency = 0.05
    router = judge_server.url.removeprefix("http://").removesuffix("/v1")
    rollouts = [(row, rollout(row, k)) for row in verl_rows for k in range(8)]

    async def worker() -> list[dict]:
        return list(
            await asyncio.gather(
                *(
                    compute_score_async(
                        row["data_source"],
                        text,
                        row["reward_model"]["ground_truth"],
                        row["extra_info"],
                        reward_router_address=router,
                    )
                    for row, text in rollouts
                )
            )
        )

    results = asyncio.run(worker())
    assert all(r["score"] > 0 and r["judge_failed"] == 0.0 for r in results)
    assert judge_server.get_count == 1  # one scorer: GET /models once, not once per call
    assert {r.body["model"] for r in judge_server.requests} == {"served-judge"}
    assert judge_server.max_in_flight > 8  # answered concurrently, not one call after the other


def rollout(row: dict, k: int) -> str:
    """Rollout ``k`` of ``row``: the grounded reasons, each worded a little apart from the other rollouts' (so each
    rollout is its own judge request: identical requests of a batch are sent once), with the human verdict."""
    label = {"A": 1, "B": 2, "tie": 0}[row["reward_model"]["ground_truth"]]
    source = next(r for r in ROWS if r["id"] == row["extra_info"]["id"])
    return render_completion(
        [f"{r} (rollout {k})" for r in source["judge-grounded-checklist"]], VERDICT_BOX[label]
    )


def _verl_calls(verl_rows: list[dict], per_row: int) -> list[tuple[dict, str]]:
    return [(row, rollout(row, k)) for row in verl_rows for k in range(per_row)]


def _llm_judge(judge_server: JudgeServer, concurrency: int) -> dict:
    """The scripted judge at 20 ms a reply, and the reward kwargs that point the LLM matcher at it."""
    judge_server.script = metajudge_script(gullible=False)
    judge_server.latency = 0.02
    return {
        "matcher": "llm",
        "judge_model": "judge",
        "base_url": judge_server.url,
        "concurrency": concurrency,
    }


def test_verl_per_trajectory_calls_reuse_one_pool_and_its_connections(
    verl_rows: list[dict], judge_server: JudgeServer
) -> None:
    """256 per-trajectory calls at once in one loop (one verl reward worker): one scorer, so one judge pool and one
    connector, opened for all of them; no more TCP connections than the pool's concurrency; the calls gathered
    into score_batch calls; every reward the same as the same rollouts scored one call at a time."""
    from rationalerm.integrations._runtime import shared_runtime

    concurrency = 16
    kwargs = _llm_judge(judge_server, concurrency)
    rollouts = _verl_calls(verl_rows, 64)
    runtime = shared_runtime()
    opened = runtime.scorers_opened

    async def worker() -> tuple[list[dict], tuple[int, int]]:
        results = await asyncio.gather(
            *(
                compute_score_async(
                    row["data_source"], text, row["reward_model"]["ground_truth"], row["extra_info"], **kwargs
                )
                for row, text in rollouts
            )
        )
        return list(results), runtime.gathered(ScorerSpec.from_kwargs(kwargs))

    results, (batches, calls) = asyncio.run(worker())
    assert len(results) == 256 and all(r["score"] > 0 and r["judge_failed"] == 0.0 for r in results)
    assert (
        runtime.scorers_opened == opened + 1
    )  # one scorer: one JudgePool, one aiohttp session and connector
    assert judge_server.count == 256  # every rollout's reasons went to the judge once
    assert judge_server.accepted <= concurrency, judge_server.accepted  # connections reused, not one per call
    assert concurrency // 2 < judge_server.max_in_flight <= concurrency  # the pool's slots were all used
    assert calls == 256 and batches < calls / 2  # gathered into batches, not scored one call at a time
    # The same rewards when each call is alone (its own loop, nothing to gather with).
    alone = [
        compute_score(
            row["data_source"], text, row["reward_model"]["ground_truth"], row["extra_info"], **kwargs
        )
        for row, text in rollouts[::37]
    ]
    assert [r["score"] for r in alone] == [r["score"] for r in results[::37]]


def test_verl_sync_calls_from_many_threads_share_one_pool(
    verl_rows: list[dict], judge_server: JudgeServer
) -> None:
    """The sync form as verl runs it (on executor threads, many at once): the calls share the runtime's background
    loop, so one scorer and its connections serve all of them."""
    from concurrent.futures import ThreadPoolExecutor

    from rationalerm.integrations._runtime import shared_runtime

    concurrency = 8
    kwargs = _llm_judge(judge_server, concurrency)
    rollouts = _verl_calls(verl_rows, 16)
    runtime = shared_runtime()
    opened = runtime.scorers_opened
    with ThreadPoolExecutor(32) as threads:
        results = list(
            threads.map(
                lambda call: compute_score(
                    call[0]["data_source"],
                    call[1],
                    call[0]["reward_model"]["ground_truth"],
                    call[0]["extra_info"],
                    **kwargs,
                ),
                rollouts,
            )
        )
    assert all(r["score"] > 0 and r["judge_failed"] == 0.0 for r in results)
    assert runtime.scorers_opened == opened + 1
    assert judge_server.count == len(rollouts) and judge_server.accepted <= concurrency


def test_scorer_spec_passes_max_retries_to_the_judge_pool(
    verl_rows: list[dict], judge_server: JudgeServer
) -> None:
    """``max_retries`` from reward_kwargs bounds the attempts on a failing judge (here 1 retry: 2 requests)."""
    from judge_server import error_reply

    judge_server.script = lambda request, number: error_reply(503, "overloaded")
    row = verl_rows[0]
    result = compute_score(
        row["data_source"],
        honest(row),
        row["reward_model"]["ground_truth"],
        row["extra_info"],
        matcher="llm",
        judge_model="judge",
        base_url=judge_server.url,
        max_retries=1,
        timeout=5,
    )
    assert result["judge_failed"] == 1.0 and result["score"] == 0.0
    assert judge_server.count == 2
    assert ScorerSpec.from_kwargs({"max_retries": 3}).max_retries == 3


def test_verl_gathered_calls_each_raise_a_refusal_and_a_cancelled_call_is_left_out(
    verl_rows: list[dict], judge_server: JudgeServer
) -> None:
    """Calls gathered into one batch: a judge that refuses the run (404: no such model) is raised in every caller;
    a caller cancelled while it waits does not take the others down, and its rollout is not sent."""
    from judge_server import models_not_found_reply
    from rationalerm.errors import JudgeRefusedError

    judge_server.script = lambda request, number: models_not_found_reply("judge")
    kwargs = {"matcher": "llm", "judge_model": "judge", "base_url": judge_server.url}
    rollouts = _verl_calls(verl_rows, 2)

    def call(row: dict, text: str) -> Any:
        return compute_score_async(
            row["data_source"], text, row["reward_model"]["ground_truth"], row["extra_info"], **kwargs
        )

    async def refused() -> list[Any]:
        return list(await asyncio.gather(*(call(*r) for r in rollouts), return_exceptions=True))

    outcomes = asyncio.run(refused())
    assert len(outcomes) == len(rollouts)
    assert all(isinstance(o, JudgeRefusedError) for o in outcomes), outcomes

    judge_server.script = metajudge_script(gullible=False)

    async def one_cancelled() -> list[dict]:
        await call(*rollouts[-1])  # the scorer is open: the next calls go straight to the gathering
        judge_server.reset()
        tasks = [
            asyncio.ensure_future(call(*r)) for r in rollouts[:3]
        ]  # fewer than a part: they wait to gather
        await asyncio.sleep(0)
        tasks[0].cancel()
        done = await asyncio.gather(*tasks[1:])
        assert tasks[0].cancelled()
        return list(done)

    results = asyncio.run(one_cancelled())
    assert len(results) == 2 and all(r["score"] > 0 for r in results)
    assert judge_server.count == 2  # the cancelled call's rollout was left out of the batch
