"""``rationalerm evaluate``: rationale consistency beside outcome accuracy, one table, one report folder.

A thin wrapper over :func:`rationalerm.runs.evaluate.evaluate`. New options go in the signature (or a group of
:mod:`rationalerm.cli.options`) and straight on to that function.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ..errors import ConfigError
from .app import app
from .console import ProblemPrinter, console, fail, progress_bar, say
from .options import (
    BootstrapOpt,
    InputPolicy,
    Judge,
    LabelsFromOpt,
    MatcherChoice,
    MaxModelItemsOpt,
    ModeOpt,
    SplitOpt,
    llm_judge,
    shown,
    with_options,
)


@app.command()
@with_options(
    matcher=MatcherChoice(),
    inputs=shown(InputPolicy(), help={"strict": "Stop at the first bad row."}),
    judge=llm_judge(),
)
def evaluate(
    input_path: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="HelpSteer3-Atomic-layout rows: a .jsonl/.json/.parquet file, a snapshot folder of Qwen/RationaleRM, "
            "or the Hub id Qwen/RationaleRM (the hub cache when HF_HUB_OFFLINE=1).",
        ),
    ],
    split: SplitOpt = None,
    labels_from: LabelsFromOpt = "auto",
    model: Annotated[
        list[str] | None,
        typer.Option("--model", help="A model to evaluate (repeatable; default: every model)."),
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", help="Report folder (default: runs/<input name>).")
    ] = None,
    mode: ModeOpt = "paper",
    max_model_items: MaxModelItemsOpt = 5,
    bootstrap: BootstrapOpt = 1000,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed (bootstrap; also sent to an LLM judge).")
    ] = None,
    *,
    matcher: MatcherChoice,
    inputs: InputPolicy,
    judge: Judge,
) -> None:
    """Match each model's reasons to the human reasons and report rationale consistency beside outcome accuracy."""
    from ..runs import evaluate as run

    if mode not in ("paper", "reference"):
        raise ConfigError(f"--mode must be paper or reference, not {mode!r}")
    chosen = matcher.build(dataclasses.replace(judge, seed=seed))
    stem = Path(input_path).stem or "evaluate"
    out = output_dir or Path("runs") / (f"{stem}-{split}" if split else stem)
    printer = ProblemPrinter(inputs.encoding_errors)
    progress = progress_bar("matching", rate=True, eta=True, transient=True)
    with printer, progress:
        task = progress.add_task("match", total=None, rate="")

        def on_progress(done: int, total: int) -> None:
            elapsed = progress.tasks[0].elapsed or 0.0
            rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 and done else ""
            progress.update(task, completed=done, total=total, rate=rate)

        report = run.evaluate(
            input_path,
            matcher=chosen,
            models=model,
            mode=mode,
            max_model_items=max_model_items or None,
            output_dir=out,
            strict=inputs.strict,
            n_resamples=bootstrap,
            seed=seed or 0,
            on_problem=printer,
            on_progress=on_progress,
            split=split,
            labels_from=labels_from,
            dedupe=inputs.dedupe,
        )
    printer.finish()
    print_evaluate_table(report)
    print_labels(report)
    if not any(r.valid for r in report.results):
        raise fail("no (sample, model) pair could be scored")
    say(f"report: {out}/summary.json, {out}/samples.jsonl, {out}/scatter.png")


def print_labels(report) -> None:
    """How many rows carried a human label, how many were joined, and which are left out of outcome accuracy."""
    invalid = report.invalid_labels_line()
    if invalid:
        say(f"{invalid} (listed above with their lines)")
    labels = report.labels
    if labels is None:
        return
    console.print(labels.summary_line(), highlight=False, markup=False)
    if labels.unlabelled:
        shown = ", ".join(f"{row_id} (row {position})" for position, row_id in labels.unlabelled[:5])
        more = f" and {len(labels.unlabelled) - 5} more" if len(labels.unlabelled) > 5 else ""
        console.print(
            f"left out of outcome accuracy for want of a human label: {shown}{more} "
            "(all listed in summary.json, labels.unlabelled_rows)",
            highlight=False,
            markup=False,
        )


def print_evaluate_table(report) -> None:
    table = Table(
        title=f"Right for the right reasons? ({report.provenance.get('matcher')} matcher, "
        f"{report.provenance.get('mode')} mode)",
        title_justify="left",
    )
    table.add_column("model", overflow="fold", min_width=14)
    widened = getattr(report, "matcher_intervals", {})
    columns = ["outcome acc.", "rationale consistency", "95% CI"]
    columns += ["CI + matcher error"] if widened else []
    for column in (*columns, "precision", "F1", "AP", "n", "failed"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in report.results:
        ci = r.summary.ci.get("recall")
        wide = widened.get(r.model)
        table.add_row(
            Text(r.model),
            "-" if r.outcome_accuracy is None else f"{r.outcome_accuracy:.3f}",
            f"{r.summary.recall:.3f}",
            f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "-",
            *([f"[{wide[0]:.3f}, {wide[1]:.3f}]" if wide else "-"] if widened else []),
            f"{r.summary.precision:.3f}",
            f"{r.summary.f1:.3f}",
            f"{r.summary.average_precision:.3f}",
            str(r.valid),
            str(r.parse_failed + r.skipped),
        )
    console.print(table)
