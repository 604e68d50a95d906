"""``rationalerm decompose``: free-text human rationales into an atomic ``human-checklist``.

A thin wrapper over :func:`rationalerm.runs.decompose.decompose_async`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .jobs import FileJob, print_run_summary
from .options import Judge, default_output, require_file, with_options

JUDGE = Judge(timeout=300.0, temperature=0.2, max_tokens=4096)


@app.command()
@with_options(job=FileJob.shown(JUDGE, "The decomposer's model name on the server."))
def decompose(
    input_path: Annotated[
        Path, typer.Argument(help="Rows with a free-text rationale, e.g. HelpSteer3 preference rows.")
    ],
    text_field: Annotated[
        list[str] | None,
        typer.Option(
            "--text-field",
            help="Field holding rationale text; repeatable; paths like 'individual_preference[].reasoning' "
            "(the default).",
        ),
    ] = None,
    min_items: Annotated[int, typer.Option("--min-items", help="Fewer claims marks the row too_few.")] = 3,
    max_items: Annotated[int, typer.Option("--max-items", help="More claims marks the row too_many.")] = 7,
    *,
    job: FileJob,
) -> None:
    """Decompose human rationales into atomic checklists (rows outside the item range are kept and marked)."""
    from ..runs.decompose import DEFAULT_TEXT_FIELDS, DecomposeSettings, decompose_async

    require_file(input_path)
    fields = tuple(text_field or DEFAULT_TEXT_FIELDS)
    settings = DecomposeSettings(
        text_fields=fields, min_items=min_items, max_items=max_items, **job.judge.sampling()
    )
    target = job.target(default_output(input_path, "decomposed"))
    summary = job.run(decompose_async, input_path, target, label="decomposing", settings=settings)
    print_run_summary(summary, f"Decomposition by {job.judge.judge_model} (items {min_items}-{max_items})")
