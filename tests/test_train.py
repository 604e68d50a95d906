"""``rationalerm train``: a CPU smoke run of GRPO with TRL on a tiny model built from a config (tokenizer trained
locally, nothing downloaded) with the real reward code; asserts the curves, the plot and the checkpoint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


def test_batch_layout_maps_the_paper_sizes() -> None:
    from rationalerm.runs.train import TrainConfig

    config = TrainConfig(data="x")
    # 128 prompts x 8 rollouts per optimizer step, 256 x 8 per generation, on 8 GPUs x 8 completions each.
    assert config.batch_layout(world_size=8) == (16, 32)
    assert (config.learning_rate, config.clip_epsilon, config.num_generations) == (2e-6, 2e-4, 8)
    assert (config.max_prompt_length, config.max_completion_length, config.num_train_epochs) == (
        8192,
        12288,
        2.0,
    )
    with pytest.raises(ValueError, match="multiple"):
        TrainConfig(data="x", per_device_train_batch_size=3).batch_layout()


def test_config_rejects_unknown_keys(tmp_path: Path) -> None:
    from rationalerm.runs.train import TrainConfig

    path = tmp_path / "c.yaml"
    path.write_text("data: d.jsonl\nlearning_rat: 1\n")
    with pytest.raises(ValueError, match="learning_rat"):
        TrainConfig.load(path)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_tiny_grpo_run_on_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("trl", reason="the train extra (trl) is not installed")
    from rationalerm.cli import app

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    shutil.copy(ROOT / "examples" / "helpsteer3_atomic_demo.jsonl", tmp_path / "helpsteer3_atomic_demo.jsonl")
    config = (ROOT / "examples" / "train_tiny.yaml").read_text().replace("../runs/train_tiny", "run")
    (tmp_path / "train.yaml").write_text(config)
    result = CliRunner().invoke(app, ["train", "--config", str(tmp_path / "train.yaml")])
    assert result.exit_code == 0, result.output
    run = tmp_path / "run"
    curves = [json.loads(line) for line in (run / "rationale_curves.jsonl").read_text().splitlines()]
    assert [row["step"] for row in curves] == [1, 2]
    for row in curves:
        assert {"outcome", "ap", "reward", "parsed", "valid"} <= set(row)
        assert 0.0 <= row["reward"] <= 1.0 and row["valid"] == 1.0
    assert (run / "rationale_curves.png").stat().st_size > 1000
    assert (run / "final" / "model.safetensors").exists() and (run / "final" / "tokenizer.json").exists()
    assert (run / "checkpoint-2").is_dir()
