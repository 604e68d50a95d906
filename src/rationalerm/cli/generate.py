"""``rationalerm generate``: run a GenRM over preference pairs for its verdicts and ordered reasons.

A thin wrapper over :func:`rationalerm.runs.generate.generate_async`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError, InputError
from .app import app
from .jobs import FileJob, print_run_summary
from .options import GenRMChoice, Judge, SplitOpt, default_output, shown, with_options


@app.command()
@with_options(
    genrm=shown(GenRMChoice(), help={"style": "Prompt style: rationalerm (5-way) or ralign (A or B)."}),
    job=FileJob.shown(Judge(timeout=300.0), "The GenRM's model name on the server."),
)
def generate(
    input_path: Annotated[
        str,
        typer.Argument(
            help="Rows with a context or prompt and two responses (.jsonl/.json/.parquet), a snapshot folder of "
            "Qwen/RationaleRM, or the Hub id Qwen/RationaleRM (its split's file is fetched into the hub cache)."
        ),
    ],
    model_name: Annotated[
        str, typer.Option("--model-name", help="Name for the output keys: '<NAME>-checklist' ...")
    ],
    swap: Annotated[bool, typer.Option("--swap", help="Also judge with the responses swapped.")] = False,
    split: SplitOpt = None,
    *,
    genrm: GenRMChoice,
    job: FileJob,
) -> None:
    """Run a GenRM over preference pairs: verdict, ordered reasons and text per pair; resumable."""
    from ..data.hub import RATIONALERM, local_split_file
    from ..runs.generate import generate_async

    settings = genrm.settings(job.judge)
    source = Path(input_path)
    beside_input = source.is_file()
    if not beside_input:
        try:
            source = local_split_file(input_path, RATIONALERM, split=split).path or source
        except InputError as exc:  # INPUT names no file, folder or split: a usage error, like a missing file
            raise ConfigError(str(exc)) from exc
    # beside a local input file; in the working folder for a snapshot or the hub cache (never written into)
    default = default_output(source, f"{model_name}.genrm")
    target = job.target(default if beside_input else Path(default.name))
    summary = job.run(
        generate_async,
        source,
        target,
        label="generating",
        model_name=model_name,
        settings=settings,
        swap=swap,
    )
    print_run_summary(summary, f"GenRM {model_name} ({job.judge.judge_model}, {genrm.style} style)")
