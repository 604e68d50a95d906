"""Reward throughput in the trainers' own call patterns (issue 17), each figure beside its anchor (a benchmark, not
a test). ``reward_throughput.py --verl --serve-reward`` runs both parts; this file runs one.

* ``verl`` (runs in ``.venv-verl``, which ``scripts/trainers/verl.sh`` builds): verl 0.9.1's ``RewardLoopWorker``
  made in process (as a Ray actor makes it in its own loop; no Ray, so no serialization of the calls) on the
  shipped examples config (``examples/verl/grpo_rationalerm.yaml``, reward manager ``naive``, ``compute_score_async``
  from ``pkg://rationalerm.integrations.verl``), fed the workload of ``reward_throughput.py`` (256 prompts x 8
  rollouts = 2,048) as verl's agent loop feeds it: one one-trajectory ``DataProto`` per rollout, built beforehand
  (the rollout side's work), and ``worker.compute_score(item)`` for each, ``--in-flight`` (256) at a time. The
  worker decodes the response tokens (a byte-level tokenizer made here), builds the sample from ``ground_truth`` and
  ``extra_info`` and calls rationalerm's per-trajectory entry point. Anchor: the same completions and samples in one
  ``RewardScorer.score_batch`` call on a scorer opened from the same reward_kwargs (same matcher, same judge
  concurrency). Goal: per-trajectory >= 0.8x the batch rate. The local matcher is the real encoder (each side has
  its own copy, so neither finds the other's embeddings cached; both warmed up first); the LLM matcher talks to the
  scripted judge (``tests/judge_server.py``) in its own process at ``--latency`` (50 ms, +/- ``--jitter``) per
  answer. Both sides run on the standard asyncio loop, as a Ray actor's does. Also run, to split the time: the
  same calls into rationalerm's entry point without verl, and verl's worker with a no-op reward function (verl's
  own cost per call: DataProto slicing, the tokenizer decode on its executor, its reward manager), each with its
  process CPU seconds; and how the per-trajectory calls were gathered into ``score_batch`` calls. Every figure
  is printed per round, then the min/median/max ratio over the rounds.
* ``serve``: ``rationalerm serve-reward`` as its own process (``--serve-matcher``: the LLM matcher on the scripted
  judge, or local), 2,000 single-sample ``POST /get_reward`` requests sent at once from an aiohttp client (one
  connection each, all on loopback), as OpenRLHF sends them. Reported: wall, samples/s, p50/p99 latency, whether all
  were 200; anchor: the same 2,000 samples in one in-process ``score_batch`` with the same settings.

The 2-core VM's speed drifts by tens of percent within minutes (and other work on it shows at once): each part
prints the load average before it starts, and a side and its anchor run back to back.

Measured 2026-12-04 (3 rounds each, load average 1-3 from other work): local matcher per-trajectory/batch min 0.86,
median 0.91 (goal met); LLM matcher min 0.44, median 0.44 (0.53-0.58 before calls were gathered). The LLM side is
bound by verl itself: its worker with a no-op reward takes 0.34 ms of CPU per call (0.7 s per 2,048), while the
batch, 1.0-1.2 s, is itself CPU-bound on the same core, so even a reward costing exactly the batch's time would
reach only 0.58-0.64 (the "if verl's per-call cost simply added" line). rationalerm's own per-trajectory calls
without verl: median 0.76 of the batch rate (CPU 1.0-1.2 s against the batch's 0.9-1.1 s).

    .venv-verl/bin/python benchmarks/reward_trainers.py verl [--verl-matcher local|llm|both] [--in-flight 256]
    .venv/bin/python benchmarks/reward_trainers.py serve [--samples 2000] [--serve-matcher llm|local]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rationalerm.reward import RewardSample

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _rollouts import SERVER, workload

ROOT = Path(__file__).resolve().parent.parent
VERL_PYTHON = ROOT / ".venv-verl" / "bin" / "python"
EXAMPLES = ROOT / "examples" / "verl"
GOAL = 0.8
# verl's own cost per call: the same worker and calls with a reward function that does nothing.
NOOP_REWARD = """async def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    return {"score": float(bool(solution_str))}
"""


@contextlib.contextmanager
def scripted_judge(latency: float, jitter: float) -> Iterator[str]:
    """The scripted judge (valid MetaJudge answers) in its own process; yields its base URL."""
    command = [sys.executable, str(SERVER), "--latency", str(latency), "--jitter", str(jitter)]
    with contextlib.suppress(ImportError):
        import uvloop  # noqa: F401

        command.append("--uvloop")
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        proc.wait(timeout=10)


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average before: {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def rate_line(
    name: str, n: int, wall: float, anchor_name: str, anchor_wall: float, goal: float | None = GOAL
) -> float:
    """``name``'s rate beside its anchor's, the ratio, and PASS/FAIL against ``goal`` (None: no goal)."""
    ratio = anchor_wall / wall
    verdict = f" (goal {goal}: {'PASS' if ratio >= goal else 'FAIL'})" if goal is not None else ""
    print(
        f"  {name}: {wall:6.2f} s = {n / wall:6.0f}/s | {anchor_name}: {anchor_wall:6.2f} s = "
        f"{n / anchor_wall:6.0f}/s | ratio {ratio:.2f}{verdict}"
    )
    return ratio


# -- verl ---------------------------------------------------------------------------------------------------------


def byte_tokenizer(directory: str) -> str:
    """A byte-level BPE tokenizer with no merges (decode(encode(text)) == text), saved where verl loads it."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend)
    tokenizer.add_special_tokens({"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"})
    path = str(Path(directory) / "byte-tokenizer")
    tokenizer.save_pretrained(path)
    return path


def verl_items(completions: list[str], samples: list[RewardSample], tokenizer_path: str) -> list[Any]:
    """One one-trajectory DataProto per rollout, as verl's agent loop hands them to the reward worker."""
    import numpy as np
    import torch
    from transformers import AutoTokenizer
    from verl import DataProto

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    prompt = tokenizer.encode("Which response is better?")
    items = []
    for text, sample in zip(completions, samples, strict=True):
        response = [*tokenizer.encode(text), tokenizer.eos_token_id]
        extra_info = {
            "human_checklist": list(sample.human_checklist),
            "response1": sample.response1,
            "response2": sample.response2,
            "context": [dict(m) for m in sample.context],
        }
        items.append(
            DataProto.from_dict(
                tensors={
                    "prompts": torch.tensor([prompt]),
                    "responses": torch.tensor([response]),
                    "attention_mask": torch.ones(1, len(prompt) + len(response), dtype=torch.long),
                },
                non_tensors={
                    "data_source": np.array(["rationalerm"], dtype=object),
                    "reward_model": np.array([{"ground_truth": sample.human_label}], dtype=object),
                    "extra_info": np.array([extra_info], dtype=object),
                },
            )
        )
    return items


def verl_config(tokenizer_path: str, matcher: str, judge_url: str, *extra: str) -> Any:
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    kwargs = "reward.custom_reward_function.reward_kwargs"
    overrides = [
        f"actor_rollout_ref.model.path={tokenizer_path}",
        "reward.reward_manager.name=naive",
        "reward.custom_reward_function.name=compute_score_async",
        f"{kwargs}.matcher={matcher}",
        f"{kwargs}.base_url={judge_url}",
        f"{kwargs}.judge_model=judge",
        *extra,
    ]
    with initialize_config_dir(config_dir=str(EXAMPLES), version_base=None):
        config = compose(config_name="grpo_rationalerm", overrides=overrides)
    OmegaConf.resolve(config)
    return config


async def verl_one(
    args: argparse.Namespace,
    matcher: str,
    items: list[Any],
    completions: list[str],
    samples: list[RewardSample],
    tokenizer_path: str,
    judge_url: str,
    noop_path: str,
) -> float:
    """``--rounds`` rounds of: the batch anchor, verl's worker per trajectory, rationalerm's entry point per
    trajectory without verl, and verl's worker with a no-op reward (verl's own cost per call); each on cold caches
    (a fresh scorer and matcher copy). Returns the median ratio."""
    from omegaconf import OmegaConf
    from verl.experimental.reward_loop import RewardLoopWorker

    from rationalerm.integrations import ScorerSpec, _runtime, make_local_matcher, open_scorer
    from rationalerm.integrations.verl import compute_score_async

    config = verl_config(tokenizer_path, matcher, judge_url)
    noop_config = verl_config(
        tokenizer_path,
        matcher,
        judge_url,
        f"reward.custom_reward_function.path={noop_path}",
        "reward.custom_reward_function.name=compute_score",
    )
    reward_kwargs = OmegaConf.to_container(config.reward.custom_reward_function.reward_kwargs)
    spec = ScorerSpec.from_kwargs(reward_kwargs)
    n = len(completions)
    warm = ["a warm-up reason that is in no rollout", "another one"]
    gate = asyncio.Semaphore(args.in_flight)
    calls = [
        (
            text,
            item.non_tensor_batch["reward_model"][0]["ground_truth"],
            dict(item.non_tensor_batch["extra_info"][0]),
        )
        for text, item in zip(completions, items, strict=True)
    ]

    def fresh_runtime() -> Any:
        """A new process runtime (new scorers, a new local matcher copy, warmed up): cold caches."""
        _runtime._SHARED = None
        batcher = _runtime.shared_runtime().local_matcher(spec)
        if batcher is not None:
            batcher.matcher.embed(warm)
        return batcher

    def gathered() -> str:
        """How the per-trajectory calls were gathered (score_batch calls) and how many scorers were opened."""
        runtime = _runtime.shared_runtime()
        if not hasattr(runtime, "gathered"):  # an older rationalerm: one score call per trajectory
            return "not gathered"
        batches, count = runtime.gathered(spec)
        return f"{count} calls in {batches} score_batch calls, {runtime.scorers_opened} scorer(s) opened"

    async def timed(work: Any) -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        await work
        return time.perf_counter() - start, time.process_time() - cpu

    async def batch_run() -> tuple[float, float, list[Any]]:
        local = make_local_matcher(spec) if matcher == "local" else None  # its own copy of the encoder
        if local is not None:
            local.embed(warm)
        async with open_scorer(spec, local_matcher=local) as scorer:
            results: list[Any] = []

            async def score() -> None:
                results.extend(await scorer.score_batch(completions, samples))

            wall, cpu = await timed(score())
            return wall, cpu, results

    async def worker_run(worker_config: Any) -> tuple[float, float, list[dict]]:
        worker = RewardLoopWorker(worker_config)  # loads the reward function as a Ray actor does
        await worker.compute_score(items[0])  # opens the scorer in this loop, as the first call of a run does

        async def call(item: Any) -> dict:
            async with gate:
                return await worker.compute_score(item)

        outputs: list[dict] = []

        async def run_all() -> None:
            outputs.extend(await asyncio.gather(*(call(item) for item in items)))

        wall, cpu = await timed(run_all())
        return wall, cpu, outputs

    async def verl_run() -> tuple[float, float, list[dict], Any, str]:
        batcher = fresh_runtime()
        wall, cpu, outputs = await worker_run(config)
        return wall, cpu, outputs, batcher, gathered()

    async def direct_run() -> tuple[float, float]:
        fresh_runtime()
        await compute_score_async("warm-up", "no verdict here", *calls[0][1:], **reward_kwargs)

        async def direct(text: str, truth: Any, info: dict) -> dict:
            async with gate:
                return await compute_score_async("rationalerm", text, truth, info, **reward_kwargs)

        return await timed(asyncio.gather(*(direct(*c) for c in calls)))

    async def noop_run() -> tuple[float, float]:
        wall, cpu, _ = await worker_run(noop_config)
        return wall, cpu

    rounds = []
    for number in range(args.rounds):
        # Odd rounds run in the reverse order: the VM's speed drifts, and a drift over a round then favours
        # neither side in the median.
        if number % 2 == 0:
            batch_wall, batch_cpu, batch = await batch_run()
            wall, cpu, outputs, batcher, how = await verl_run()
            direct_wall, direct_cpu = await direct_run()
            noop_wall, noop_cpu = await noop_run()
        else:
            noop_wall, noop_cpu = await noop_run()
            direct_wall, direct_cpu = await direct_run()
            wall, cpu, outputs, batcher, how = await verl_run()
            batch_wall, batch_cpu, batch = await batch_run()
        rounds.append((batch_wall, wall, direct_wall, noop_wall, batch_cpu, cpu, direct_cpu, noop_cpu))

    name = matcher if batcher is None else f"local ({batcher.matcher.encoder_backend})"
    print(f"verl RewardLoopWorker, {name} matcher, {n} trajectories, {args.rounds} round(s):")
    for batch_wall, wall, direct_wall, noop_wall, batch_cpu, cpu, direct_cpu, noop_cpu in rounds:
        rate_line(f"per-trajectory, {args.in_flight} in flight", n, wall, "one score_batch", batch_wall)
        rate_line("  compute_score_async alone, no verl", n, direct_wall, "one score_batch", batch_wall)
        print(
            f"    verl's worker with a no-op reward: {noop_wall:.2f} s = {n / noop_wall:.0f}/s "
            f"({noop_wall / n * 1e3:.2f} ms per call); process CPU s: batch {batch_cpu:.2f}, per-trajectory in "
            f"verl {cpu:.2f}, alone {direct_cpu:.2f}, no-op in verl {noop_cpu:.2f}"
        )
    ratios = [r[0] / r[1] for r in rounds]
    direct = [r[0] / r[2] for r in rounds]
    median = statistics.median(ratios)
    print(
        f"  ratio per-trajectory/batch over {len(rounds)} round(s): min {min(ratios):.2f}, median {median:.2f}, "
        f"max {max(ratios):.2f} (goal {GOAL}: {'PASS' if median >= GOAL else 'FAIL'}); without verl: min "
        f"{min(direct):.2f}, median {statistics.median(direct):.2f}, max {max(direct):.2f}"
    )
    # What one worker could reach at best: the batch's own time plus verl's per-call cost, beside the batch.
    bound = [r[0] / (r[0] + r[3]) for r in rounds]
    print(
        f"  if verl's per-call cost (no-op reward) simply added to the batch's time: ratio median "
        f"{statistics.median(bound):.2f} (min {min(bound):.2f}, max {max(bound):.2f})"
    )
    per_traj = [float(o["reward_score"]) for o in outputs]
    same = sum(abs(a - b.score) < 1e-6 for a, b in zip(per_traj, batch, strict=True))
    failed = sum(o["reward_extra_info"]["judge_failed"] for o in outputs)
    extra = f"{same}/{n} rewards equal to the batch's, {failed:.0f} judge failures; {how}"
    if batcher is not None:
        extra += (
            f"; micro-batcher: {batcher.requests} match requests in {batcher.batches} encoder batches (the "
            "encoder batches are made up differently, and in bf16 that can move a score that sits near a threshold)"
            if "bf16" in name
            else f"; micro-batcher: {batcher.requests} match requests in {batcher.batches} encoder batches"
        )
    print(f"    {extra}")
    return median


def verl_main(args: argparse.Namespace) -> None:
    import logging

    logging.disable(logging.WARNING)  # verl's and the reward's start-up chatter
    completions, samples = workload(args.prompts, args.rollouts, args.unique)
    print(load_line())
    matchers = ["local", "llm"] if args.verl_matcher == "both" else [args.verl_matcher]
    print(
        f"verl (in process, no Ray), {len(completions)} rollouts ({args.prompts} prompts x {args.rollouts}); "
        f"scripted judge at {args.judge_latency * 1000:.0f} ms +/- {args.jitter:.0%} in its own process; "
        f"event loop: asyncio"
    )
    with tempfile.TemporaryDirectory() as tmp, scripted_judge(args.judge_latency, args.jitter) as url:
        tokenizer_path = byte_tokenizer(tmp)
        noop_path = Path(tmp) / "noop_reward.py"
        noop_path.write_text(NOOP_REWARD, encoding="utf-8")
        items = verl_items(completions, samples, tokenizer_path)
        for matcher in matchers:
            asyncio.run(
                verl_one(args, matcher, items, completions, samples, tokenizer_path, url, str(noop_path))
            )


def run_verl(args: argparse.Namespace) -> None:
    """Run the verl part in .venv-verl (a subprocess), or say how to get it."""
    if not VERL_PYTHON.exists():
        print(
            "verl: SKIPPED, .venv-verl is missing: run scripts/trainers/verl.sh first (it builds .venv-verl with "
            "verl 0.9.1), then this again"
        )
        return
    command = [
        str(VERL_PYTHON),
        str(Path(__file__).resolve()),
        "verl",
        f"--verl-matcher={args.verl_matcher}",
        f"--prompts={args.prompts}",
        f"--rollouts={args.rollouts}",
        f"--in-flight={args.in_flight}",
        f"--rounds={args.rounds}",
        f"--latency={args.judge_latency}",
        f"--jitter={args.jitter}",
        *(["--unique"] if args.unique else []),
    ]
    sys.stdout.flush()
    done = subprocess.run(command, cwd=ROOT, check=False)
    if done.returncode:
        print(
            f"verl: the run in .venv-verl failed (exit {done.returncode}); if rationalerm's dependencies changed, "
            "rebuild it with scripts/trainers/verl.sh"
        )


# -- serve-reward -------------------------------------------------------------------------------------------------


def openrlhf_label(sample: RewardSample) -> str:
    return json.dumps(
        {
            "human_checklist": list(sample.human_checklist),
            "human_label": sample.human_label,
            "response1": sample.response1,
            "response2": sample.response2,
            "context": [dict(m) for m in sample.context],
        }
    )


def _health(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return None


async def post_all(url: str, bodies: list[bytes]) -> tuple[float, list[float], list[int]]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=len(bodies), force_close=False)
    timeout = aiohttp.ClientTimeout(total=180)
    latencies = [0.0] * len(bodies)
    statuses = [0] * len(bodies)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(i: int) -> None:
            start = time.perf_counter()
            try:
                async with session.post(
                    url + "/get_reward", data=bodies[i], headers={"Content-Type": "application/json"}
                ) as response:
                    await response.read()
                    statuses[i] = response.status
            except (TimeoutError, aiohttp.ClientError):
                statuses[i] = -1
            latencies[i] = time.perf_counter() - start

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(len(bodies))))
        wall = time.perf_counter() - start
    return wall, latencies, statuses


async def serve_anchor(
    args: argparse.Namespace, url: str, completions: list[str], samples: list[RewardSample]
) -> float:
    from rationalerm.integrations import ScorerSpec, open_scorer

    spec = ScorerSpec(matcher=args.serve_matcher, judge_model="judge", base_urls=(url,))
    async with open_scorer(spec) as scorer:
        if args.serve_matcher == "local":
            scorer.matcher.embed(["a warm-up reason that is in no rollout"])  # type: ignore[union-attr]
        start = time.perf_counter()
        await scorer.score_batch(completions, samples)
        return time.perf_counter() - start


def serve_main(args: argparse.Namespace) -> None:
    from rationalerm import aio

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.samples + 1024:  # a socket per request, here and in the server
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.samples + 1024), hard))
    prompts = -(-args.samples // args.rollouts)
    completions, samples = workload(prompts, args.rollouts, args.unique)
    completions, samples = completions[: args.samples], samples[: args.samples]
    bodies = [
        json.dumps({"query": [text], "prompts": [""], "labels": [openrlhf_label(sample)]}).encode()
        for text, sample in zip(completions, samples, strict=True)
    ]
    print(load_line())
    with scripted_judge(args.judge_latency, args.jitter) as judge_url:
        anchor = aio.run(serve_anchor(args, judge_url, completions, samples))
        rationalerm = Path(sys.executable).parent / "rationalerm"
        command = [str(rationalerm), "serve-reward", "--matcher", args.serve_matcher, "--port", "0"]
        if args.serve_matcher == "llm":
            command += ["--base-url", judge_url, "--judge-model", "judge"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            assert server.stderr is not None
            line = server.stderr.readline()
            while line and "serving" not in line:
                line = server.stderr.readline()
            url = line.split(" on ", 1)[1].split()[0] if "serving" in line else ""
            deadline = time.monotonic() + 120
            while url and _health(url) is None and time.monotonic() < deadline:
                time.sleep(0.2)
            if not url or _health(url) is None:
                print("serve-reward: the server did not come up")
                return
            if args.serve_matcher == "local":  # load the encoder before the clock starts
                aio.run(post_all(url, bodies[:1]))
            wall, latencies, statuses = aio.run(post_all(url, bodies))
            health = _health(url) or {}
        finally:
            server.terminate()
            server.wait(timeout=30)
    n = len(bodies)
    ok = statuses.count(200)
    cut = sorted(latencies)
    print(
        f"serve-reward, {args.serve_matcher} matcher"
        + (
            f" (scripted judge at {args.judge_latency * 1000:.0f} ms, 128 in flight)"
            if args.serve_matcher == "llm"
            else ""
        )
        + f": {n} single-sample POST /get_reward at once (aiohttp client, one connection each, loopback):"
    )
    rate_line("served", n, wall, "in-process score_batch", anchor, goal=None)
    print(
        f"    latency p50 {statistics.median(cut):.2f} s, p99 {cut[int(0.99 * (n - 1))]:.2f} s, max {cut[-1]:.2f} s; "
        f"{ok}/{n} answered 200 ({'all 200' if ok == n else 'NOT all 200'}); "
        f"server: {health.get('batches', '?')} scoring batches, {health.get('rejected', '?')} rejected"
    )


def add_arguments(parser: argparse.ArgumentParser, *, prefix: str = "") -> None:
    """The options of both parts (``prefix`` keeps them apart from reward_throughput.py's own)."""
    parser.add_argument(
        f"--{prefix}latency",
        dest="judge_latency",
        type=float,
        default=0.05,
        help="scripted judge's mean seconds per answer (verl and serve-reward parts)",
    )
    parser.add_argument("--in-flight", type=int, default=256, help="verl: per-trajectory calls in flight")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="verl: rounds of (batch, verl per trajectory, entry point alone), odd ones in reverse order",
    )
    parser.add_argument("--verl-matcher", choices=("local", "llm", "both"), default="both")
    parser.add_argument(
        "--samples", type=int, default=2000, help="serve-reward: concurrent single-sample requests"
    )
    parser.add_argument("--serve-matcher", choices=("llm", "local"), default="llm")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("part", choices=("verl", "serve"))
    parser.add_argument("--prompts", type=int, default=256)
    parser.add_argument("--rollouts", type=int, default=8)
    parser.add_argument("--unique", action="store_true")
    parser.add_argument("--jitter", type=float, default=0.5)
    add_arguments(parser)
    args = parser.parse_args()
    if args.part == "verl":
        verl_main(args)
    else:
        serve_main(args)


if __name__ == "__main__":
    main()
