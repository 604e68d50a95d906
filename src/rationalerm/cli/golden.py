"""``rationalerm golden``: golden judgments (R-Align's o*) for the MetaRM of ``rationalerm metarm``.

A thin wrapper over :func:`rationalerm.runs.metarm.golden_async`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .jobs import print_run_summary, run_file_job
from .options import InputPolicy, Judge, Resume, default_output, require_file, shown, with_options

GoldenFieldOpt = Annotated[str, typer.Option("--golden-field", help="Field holding the golden judgment.")]
# R-Align's sampling for the golden writer and the MetaRM
RALIGN_JUDGE = Judge(timeout=300.0, temperature=0.4)


@app.command()
@with_options(
    judge=shown(RALIGN_JUDGE, help={"judge_model": "The strong model that writes golden judgments."}),
    resume=Resume(),
    inputs=InputPolicy(),
)
def golden(
    input_path: Annotated[
        Path, typer.Argument(help="Pairs with a gold label (gt_label, label or overall_preference).")
    ],
    golden_field: GoldenFieldOpt = "gt_judgment",
    *,
    judge: Judge,
    resume: Resume,
    inputs: InputPolicy,
) -> None:
    """Write golden judgments (R-Align's o*): a strong model explains why the gold answer is better."""
    from ..runs.metarm import RAlignSettings, golden_async

    require_file(input_path)
    target = resume.target(default_output(input_path, "golden"))
    summary = run_file_job(
        golden_async, input_path, target, label="golden", judge=judge, resume=resume, inputs=inputs,
        settings=RAlignSettings(**judge.sampling()), golden_field=golden_field,
    )  # fmt: skip
    print_run_summary(summary, f"Golden judgments by {judge.judge_model}")
