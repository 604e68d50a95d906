"""``rationalerm metarm``: the R-Align MetaRM on a GenRM's label-correct items (L-Acc, S-Corr, F-Score).

A thin wrapper over :func:`rationalerm.runs.metarm.metarm_async` and :func:`rationalerm.stats.ralign.ralign_report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .app import app
from .console import console
from .golden import RALIGN_JUDGE, GoldenFieldOpt
from .jobs import FileJob, print_run_summary
from .options import default_output, require_file, with_options


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def print_ralign_tables(reports: Sequence[Any]) -> None:
    """One row per model, then one per (model, domain): L-Acc, S-Corr, F-Score (percent) and their counts."""
    for title, rows in (
        ("R-Align metrics", [(r.model, None, r.overall) for r in reports]),
        ("R-Align metrics by domain", [(r.model, d, s) for r in reports for d, s in r.by_domain.items()]),
    ):
        table = Table(title=title)
        table.add_column("model")
        if "domain" in title:
            table.add_column("domain")
        for name in ("N", "L-Acc", "S-Corr", "F-Score", "label ok", "Correct", "Incorrect", "MetaRM failed"):
            table.add_column(name, justify="right")
        for model, domain, s in rows:
            cells = [model] + ([domain] if "domain" in title else [])
            cells += [str(s.n), _pct(s.l_acc), _pct(s.s_corr), _pct(s.f_score)]
            cells += [str(s.label_correct), str(s.correct), str(s.incorrect), str(s.failures)]
            table.add_row(*cells)
        console.print(table)


@app.command()
@with_options(job=FileJob.shown(RALIGN_JUDGE, "The MetaRM's model name on the server."))
def metarm(
    input_path: Annotated[
        Path, typer.Argument(help="A 'rationalerm generate' output with golden judgments.")
    ],
    model_name: Annotated[
        str, typer.Option("--model-name", help="The GenRM whose '<NAME>-label' is judged.")
    ],
    golden_field: GoldenFieldOpt = "gt_judgment",
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Metrics JSON (default: <output>.ralign.json).")
    ] = None,
    *,
    job: FileJob,
) -> None:
    """R-Align MetaRM on label-correct items; prints and saves L-Acc, S-Corr and F-Score per model and domain."""
    from ..io import read_jsonl, write_json
    from ..runs.metarm import RAlignSettings, metarm_async
    from ..stats.ralign import models_in_rows, ralign_report

    require_file(input_path)
    target = job.target(default_output(input_path, f"{model_name}.metarm"))
    settings = RAlignSettings(**job.judge.sampling())
    summary = job.run(
        metarm_async, input_path, target, label="metarm", model_name=model_name, settings=settings,
        golden_field=golden_field,
    )  # fmt: skip
    print_run_summary(summary, f"MetaRM {job.judge.judge_model} on {model_name}")
    rows, _ = read_jsonl(target)
    reports = [ralign_report(rows, name) for name in models_in_rows(rows)]
    print_ralign_tables(reports)
    metrics_path = json_path or target.with_name(f"{target.stem}.ralign.json")
    write_json(
        metrics_path, {"metarm_model": job.judge.judge_model, "models": [r.as_dict() for r in reports]}
    )
    console.print(f"wrote {metrics_path}", highlight=False, soft_wrap=True)
