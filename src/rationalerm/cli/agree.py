"""``rationalerm agree``: how closely two evaluators (or matchers) agree on the same models (Figure 2a).

A thin wrapper over :func:`rationalerm.runs.agree.agree`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import ConfigError
from .app import app
from .console import console, fail, warn

if TYPE_CHECKING:
    from ..runs.agree import AgreementReport


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_agreement(result: AgreementReport) -> None:
    """The per-model pairs, then the agreement statistics per model and per sample."""
    metric = result.metric.replace("_", " ")
    models = Table(
        title=f"{metric}: A = {result.run_a.label()}, B = {result.run_b.label()}", title_justify="left"
    )
    models.add_column("model", overflow="fold", min_width=12)
    for column in ("A", "B", "B - A", "n A", "n B"):
        models.add_column(column, justify="right", no_wrap=True)
    for p in result.models:
        models.add_row(
            p["model"], _fmt(p["a"]), _fmt(p["b"]), f"{p['difference']:+.3f}", str(p["n_a"]), str(p["n_b"])
        )
    console.print(models)
    stats = Table(title="Agreement", title_justify="left")
    stats.add_column("over")
    for column in ("n", "R^2", "slope", "intercept", "RMSE", "Pearson r", "Spearman rho"):
        stats.add_column(column, justify="right", no_wrap=True)
    rows = [("per model", result.per_model), ("per sample, all models", result.per_sample)]
    rows += [(f"per sample, {m}", s) for m, s in result.per_sample_by_model.items()]
    for name, s in rows:
        figures = ((s.r2, 3), (s.slope, 2), (s.intercept, 3), (s.rmse, 3), (s.pearson, 2), (s.spearman, 2))
        stats.add_row(name, str(s.n), *(_fmt(value, digits) for value, digits in figures))
    console.print(stats)
    for note in result.notes:
        warn(note, label="note", err=False)
    if result.only_a or result.only_b:
        console.print(
            f"only in A: {', '.join(result.only_a) or '-'}; only in B: {', '.join(result.only_b) or '-'}",
            highlight=False,
        )


@app.command()
def agree(
    run_a: Annotated[
        Path, typer.Argument(metavar="RUN_A", help="An evaluate output folder (evaluator A, on x).")
    ],
    run_b: Annotated[
        Path, typer.Argument(metavar="RUN_B", help="An evaluate output folder (evaluator B, on y).")
    ],
    metric: Annotated[
        str, typer.Option("--metric", help="rationale_consistency, precision, f1 or average_precision.")
    ] = "rationale_consistency",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the statistics as JSON.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Save the per-model agreement scatter as PNG.")
    ] = None,
) -> None:
    """Agreement of two evaluators on the same models: per-model R^2, slope, RMSE, Spearman of the rankings, and
    the per-sample correlation."""
    from ..io import write_json
    from ..runs import agree as run
    from ..runs.agree import METRICS

    if metric not in METRICS:
        raise ConfigError(f"--metric must be one of {', '.join(METRICS)}, not {metric!r}")
    result = run.agree(run_a, run_b, metric=metric)
    if not result.models:
        raise fail("the two runs have no scored model in common")
    print_agreement(result)
    if output is not None:
        write_json(output, result.as_dict())
        console.print(f"wrote {output}")
    if plot is not None:
        from ..report.plots import agreement_scatter

        agreement_scatter(
            [p["model"] for p in result.models],
            [p["a"] for p in result.models],
            [p["b"] for p in result.models],
            result.per_model,
            plot,
            label_a=result.run_a.label(),
            label_b=result.run_b.label(),
            metric=metric.replace("_", " "),
        )
        console.print(f"wrote {plot}")
