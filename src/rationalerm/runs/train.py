"""``rationalerm train --config FILE``: GRPO training of a GenRM with TRL and the rationalerm reward.

Defaults are the paper's (method.md section 6): learning rate 2e-6, 256 prompts per generation batch, mini-batch
128, 8 rollouts per prompt, 8K prompt / 12K completion tokens, clip ratio 2e-4 on both sides, 2 epochs. The 2e-4
clip fits sequence-level importance ratios (GSPO-style), so ``importance_sampling_level`` defaults to ``sequence``;
the KL weight was not published and defaults to TRL's 0. Prompt batches map onto TRL's completion-counted sizes:

    gradient_accumulation_steps = mini_batch_size * num_generations / (per_device_train_batch_size * world_size)
    steps_per_generation        = batch_size      * num_generations / (per_device_train_batch_size * world_size)

A :class:`RationaleCurveCallback` writes the outcome and rationale reward per logging step to
``rationale_curves.jsonl`` and plots both (``rationale_curves.png``, the paper's Figure 3 view): with the
outcome-only reward the rationale curve is what degenerates. The reward computes the rationale score for every run
(``match_all``) for that reason, which needs a matcher even for ``outcome``.

``model: tiny`` builds a two-layer Llama from a config with a byte-level BPE tokenizer trained on the data, no
downloads: the CPU smoke run. A real model path (and a GPU) does the real run with the same command.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from ..integrations import ScorerSpec

TRAIN_HINT = 'training needs the "train" extra: pip install "rationalerm[train]" (trl, transformers, datasets, accelerate)'
CURVES_JSONL = "rationale_curves.jsonl"
CURVES_PNG = "rationale_curves.png"
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<eos>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


# The TrainConfig fields that trl.GRPOConfig takes as they are, under the same name.
GRPO_FIELDS = (
    "learning_rate",
    "per_device_train_batch_size",
    "num_generations",
    "max_completion_length",
    "importance_sampling_level",
    "beta",
    "num_train_epochs",
    "max_steps",
    "temperature",
    "logging_steps",
    "save_steps",
    "seed",
    "use_cpu",
)


@dataclass(slots=True)
class TrainConfig:
    """A training run. ``reward`` holds :class:`~rationalerm.integrations.ScorerSpec` fields (``kind``,
    ``matcher``, ``judge_model``, ``base_url`` ...); ``tiny`` the tiny model's sizes."""

    data: str
    model: str = "tiny"
    output_dir: str = "runs/grpo"
    reward: dict[str, Any] = field(default_factory=lambda: {"kind": "hybrid", "matcher": "local"})
    learning_rate: float = 2e-6
    batch_size: int = 256
    mini_batch_size: int = 128
    num_generations: int = 8
    per_device_train_batch_size: int = 8
    max_prompt_length: int = 8192
    max_completion_length: int = 12288
    clip_epsilon: float = 2e-4
    importance_sampling_level: str = "sequence"
    beta: float = 0.0
    num_train_epochs: float = 2.0
    max_steps: int = -1
    temperature: float = 1.0
    logging_steps: int = 1
    save_steps: int = 50
    seed: int = 42
    use_cpu: bool = False
    bf16: bool | None = None
    prompt_max_reasons: int | None = None
    tiny: dict[str, int] = field(
        default_factory=lambda: {
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "vocab_size": 512,
        }
    )
    trl_args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TrainConfig:
        """From YAML (``.yaml``/``.yml``) or JSON; unknown keys are an error naming them. Relative ``data`` and
        ``output_dir`` are read relative to the config file."""
        source = Path(path)
        text = source.read_text(encoding="utf-8")
        if source.suffix in (".yaml", ".yml"):
            import yaml

            values = yaml.safe_load(text) or {}
        else:
            values = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown training settings: {', '.join(unknown)}")
        if "data" not in values:
            raise ConfigError("the config needs 'data' (a HelpSteer3-Atomic file)")
        for key in ("data", "output_dir"):
            if key in values and not Path(values[key]).is_absolute():
                values[key] = str((source.parent / values[key]).resolve())
        return cls(**values)

    def scorer_spec(self) -> ScorerSpec:
        return ScorerSpec.from_kwargs({**self.reward, "match_all": True})

    def batch_layout(self, world_size: int = 1) -> tuple[int, int]:
        """(gradient_accumulation_steps, steps_per_generation) for this config (see the module docstring)."""
        per_step = self.per_device_train_batch_size * world_size
        for name, prompts in (("mini_batch_size", self.mini_batch_size), ("batch_size", self.batch_size)):
            if (prompts * self.num_generations) % per_step:
                raise ConfigError(
                    f"{name} x num_generations ({prompts * self.num_generations}) must be a multiple of "
                    f"per_device_train_batch_size x world size ({per_step})"
                )
        if self.batch_size % self.mini_batch_size:
            raise ConfigError("batch_size must be a multiple of mini_batch_size")
        return (
            self.mini_batch_size * self.num_generations // per_step,
            self.batch_size * self.num_generations // per_step,
        )


def _require_trl() -> Any:
    try:
        import trl
    except ImportError as exc:
        raise ImportError(TRAIN_HINT) from exc
    return trl


def tiny_model(texts: list[str], sizes: dict[str, int], seed: int) -> tuple[Any, Any]:
    """A tiny Llama and a byte-level BPE tokenizer trained on ``texts``: nothing is downloaded."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(seed)
    specials = ["<pad>", "<eos>", "<|user|>", "<|assistant|>", "<|system|>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=sizes.get("vocab_size", 512),
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<eos>")
    fast.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=sizes.get("hidden_size", 64),
        intermediate_size=sizes.get("intermediate_size", 128),
        num_hidden_layers=sizes.get("num_hidden_layers", 2),
        num_attention_heads=sizes.get("num_attention_heads", 4),
        num_key_value_heads=sizes.get("num_attention_heads", 4),
        max_position_embeddings=sizes.get("max_position_embeddings", 8192),
        pad_token_id=fast.pad_token_id,
        eos_token_id=fast.eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(config), fast


def _callback_class() -> type:
    from transformers import TrainerCallback

    class RationaleCurveCallback(TrainerCallback):
        """Per logging step: the outcome and rationale reward to JSONL; at the end, both curves in one plot."""

        def __init__(self, output_dir: str | os.PathLike[str]):
            self.path = Path(output_dir) / CURVES_JSONL
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("", encoding="utf-8")

        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any
        ) -> None:
            if not logs or "rationalerm/outcome" not in logs:
                return
            row = {"step": state.global_step, "epoch": logs.get("epoch")}
            for key, value in logs.items():
                if key.startswith("rationalerm/"):
                    row[key.split("/", 1)[1]] = value
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            plot_curves(self.path, self.path.with_name(CURVES_PNG))

    return RationaleCurveCallback


def plot_curves(jsonl: Path, png: Path) -> Path | None:
    """Outcome reward and rationale reward (AP) against the step: rationale degeneration shows as the second curve
    falling while the first holds."""
    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(steps, [r.get("outcome", 0.0) for r in rows], marker="o", label="outcome reward")
    ax.plot(steps, [r.get("ap", 0.0) for r in rows], marker="s", label="rationale reward (AP)")
    ax.set_xlabel("step")
    ax.set_ylabel("mean reward")
    ax.set_ylim(-0.02, 1.02)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return png


@dataclass(slots=True)
class TrainResult:
    output_dir: Path
    final_model: Path
    curves: Path
    plot: Path | None
    steps: int
    log_history: list[dict[str, Any]]


def train(config: TrainConfig) -> TrainResult:
    """Run GRPO as configured; returns where the model, curves and plot went."""
    trl = _require_trl()
    from datasets import Dataset

    from ..integrations.trl import TRLReward
    from .prepare_rl import iter_records

    output = Path(config.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    records = list(iter_records(config.data, "trl", max_reasons=config.prompt_max_reasons))
    if not records:
        raise InputError(f"no usable row in {config.data}")
    if config.model == "tiny":
        texts = [m["content"] for r in records for m in r["prompt"]]
        model, tokenizer = tiny_model(texts, config.tiny, config.seed)
    else:
        from transformers import AutoTokenizer

        model, tokenizer = config.model, AutoTokenizer.from_pretrained(config.model)
    lengths = [
        len(tokenizer.apply_chat_template(r["prompt"], tokenize=True, add_generation_prompt=True))
        for r in records
    ]
    kept = [r for r, n in zip(records, lengths, strict=True) if n <= config.max_prompt_length]
    if not kept:
        raise ConfigError(f"every prompt is longer than max_prompt_length={config.max_prompt_length}")
    dataset = Dataset.from_list(kept)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    accumulation, per_generation = config.batch_layout(world)
    args = trl.GRPOConfig(
        output_dir=str(output),
        gradient_accumulation_steps=accumulation,
        steps_per_generation=per_generation,
        epsilon=config.clip_epsilon,
        epsilon_high=config.clip_epsilon,
        bf16=config.bf16 if config.bf16 is not None else (not config.use_cpu),
        report_to=[],
        **{name: getattr(config, name) for name in GRPO_FIELDS},
        **config.trl_args,
    )
    reward = TRLReward(config.scorer_spec())
    trainer = trl.GRPOTrainer(
        model=model,
        reward_funcs=[reward],
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[_callback_class()(output)],
    )
    trainer.train()
    final = output / "final"
    trainer.save_model(str(final))
    tokenizer.save_pretrained(str(final))
    curves = output / CURVES_JSONL
    plot = output / CURVES_PNG
    return TrainResult(
        output,
        final,
        curves,
        plot if plot.exists() else None,
        trainer.state.global_step,
        list(trainer.state.log_history),
    )


__all__ = [
    "CURVES_JSONL",
    "CURVES_PNG",
    "TRAIN_HINT",
    "TrainConfig",
    "TrainResult",
    "plot_curves",
    "tiny_model",
    "train",
]
