"""Throughput of the MetaJudge engine against a scripted judge server (a benchmark, not a test).

The server (``tests/judge_server.py``) runs in its own process, so the client CPU measured here is the client's
alone. Each reply takes a jittered latency (default mean 50 ms, uniform within +/-50%). The run judges N samples
end to end through :func:`rationalerm.workflows.judge.judge_file` (prompt rendering, validation, JSONL output,
final compaction) at a fixed concurrency, once clean and once with 10% HTTP 500s and 10% HTTP 429s injected.

    efficiency = ideal / actual,   ideal = (total latency the server spent on all requests) / concurrency

``ideal`` is the wall time of a perfectly packed schedule of exactly the requests the server saw, so the figure
charges the client for idle slots (back-off gaps, the tail) but not for the retried requests themselves.

    .venv/bin/python benchmarks/judge_throughput.py [--samples 2000] [--concurrency 64] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from rationalerm.llm import JudgePool
from rationalerm.matchers.llm import LLMMatcher
from rationalerm.workflows.judge import judge_file

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

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


async def run_once(url: str, input_path: Path, output: Path, concurrency: int) -> tuple[dict, float, float]:
    async with JudgePool("bench-judge", url, concurrency=concurrency, timeout=30, max_retries=8) as pool:
        matcher = LLMMatcher(pool, temperature=0.6, max_tokens=1024)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        summary = await judge_file(input_path, output, model=MODEL, matcher=matcher, resume=False)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
    return summary.as_dict(), wall, cpu


def scenario(name: str, server_args: list[str], args: argparse.Namespace, folder: Path) -> dict:
    input_path = folder / "input.jsonl"
    server = ServerProcess(
        "--latency", str(args.latency), "--jitter", str(args.jitter), "--seed", str(args.seed), *server_args
    )
    try:
        summary, wall, cpu = asyncio.run(
            run_once(server.url, input_path, folder / f"{name}.jsonl", args.concurrency)
        )
        stats = server.stats()
    finally:
        server.close()
    records = [json.loads(line) for line in open(folder / f"{name}.jsonl", encoding="utf-8")]
    outcomes = Counter(r["rationalerm"]["status"] for r in records)
    ids = [r["rationalerm"]["sample_id"] for r in records]
    ideal = stats["total_delay"] / args.concurrency
    requests = stats["requests"]
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
        "client_cpu_s": cpu,
        "cpu_ms_per_request": 1000 * cpu / requests,
        "retries": summary["pool"]["retries"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="MetaJudge engine throughput against a scripted server.")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05, help="mean server latency per request (s)")
    parser.add_argument("--jitter", type=float, default=0.5, help="latency uniform in mean*(1 +/- jitter)")
    parser.add_argument("--retry-after", default="1", help="Retry-After header of the injected 429s")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_input(folder / "input.jsonl", args.samples)
        results = [
            scenario("clean", [], args, folder),
            scenario(
                "faults", ["--p500", "0.1", "--p429", "0.1", "--retry-after", args.retry_after], args, folder
            ),
        ]
    print(
        f"{args.samples} samples, concurrency {args.concurrency}, latency {args.latency * 1000:.0f} ms "
        f"+/-{args.jitter:.0%}"
    )
    header = f"{'scenario':<8} {'wall s':>7} {'req':>5} {'req/s':>7} {'ideal s':>8} {'eff':>5} {'CPU ms/req':>10}  outcomes"
    print(header)
    for r in results:
        print(
            f"{r['scenario']:<8} {r['wall_s']:7.2f} {r['requests']:5d} {r['requests_per_s']:7.1f} "
            f"{r['ideal_s']:8.2f} {r['efficiency']:5.2f} {r['cpu_ms_per_request']:10.3f}  {r['outcomes']} "
            f"(records {r['records']}, unique ids {r['unique_ids']}, server {r['server_status']})"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
