"""Analyze throughput: build a 100,000-sample judged file and analyze it in both modes.

Goal (issue 2): at least 20,000 samples/s on a 2-core machine. Prints samples/s and the ratio to the goal.
Run: `make bench` or `.venv/bin/python benchmarks/analyze_scale.py [--samples N]`.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from rationalerm.workflows.analyze import analyze

GOAL = 20_000.0  # samples per second


def build(path: Path, samples: int, seed: int = 0) -> None:
    rnd = random.Random(seed)
    domains = ["general", "code", "stem", "multilingual"]
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(samples):
            n = rnd.choice([3, 4, 4, 4, 5, 5, 6, 7])
            m = rnd.choice([3, 4, 5, 5, 5, 6, 8])
            human = [
                f"Response {rnd.choice([1, 2])} has problem {i}-{k} in step {rnd.randint(1, 9)}"
                for k in range(n)
            ]
            model = [
                f"Response {rnd.choice('AB')} reason {i}-{k}, detail {rnd.random():.4f}" for k in range(m)
            ]
            lines = []
            for r in range(1, n + 1):
                s = rnd.randint(0, m)
                score = rnd.choice(["0", "0.25", "0.5", "0.75", "1.0"]) if s else "0"
                lines.append(f"- R{r}@S{s}: {score}")
            text = (
                "Comparing each reference item with the original list...\n<RESULT_START>\n"
                "Scores corresponding to claims:\n" + "\n".join(lines) + "\n<RESULT_END>"
            )
            metadata = {
                "id": f"s{i}",
                "domain": rnd.choice(domains),
                "label": rnd.choice([1, 2]),
                "human-checklist": human,
                "bench-model-checklist": model,
                "bench-model-label": rnd.choice(["A>B", "B>A", "A>>B"]),
            }
            handle.write(
                json.dumps(
                    {
                        "prompt": "...",
                        "samples": [{"generated_text": text}],
                        "status": "success",
                        "metadata": metadata,
                    }
                )
                + "\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "judged.jsonl"
        start = time.perf_counter()
        build(path, args.samples)
        print(
            f"built {args.samples:,} samples ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s"
        )
        for mode in ("paper", "reference"):
            start = time.perf_counter()
            report = analyze([path], mode=mode, n_resamples=args.bootstrap)
            elapsed = time.perf_counter() - start
            result = report.results[0]
            rate = args.samples / elapsed
            print(
                f"{mode:>9}: {elapsed:6.2f} s  {rate:10,.0f} samples/s  ratio to goal {rate / GOAL:5.2f}x  "
                f"(valid {result.valid:,}, recall {result.recall:.4f}, bootstrap {args.bootstrap})"
            )


if __name__ == "__main__":
    main()
