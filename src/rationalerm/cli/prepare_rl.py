"""``rationalerm prepare-rl``: training data (GenRM prompts and reward fields) for verl, TRL or OpenRLHF.

A thin wrapper over :func:`rationalerm.runs.prepare_rl.prepare_rl`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from .app import app
from .console import ProblemPrinter, console, fail
from .options import LabelsFromOpt, SplitOpt


@app.command(name="prepare-rl")
def prepare_rl_command(
    input_path: Annotated[
        str,
        typer.Argument(
            help="HelpSteer3-Atomic rows: a .jsonl/.json/.parquet file, a snapshot folder of Qwen/RationaleRM, or "
            "the Hub id Qwen/RationaleRM (the hub cache when HF_HUB_OFFLINE=1)."
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output file (.parquet for verl; .jsonl or .parquet).")
    ],
    fmt: Annotated[str, typer.Option("--format", help="verl, trl or openrlhf.")] = "verl",
    style: Annotated[
        str, typer.Option("--style", help="GenRM prompt style: rationalerm or ralign.")
    ] = "rationalerm",
    max_reasons: Annotated[
        int,
        typer.Option(
            "--max-reasons", help="Reasons the prompt asks for (0 = every reason, as in the paper)."
        ),
    ] = 0,
    golden_field: Annotated[
        str, typer.Option("--golden-field", help="Field with golden judgments (ralign).")
    ] = "gt_judgment",
    split: SplitOpt = "full",
    labels_from: LabelsFromOpt = "auto",
) -> None:
    """Write the GenRM prompts and reward fields each RL framework reads."""
    from ..runs import prepare_rl as run
    from ..runs.prepare_rl import RL_FORMATS

    if fmt not in RL_FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(RL_FORMATS)}, not {fmt!r}")
    printer = ProblemPrinter()
    summary = run.prepare_rl(
        input_path,
        output,
        fmt,
        style=style,
        max_reasons=max_reasons or None,  # type: ignore[arg-type]
        golden_field=golden_field,
        on_problem=printer,
        split=split,
        labels_from=labels_from,
    )
    printer.finish()
    if summary.labels is not None:
        console.print(summary.labels.summary_line(), highlight=False, markup=False)
    if summary.written == 0:
        raise fail("no row could be prepared")
    console.print(
        f"wrote {summary.written} rows to {summary.output} ({summary.skipped} skipped)", highlight=False
    )
