"""TRL's ``GRPOTrainer`` for 2 steps on CPU with the rationalerm reward in both forms TRL takes: the callable object
(:class:`~rationalerm.integrations.trl.TRLReward`) and the plain async function
(``functools.partial(rationalerm_reward, spec=...)``, here with an LLM matcher talking to the scripted judge over
loopback HTTP from TRL's own event loop). A tiny Llama and a tokenizer trained on the data are built on the fly:
nothing is downloaded. Skips where TRL (the ``train`` extra) is not installed.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

trl = pytest.importorskip(
    "trl", reason="the train extra (trl) is not installed: pip install 'rationalerm[train]'"
)

from judge_server import JudgeServer  # noqa: E402
from rationalerm.integrations import ScorerSpec  # noqa: E402
from rationalerm.integrations.trl import TRLReward, rationalerm_reward  # noqa: E402
from reward_helpers import metajudge_script  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "helpsteer3_atomic_demo.jsonl"


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_grpo_trainer_two_steps_with_both_reward_forms(
    tmp_path: Path, judge_server: JudgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasets import Dataset

    from rationalerm.runs.prepare_rl import iter_records
    from rationalerm.runs.train import tiny_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    judge_server.script = metajudge_script(gullible=False)
    records = list(iter_records(DEMO, "trl"))[:4]
    model, tokenizer = tiny_model(
        [m["content"] for r in records for m in r["prompt"]],
        {
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "vocab_size": 384,
        },
        seed=0,
    )
    seen: list[Any] = []
    as_object = TRLReward(ScorerSpec(kind="outcome"), on_results=seen.extend)
    as_function = functools.partial(
        rationalerm_reward,
        spec=ScorerSpec(kind="hybrid", matcher="llm", judge_model="judge", base_urls=(judge_server.url,)),
    )
    args = trl.GRPOConfig(
        output_dir=str(tmp_path / "run"),
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=8,
        max_steps=2,
        logging_steps=1,
        save_strategy="no",
        use_cpu=True,
        bf16=False,
        report_to=[],
        seed=0,
    )
    trainer = trl.GRPOTrainer(
        model=model,
        reward_funcs=[as_object, as_function],
        args=args,
        train_dataset=Dataset.from_list(records),
        processing_class=tokenizer,
    )
    trainer.train()
    logged = [row for row in trainer.state.log_history if "loss" in row]
    assert trainer.state.global_step == 2 and len(logged) == 2
    for row in logged:
        # TRL names each reward by its __name__: the object's kind, the partial's function.
        assert {"rewards/outcome_reward/mean", "rewards/rationalerm_reward/mean"} <= set(row)
        assert 0.0 <= row["rewards/rationalerm_reward/mean"] <= 1.0
        assert "rationalerm/parsed" in row and "rationalerm/outcome" in row  # through TRL's log_metric
    # Every completion (2 steps x 2) was scored; the untrained model writes no verdict, so each is a parse failure
    # (reward 0, still valid: the policy's fault, not the judge's).
    assert len(seen) == 2 * 2 and all(r.kind == "outcome" and r.valid and not r.parsed for r in seen)
