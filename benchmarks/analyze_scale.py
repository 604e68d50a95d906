"""Analyze at scale, side by side with the released script: one 100,000-row judged file, whole processes.

Goal (issue 15): ``rationalerm analyze`` at least 1.5x faster than the released ``metajudge_analysis.py``, whole
process (start-up and imports included), same file, same figures. The file, in the released inference output
layout, is built once in the temporary folder and reused (or given with ``--file``). Each command runs on it several
times, interleaved with the others, each run its own process:

* anchor: ``python ../shared/anchors/metajudge_analysis.py --input-file F --model-be-evaluated bench-model``
* rationalerm: ``rationalerm analyze F --mode reference`` (the mode that reproduces the released script's
  numbers; paper mode scores differently by design): the table, which shows no intervals, so none are computed;
* with CIs, for reference: the same with ``--by-domain`` (1,000 bootstrap resamples, the per-domain table).

All must print the same precision, recall, F1 and AP to the printed 4 decimals, or the benchmark fails. Printed:
min and median wall seconds, median CPU seconds (user + system, threads included), each command's start-up (the
same command on a one-row file: interpreter, imports, argument parsing) and the ratios anchor/rationalerm. Skipped
with a message when the anchors (``../shared/anchors``) are absent.

Run: ``make bench`` or ``.venv/bin/python benchmarks/analyze_scale.py [--samples N] [--repeats N] [--file F]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1.5  # anchor seconds / rationalerm seconds
MODEL = "bench-model"
ANCHOR = Path(__file__).resolve().parents[1].parent / "shared" / "anchors" / "metajudge_analysis.py"


def build(path: Path, samples: int, seed: int = 0) -> None:
    """``samples`` judged rows in the released inference output layout (answers, checklists, labels, domains)."""
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
                f"{MODEL}-checklist": model,
                f"{MODEL}-label": rnd.choice(["A>B", "B>A", "A>>B"]),
            }
            row = {
                "prompt": "...",
                "samples": [{"generated_text": text}],
                "status": "success",
                "metadata": metadata,
            }
            handle.write(json.dumps(row) + "\n")


def rationalerm_command() -> list[str]:
    """The ``rationalerm`` entry point of the running interpreter's environment (``python -m`` without one)."""
    script = Path(sys.executable).with_name("rationalerm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rationalerm"]


def run(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system, the process and its threads) and stdout of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stdout


_NUMBER = r"(\d+\.\d{4})"


def figures(stdout: str) -> tuple[str, ...]:
    """Precision, recall, F1 and AP as printed (4 decimals) on the model's row of either table."""
    for line in stdout.splitlines():
        if MODEL in line:
            found = re.findall(_NUMBER, line)
            if len(found) >= 4:
                return tuple(found[:4])
    raise SystemExit(f"no result row for {MODEL} in:\n{stdout}")


def on_file(command: list[str], path: Path, other: Path) -> list[str]:
    """``command`` with ``other`` in place of ``path``."""
    return [str(other) if part == str(path) else part for part in command]


def judged_file(path: Path | None, samples: int) -> Path:
    """``path``, or a file of ``samples`` rows in the temporary folder, reused between runs; built when missing."""
    path = path or Path(tempfile.gettempdir()) / f"rationalerm-analyze-scale-{samples}.jsonl"
    if not path.exists():
        start = time.perf_counter()
        partial = path.with_name(path.name + ".partial")
        build(partial, samples)
        partial.replace(path)
        size = path.stat().st_size / 1e6
        print(f"built {path} ({samples:,} rows, {size:.1f} MB) in {time.perf_counter() - start:.1f} s")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--samples", type=int, default=100_000, help="rows of the file built (default 100,000)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--file", type=Path, help="judged file to use (built first when it does not exist)")
    args = parser.parse_args()
    if not ANCHOR.is_file():
        print(f"skipped: the released script is not at {ANCHOR} (the ../shared anchors are absent)")
        return
    path = judged_file(args.file, args.samples)
    with open(path, "rb") as handle:
        rows = sum(1 for _ in handle)
    commands = {
        "anchor": [sys.executable, str(ANCHOR), "--input-file", str(path), "--model-be-evaluated", MODEL],
        "rationalerm": [*rationalerm_command(), "analyze", str(path), "--mode", "reference"],
        # For reference only: the same with the per-domain table, whose recall intervals take the bootstrap.
        "with CIs": [*rationalerm_command(), "analyze", str(path), "--mode", "reference", "--by-domain"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        one_row = Path(tmp) / "one_row.jsonl"
        with open(path, "rb") as source:
            one_row.write_bytes(source.readline())
        # Warm the compiled bytecode and the file cache before timing.
        run(on_file(commands["rationalerm"], path, one_row))
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        printed: dict[str, tuple[str, ...]] = {}
        for _ in range(args.repeats):
            for name, command in commands.items():  # interleaved: all see the same machine load
                wall, cpu, stdout = run(command)
                times[name].append((wall, cpu))
                printed[name] = figures(stdout)
        # Start-up: the same command on a one-row file (interpreter, imports, argument parsing, a trivial run).
        startup = {
            name: min(run(on_file(command, path, one_row))[0] for _ in range(3))
            for name, command in commands.items()
        }
    for name, values in printed.items():
        if values != printed["anchor"]:
            raise SystemExit(f"different figures (P, R, F1, AP): anchor {printed['anchor']}, {name} {values}")
    print(f"{rows:,} rows, {args.repeats} runs each; all print P/R/F1/AP = {', '.join(printed['anchor'])}")
    walls = {name: [wall for wall, _ in runs] for name, runs in times.items()}
    for name, runs in times.items():
        print(
            f"{name:>11}: wall min {min(walls[name]):5.2f} s  median {statistics.median(walls[name]):5.2f} s  "
            f"cpu median {statistics.median(cpu for _, cpu in runs):5.2f} s  start-up {startup[name]:4.2f} s"
        )
    for name in ("rationalerm", "with CIs"):
        best = min(walls["anchor"]) / min(walls[name])
        typical = statistics.median(walls["anchor"]) / statistics.median(walls[name])
        verdict = (
            f"goal {GOAL}x {'met' if best >= GOAL else 'NOT met'}" if name == "rationalerm" else "(reference)"
        )
        print(f"anchor/{name}: {best:.2f}x (min), {typical:.2f}x (median)  {verdict}")


if __name__ == "__main__":
    main()
