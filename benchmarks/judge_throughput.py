"""Throughput of the MetaJudge engine against a scripted judge server (a benchmark, not a test).

The server (``tests/judge_server.py``) runs in its own process, so the client CPU measured here is the client's
alone. Each reply takes a jittered latency (default mean 50 ms, uniform within +/-50%). The run judges N samples
end to end through :func:`rationalerm.workflows.judge.judge_file` (prompt rendering, validation, JSONL output,
final compaction) at a fixed concurrency: clean, then with 10% HTTP 500s and 10% HTTP 429s injected, once with
back-offs scaled to the run (``retry-after-ms: 100`` next to ``Retry-After: 1``, as OpenAI sends both, and a pool
back-off base of 2x the latency for the 500s) and once with ``Retry-After: 1`` alone (a whole second, 20x the mean
latency: a sample rate-limited two or three times in a row waits 2-3 s, and the last such chains set the wall time).

    efficiency = ideal / actual,   ideal = (total latency the server spent on all requests) / concurrency

``ideal`` is the wall time of a perfectly packed schedule of exactly the requests the server saw, so the figure
charges the client for idle slots (back-off gaps, the tail) but not for the retried requests themselves.

Goals: efficiency >= 0.9 clean and >= 0.7 with faults, client CPU < 1 ms per request; each figure is printed
with its ratio to the goal (>= 1.0: met). ``bound`` is what a zero-cost client would reach on the same latency draws
(``schedule_bound.py``: the slots that run dry while the last requests finish cost every client the same; with faults
it leaves out the back-off waits, so it is an upper bound there). Client CPU is this process's CPU time during the run; server CPU is the
server process's (rusage). With ``--repeat N`` each scenario runs N times and the medians are reported. The client
runs on the event loop ``rationalerm judge`` uses (uvloop where installed; ``--loop asyncio`` for the standard one).

    .venv/bin/python benchmarks/judge_throughput.py [--samples 2000] [--concurrency 64] [--latency 0.05] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from rationalerm import aio
from rationalerm.aio import EVENT_LOOP_ENV, event_loop_name
from rationalerm.llm import JudgePool
from rationalerm.matchers.llm import LLMMatcher
from rationalerm.workflows.judge import judge_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from schedule_bound import scripted_latencies, zero_cost_efficiency

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "judge_server.py"
MODEL = "bench-model"


def write_input(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            row = {
                "id": f"bench-{i}",
                "domain": ("general", "code", "stem", "multilingual")[i % 4],
                "context": [{"role": "user", "content": f"Question {i}: compare two answers."}],
                "response1": "First response. " * 20,
                "response2": "Second response. " * 20,
                "label": 1 + i % 2,
                "human-checklist": [
                    f"Response 1 gets detail {j} of case {i} right" for j in range(3 + i % 5)
                ],
                f"{MODEL}-checklist": [
                    f"Response A handles detail {j} of case {i}" for j in range(2 + i % 7)
                ],
                f"{MODEL}-label": "A>B",
            }
            handle.write(json.dumps(row) + "\n")


class ServerProcess:
    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def stats(self) -> dict:
        base = self.url.rsplit("/v1", 1)[0]
        with urllib.request.urlopen(f"{base}/stats", timeout=10) as response:
            return json.loads(response.read())

    def close(self) -> float:
        """Stop the server; return the CPU seconds it used (user + system)."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        except ChildProcessError:
            self.proc.wait(timeout=10)
            return float("nan")


async def run_once(
    url: str, input_path: Path, output: Path, concurrency: int, backoff_base: float = 0.5
) -> tuple[dict, float, float]:
    async with JudgePool(
        "bench-judge", url, concurrency=concurrency, timeout=30, max_retries=8, backoff_base=backoff_base
    ) as pool:
        matcher = LLMMatcher(pool, temperature=0.6, max_tokens=1024)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        summary = await judge_file(input_path, output, model=MODEL, matcher=matcher, resume=False)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
    return summary.as_dict(), wall, cpu


def run_loop(coro, loop: str):
    """Run ``coro`` as ``rationalerm judge`` does (:func:`rationalerm.aio.run`), on the chosen event loop."""
    if loop != "auto":
        os.environ[EVENT_LOOP_ENV] = loop
    return aio.run(coro)


def scenario(name: str, server_args: list[str], args: argparse.Namespace, folder: Path) -> dict:
    input_path = folder / "input.jsonl"
    server = ServerProcess(
        "--latency",
        str(args.latency),
        "--jitter",
        str(args.jitter),
        "--seed",
        str(args.seed),
        *server_args,
        *(["--uvloop"] if args.loop == "uvloop" else []),
    )
    try:
        summary, wall, cpu = run_loop(
            run_once(server.url, input_path, folder / f"{name}.jsonl", args.concurrency, args.backoff_base),
            args.loop,
        )
        stats = server.stats()
    finally:
        server_cpu = server.close()
    records = [json.loads(line) for line in open(folder / f"{name}.jsonl", encoding="utf-8")]
    outcomes = Counter(r["rationalerm"]["status"] for r in records)
    ids = [r["rationalerm"]["sample_id"] for r in records]
    ideal = stats["total_delay"] / args.concurrency
    requests = stats["requests"]
    # What a zero-cost client would reach on the same latency draws (back-off waits aside: an upper bound).
    bound = zero_cost_efficiency(
        scripted_latencies(requests, args.latency, args.jitter, args.seed), args.concurrency
    )
    return {
        "scenario": name,
        "samples": args.samples,
        "records": len(records),
        "unique_ids": len(set(ids)),
        "outcomes": dict(outcomes),
        "requests": requests,
        "server_status": stats["status_counts"],
        "wall_s": wall,
        "requests_per_s": requests / wall,
        "samples_per_s": args.samples / wall,
        "ideal_s": ideal,
        "efficiency": ideal / wall,
        "zero_cost_bound": bound,
        "client_cpu_s": cpu,
        "cpu_ms_per_request": 1000 * cpu / requests,
        "server_cpu_s": server_cpu,
        "server_cpu_ms_per_request": 1000 * server_cpu / requests,
        "retries": summary["pool"]["retries"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="MetaJudge engine throughput against a scripted server.")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05, help="mean server latency per request (s)")
    parser.add_argument("--jitter", type=float, default=0.5, help="latency uniform in mean*(1 +/- jitter)")
    parser.add_argument(
        "--retry-after-ms", type=float, default=100.0, help="retry-after-ms of the scaled fault scenario"
    )
    parser.add_argument(
        "--retry-after", default="1", help="Retry-After (s) of the injected 429s, both fault scenarios"
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="client event loop (auto: uvloop where installed, as the CLI runs); the scripted server runs on "
        "uvloop only with --loop uvloop",
    )
    parser.add_argument(
        "--backoff-base",
        type=float,
        help="JudgePool back-off base (s) for 500s; default 2x --latency, scaled to the run like retry-after-ms "
        "(the pool's own default, 0.5 s, is 10x the 50 ms latency: pass 0.5 to measure it)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario; medians are reported")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.backoff_base is None:
        args.backoff_base = 2 * args.latency

    faults = ["--p500", "0.1", "--p429", "0.1", "--retry-after", args.retry_after]
    scenarios = [
        ("clean", [], GOAL_CLEAN),
        (
            f"faults-ra{args.retry_after_ms:g}ms",
            [*faults, "--retry-after-ms", str(args.retry_after_ms)],
            GOAL_FAULTS,
        ),
        (f"faults-ra{args.retry_after}s", faults, GOAL_FAULTS),
    ]
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in scenarios}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_input(folder / "input.jsonl", args.samples)
        for _ in range(args.repeat):
            for name, server_args, _ in scenarios:
                runs[name].append(scenario(name, server_args, args, folder))
    print(
        f"{args.samples} samples, concurrency {args.concurrency}, latency {args.latency * 1000:.0f} ms "
        f"+/-{args.jitter:.0%}; {event_loop_name()} client loop; back-off base {args.backoff_base:g} s; median of {args.repeat} run(s) per scenario"
    )
    header = (
        f"{'scenario':<16} {'wall s':>6} {'req':>5} {'req/s':>6} {'ideal s':>7} {'eff':>5} {'eff/goal':>8} {'bound':>5} "
        f"{'CPU ms/req':>10} {'1ms/CPU':>7} {'srv ms/req':>10}  outcomes"
    )
    print(header)
    results = []
    for name, _, goal in scenarios:
        r = median_of(runs[name])
        r["efficiency_goal"] = goal
        r["efficiency_ratio"] = r["efficiency"] / goal
        r["cpu_ratio"] = 1.0 / r["cpu_ms_per_request"]
        explicit = r["records"] == r["samples"] == r["unique_ids"] and set(r["outcomes"]) <= {
            "ok",
            "error",
            "parse_failed",
        }
        r["every_sample_recorded"] = explicit
        results.append(r)
        print(
            f"{name:<16} {r['wall_s']:6.2f} {r['requests']:5d} {r['requests_per_s']:6.0f} {r['ideal_s']:7.2f} "
            f"{r['efficiency']:5.2f} {r['efficiency_ratio']:8.2f} {r['zero_cost_bound']:5.2f} {r['cpu_ms_per_request']:10.3f} "
            f"{r['cpu_ratio']:7.2f} {r['server_cpu_ms_per_request']:10.3f}  {r['outcomes']} "
            f"(every sample recorded once: {explicit}; server {r['server_status']})"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"medians": results, "runs": runs}, indent=2) + "\n", encoding="utf-8"
        )


GOAL_CLEAN = 0.9
GOAL_FAULTS = 0.7
_MEDIAN_KEYS = (
    "wall_s",
    "requests_per_s",
    "samples_per_s",
    "ideal_s",
    "efficiency",
    "client_cpu_s",
    "cpu_ms_per_request",
    "server_cpu_s",
    "server_cpu_ms_per_request",
)


def median_of(runs: list[dict]) -> dict:
    """The last run's counts with every timing figure replaced by its median over ``runs``."""
    merged = dict(runs[-1])
    for key in _MEDIAN_KEYS:
        merged[key] = statistics.median(r[key] for r in runs)
    merged["requests"] = int(statistics.median(r["requests"] for r in runs))
    merged["runs"] = len(runs)
    return merged


if __name__ == "__main__":
    main()
