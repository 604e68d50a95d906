"""Reward throughput and the adversarial table (a benchmark, not a test).

Workload: ``--prompts`` GRPO prompts x ``--rollouts`` completions (default 256 x 8 = 2,048), built from the demo
rows. Each prompt gets its own human checklist and reason pool (a per-prompt tag makes its strings distinct from
every other prompt's, so nothing is shared across prompts that would not be in a real run); each rollout writes 4-5
reasons drawn from its prompt's pool (evidence-grounded, mixed and surface reasons of three judges), in random order,
with the correct verdict (so every completion needs the matcher). ``--unique`` makes every reason string distinct
(the worst case for the local matcher: nothing repeats across rollouts).

* LLM matcher: the scripted judge (tests/judge_server.py) in its own process with ``--latency`` per reply (default
  100 ms, jittered +/- ``--jitter`` like a real server; ``--jitter 0`` makes every reply of a round arrive at once) at ``--concurrency`` (default 128). efficiency = ideal / actual, ideal = total latency the server spent /
  concurrency (a perfectly packed schedule of exactly the requests it saw). Goal >= 0.9. Also printed: what a
  zero-cost client reaches on the same latency draws (``schedule_bound.py``), the ceiling of any client.
  ``--screen-workers N`` parses and screens in N worker processes (``RewardScorer(screen_workers=N)``).
  ``--gc-freeze`` moves the objects alive before the batch out of the garbage collector's reach
  (``gc.freeze()``, as ``serve-reward`` does once it has started): a full collection during the batch then walks
  only the batch's own objects, not the ~50k that the imports made.
  ``--loop`` picks the client's event loop (default: uvloop where installed, as rationalerm's own entry points do),
  ``--server-loop`` the scripted server's (default uvloop where installed, as vLLM's server runs; on the standard
  loop the server's timers fire about 0.6 ms late on average, which is charged to the client, and it takes more of
  the 2 cores the client runs on).
* Local matcher: completions per second with ``--threads`` threads (default 2), model load excluded. Goal
  >= 200 /s on 2 cores. ``--backend torch-bf16`` runs the encoder's matrix products in bf16 (see
  ``rationalerm.matchers.encoder.TorchBF16Encoder``). The distinct strings embedded are printed: they are the cost.
* ``--verl`` and ``--serve-reward`` (``benchmarks/reward_trainers.py``, issue 17): rewards/s in the trainers' own
  call patterns, beside the same rollouts scored as one ``score_batch`` (the anchor) with the ratio. ``--verl``: one
  verl 0.9.1 ``RewardLoopWorker`` in process fed per-trajectory calls, ``--in-flight`` (256) at a time, local
  matcher and LLM matcher (scripted judge at ``--trainer-latency``, 50 ms), goal >= 0.8x the batch rate, with
  verl's own cost per call beside it (its worker with a no-op reward) and the CPU seconds of each side; it runs in
  ``.venv-verl`` (a subprocess; skipped, saying so, until ``scripts/trainers/verl.sh`` has built it).
  ``--serve-reward``: ``rationalerm serve-reward`` as a process (``--serve-matcher llm|local``) under ``--samples``
  (2,000) single-sample requests at once: wall, samples/s, p50/p99 latency, all 200. ``--matcher none --verl
  --serve-reward`` runs only these (about a minute).
* ``--attacks``: the adversarial suite on the demo rows with the local matcher: honest score, attack score with the
  guards on, and with the attack's own guard off.

    .venv/bin/python benchmarks/reward_throughput.py [--matcher llm|local|both|none] [--unique] [--attacks] [--repeat 5]
        [--verl] [--serve-reward]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rationalerm import aio
from rationalerm.aio import EVENT_LOOP_ENV, event_loop_name
from rationalerm.reward import RewardConfig, RewardSample, RewardScorer
from rationalerm.reward.adversarial import VERDICT_BOX

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _rollouts import DEMO, SERVER, workload
from schedule_bound import scripted_latencies, zero_cost_efficiency


def _server_stats(url: str) -> dict:
    with urllib.request.urlopen(url.rsplit("/v1", 1)[0] + "/stats", timeout=10) as response:
        return json.loads(response.read())


async def bench_llm(args: argparse.Namespace, completions: list[str], samples: list[RewardSample]) -> float:
    from rationalerm.llm import JudgePool
    from rationalerm.matchers import MatchRequest
    from rationalerm.matchers.llm import LLMMatcher
    from rationalerm.parse import parse_reasons

    proc = subprocess.Popen(
        [
            sys.executable,
            str(SERVER),
            "--latency",
            str(args.latency),
            "--jitter",
            str(args.jitter),
            *(["--uvloop"] if args.server_loop == "uvloop" else []),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    # The matcher alone, for comparison: the same judge requests without the reward layer (parsing, guards).
    bare = [
        MatchRequest(str(i), sample.human_checklist, parse_reasons(text))
        for i, (text, sample) in enumerate(zip(completions, samples, strict=True))
    ]
    try:
        pool = JudgePool("bench", [url], concurrency=args.concurrency, cache=None)
        async with LLMMatcher(pool) as matcher:
            with RewardScorer(RewardConfig(), matcher=matcher, screen_workers=args.screen_workers) as scorer:
                if args.screen_workers:
                    await asyncio.sleep(3)  # let the workers start, as they do while the first rollouts run
                before = _server_stats(url)
                if args.gc_freeze:
                    gc.collect()
                    gc.freeze()
                try:
                    start, cpu = time.perf_counter(), time.process_time()
                    results = await scorer.score_batch(completions, samples)
                    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
                finally:
                    gc.unfreeze()
            middle = _server_stats(url)
            start = time.perf_counter()
            await matcher.match(bare)
            bare_wall = time.perf_counter() - start
        after = _server_stats(url)
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        proc.wait(timeout=10)

    def figures(first: dict, last: dict, seconds: float) -> tuple[float, float]:
        ideal = (last["total_delay"] - first["total_delay"]) / args.concurrency
        latencies = scripted_latencies(last["requests"], args.latency, args.jitter)[first["requests"] :]
        return ideal / seconds, zero_cost_efficiency(latencies, args.concurrency)

    efficiency, bound = figures(before, middle, wall)
    bare_efficiency, bare_bound = figures(middle, after, bare_wall)
    ok = sum(r.status == "ok" for r in results)
    print(
        f"LLM matcher ({args.screen_workers} screening workers{', start-up objects frozen' if args.gc_freeze else ''}): "
        f"{len(completions)} completions, "
        f"{scorer.stats.match_requests} judge requests in {scorer.stats.matcher_calls} matcher call(s), {ok} ok; "
        f"wall {wall:.2f} s, efficiency {efficiency:.3f} (goal 0.9: {efficiency / 0.9:.2f}; "
        f"zero-cost client {bound:.3f}: {efficiency / bound:.2f} of it); "
        f"client CPU {cpu * 1000 / max(1, len(completions)):.2f} ms/completion"
    )
    print(
        f"  the matcher alone on the same requests: efficiency {bare_efficiency:.3f} "
        f"(zero-cost client {bare_bound:.3f}: {bare_efficiency / bare_bound:.2f} of it)"
    )
    return efficiency


async def bench_local(args: argparse.Namespace, completions: list[str], samples: list[RewardSample]) -> None:
    from rationalerm.matchers.local import LocalMatcher

    matcher = LocalMatcher(threads=args.threads, batch_size=args.batch_size, backend=args.backend)
    matcher.embed(["warm-up string"])  # load the model outside the measurement
    before = matcher.encoded_strings
    scorer = RewardScorer(RewardConfig(), matcher=matcher)
    start = time.perf_counter()
    results = await scorer.score_batch(completions, samples)
    wall = time.perf_counter() - start
    encoded = matcher.encoded_strings - before
    rate = len(completions) / wall
    print(
        f"local matcher ({matcher.encoder_backend}, {args.threads} threads): {len(completions)} completions in {wall:.2f} s "
        f"= {rate:.0f}/s "
        f"(goal 200/s: {rate / 200:.2f}); {encoded} distinct strings embedded ({wall * 1000 / max(1, encoded):.2f} "
        f"ms each, all-in); mean score {sum(r.score for r in results) / len(results):.3f}"
    )
    start = time.perf_counter()
    await scorer.score_batch(completions, samples)
    print(f"  same batch again (reward cache): {time.perf_counter() - start:.3f} s")


async def bench_attacks() -> None:
    from rationalerm.matchers.local import LocalMatcher
    from rationalerm.reward.adversarial import Case, run_attacks

    matcher = LocalMatcher(threads=2)
    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = []
    for row in rows:
        sample = RewardSample.from_row(row)
        cases.append(Case(sample, tuple(row["judge-grounded-checklist"]), VERDICT_BOX[sample.human_label]))
    scorers: dict[RewardConfig, RewardScorer] = {}

    async def score(config: RewardConfig, texts: list[str], samples: list[RewardSample]) -> list[float]:
        scorer = scorers.setdefault(config, RewardScorer(config, matcher=matcher))
        return [r.score for r in await scorer.score_batch(texts, samples)]

    outcomes = await run_attacks(score, RewardConfig(), cases)
    print(
        f"\nadversarial suite, local matcher, {len(cases)} demo rows (means; max gain = worst case over rows)"
    )
    print(
        f"{'attack':<18} {'honest':>7} {'attack':>7} {'max gain':>9} {'guard off':>10} {'max gain':>9}  guard"
    )
    for o in outcomes:
        off = (
            f"{o.attacked_unguarded:10.3f} {o.max_gain_unguarded:9.3f}"
            if o.attacked_unguarded is not None
            else f"{'-':>10} {'-':>9}"
        )
        print(f"{o.attack:<18} {o.honest:7.3f} {o.attacked:7.3f} {o.max_gain:9.3f} {off}  {o.guard}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--matcher", choices=("llm", "local", "both", "none"), default="both")
    parser.add_argument("--prompts", type=int, default=256)
    parser.add_argument("--rollouts", type=int, default=8)
    parser.add_argument("--unique", action="store_true", help="every reason string distinct")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument(
        "--jitter",
        type=float,
        default=0.5,
        help="latency uniform in mean*(1 +/- jitter), as in judge_throughput",
    )
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--screen-workers", type=int, default=0)
    parser.add_argument(
        "--backend",
        default="both",
        help="local encoder: onnxruntime (fp32, evaluate's), torch-bf16 (the adapters' choice on CPUs with AMX "
        "or AVX-512 BF16), sentence-transformers, or both (onnxruntime, then torch-bf16 where the CPU has bf16)",
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--attacks", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=1, help="LLM matcher runs; with more than one the median is printed too"
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() the objects alive before the LLM batch, as a long-running reward process does after "
        "start-up (serve-reward does): full collections then skip the ~50k objects the imports made",
    )
    parser.add_argument(
        "--server-loop",
        choices=("uvloop", "asyncio"),
        default="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        help="event loop of the scripted judge server (default uvloop where installed, as vLLM's server runs: "
        "on the standard loop the server answers about 0.6 ms late on average and takes more of the 2 cores)",
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="event loop of the client (auto: uvloop where installed, as the CLI, serve-reward and the sync "
        "adapters choose; a trainer's own loop is whatever it runs)",
    )
    parser.add_argument(
        "--verl",
        action="store_true",
        help="verl's RewardLoopWorker fed per-trajectory calls vs one score_batch (runs in .venv-verl)",
    )
    parser.add_argument(
        "--serve-reward",
        action="store_true",
        help="serve-reward under --samples concurrent single-sample requests",
    )
    from reward_trainers import add_arguments, run_verl, serve_main

    add_arguments(parser, prefix="trainer-")
    args = parser.parse_args()
    completions, samples = workload(args.prompts, args.rollouts, args.unique)
    if args.loop != "auto":
        os.environ[EVENT_LOOP_ENV] = args.loop
    print(
        f"event loop: {event_loop_name()} (as rationalerm's own entry points run; --loop to choose); "
        f"scripted server on {args.server_loop} (--server-loop)"
    )
    if args.matcher in ("llm", "both"):
        runs = [aio.run(bench_llm(args, completions, samples)) for _ in range(args.repeat)]
        if args.repeat > 1:
            print(
                f"LLM matcher, {args.repeat} runs (a fresh server each): median efficiency "
                f"{statistics.median(runs):.3f} (goal 0.9: {statistics.median(runs) / 0.9:.2f}); "
                f"range {min(runs):.3f}-{max(runs):.3f}"
            )
    if args.matcher in ("local", "both"):
        from rationalerm.matchers.encoder import native_bf16

        backends = [args.backend]
        if args.backend == "both":
            backends = ["onnxruntime", *(["torch-bf16"] if native_bf16() else [])]
        for backend in backends:
            aio.run(
                bench_local(argparse.Namespace(**{**vars(args), "backend": backend}), completions, samples)
            )
    if args.attacks:
        aio.run(bench_attacks())
    if args.verl:
        print()
        run_verl(args)
    if args.serve_reward:
        print()
        serve_main(args)


if __name__ == "__main__":
    main()
