"""The GRPO rollouts the reward benchmarks score (reward_throughput.py and reward_trainers.py share them).

``workload(prompts, rollouts, unique)``: ``prompts`` GRPO prompts x ``rollouts`` completions built from the demo rows.
Each prompt gets its own human checklist and reason pool (a per-prompt tag keeps its strings distinct from every
other prompt's); each rollout writes 4-5 reasons drawn from its prompt's pool, in random order, with the correct
verdict. ``unique`` makes every reason string distinct. ``SERVER`` is the scripted loopback judge both use.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from rationalerm.reward import RewardSample
from rationalerm.reward.adversarial import VERDICT_BOX, render_completion

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "judge_server.py"
DEMO = ROOT / "examples" / "helpsteer3_atomic_demo.jsonl"
JUDGES = ("judge-grounded", "judge-mixed", "judge-surface")


def workload(
    prompts: int, rollouts: int, unique: bool, seed: int = 0
) -> tuple[list[str], list[RewardSample]]:
    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(seed)
    completions, samples = [], []
    for p in range(prompts):
        row = rows[p % len(rows)]
        tag = f" [case {p}]"
        sample = RewardSample.from_row({**row, "human-checklist": [h + tag for h in row["human-checklist"]]})
        pool = [r + tag for judge in JUDGES for r in row[f"{judge}-checklist"]]
        for k in range(rollouts):
            reasons = rng.sample(pool, rng.randint(4, 5))
            if unique:
                reasons = [f"{r} (rollout {k})" for r in reasons]
            completions.append(
                render_completion(reasons, VERDICT_BOX[sample.human_label], preamble=f"Rollout {k}.")
            )
            samples.append(sample)
    return completions, samples
