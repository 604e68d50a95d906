"""``rationalerm report``: one self-contained HTML file from evaluate, MetaRM, bench and tag outputs.

A thin wrapper over :func:`rationalerm.report.build_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from .app import app
from .console import console, err_console, warn
from .options import BootstrapSeedOpt


@app.command()
def report(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="RUN_DIR...",
            help="evaluate output folders, and/or MetaRM / bench JSON files and tag JSONL files (or folders of them).",
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The HTML file; plots are saved beside it as PNG.")
    ] = (Path("report.html")),
    title: Annotated[str, typer.Option("--title", help="The page title.")] = "Rationale report",
    low_consistency: Annotated[
        float,
        typer.Option(
            "--low-consistency", help="'Right for the wrong reasons': correct verdict, consistency <= this."
        ),
    ] = 0.25,
    max_cases: Annotated[int, typer.Option("--max-cases", help="Cases shown per model.")] = 3,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap resamples for the paired tests and tag-rate CIs.")
    ] = 10_000,
    seed: BootstrapSeedOpt = 0,
) -> None:
    """Build an HTML report: accuracy vs consistency, tables, paired tests, evaluator agreement, R-Align, benchmarks,
    rationale tags, and the samples a judge got right for the wrong reasons."""
    from ..report import build_report

    if not 0 <= low_consistency <= 1:
        raise ConfigError("--low-consistency must be between 0 and 1")
    if max_cases < 0 or bootstrap < 0:
        raise ConfigError("--max-cases and --bootstrap must be >= 0")
    with err_console.status("building the report ..."):
        result = build_report(
            paths,
            output,
            title=title,
            threshold=low_consistency,
            max_cases=max_cases,
            n_resamples=bootstrap,
            seed=seed,
        )
    for note in result.notes:
        warn(note, label="note")
    console.print(f"wrote {result.html} and {len(result.images)} plot(s) beside it", highlight=False)
