"""``rationalerm train``: GRPO training of a GenRM with TRL and the hybrid, outcome or ralign reward.

A thin wrapper over :func:`rationalerm.runs.train.train`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .console import console, fail


@app.command(name="train")
def train_command(
    config: Annotated[Path, typer.Option("--config", help="Training config (YAML or JSON).")],
) -> None:
    """GRPO training of a GenRM with TRL and the hybrid, outcome or ralign reward."""
    from ..runs import train as run

    try:
        result = run.train(run.TrainConfig.load(config))
    except FileNotFoundError as exc:
        raise fail(str(exc), 2) from None
    console.print(f"trained {result.steps} steps; model in {result.final_model}", highlight=False)
    console.print(
        f"curves: {result.curves}" + (f", plot: {result.plot}" if result.plot else ""), highlight=False
    )
