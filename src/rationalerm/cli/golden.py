"""``rationalerm golden``: golden judgments (R-Align's o*) for the MetaRM of ``rationalerm metarm``.

A thin wrapper over :func:`rationalerm.runs.metarm.golden_async`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .jobs import FileJob, print_run_summary
from .options import Judge, default_output, require_file, with_options

GoldenFieldOpt = Annotated[str, typer.Option("--golden-field", help="Field holding the golden judgment.")]
# R-Align's sampling for the golden writer and the MetaRM
RALIGN_JUDGE = Judge(timeout=300.0, temperature=0.4)


@app.command()
@with_options(job=FileJob.shown(RALIGN_JUDGE, "The strong model that writes golden judgments."))
def golden(
    input_path: Annotated[
        Path, typer.Argument(help="Pairs with a gold label (gt_label, label or overall_preference).")
    ],
    golden_field: GoldenFieldOpt = "gt_judgment",
    *,
    job: FileJob,
) -> None:
    """Write golden judgments (R-Align's o*): a strong model explains why the gold answer is better."""
    from ..runs.metarm import RAlignSettings, golden_async

    require_file(input_path)
    target = job.target(default_output(input_path, "golden"))
    settings = RAlignSettings(**job.judge.sampling())
    summary = job.run(
        golden_async, input_path, target, label="golden", settings=settings, golden_field=golden_field
    )
    print_run_summary(summary, f"Golden judgments by {job.judge.judge_model}")
