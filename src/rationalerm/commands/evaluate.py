"""`rationalerm evaluate`: rationale consistency beside outcome accuracy, one table, one report folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ..cli import (
    DedupeOpt,
    EncodingErrorsOpt,
    ProblemPrinter,
    app,
    check_input_options,
    console,
    err_console,
    fail,
    say,
)


@app.command()
def evaluate(
    input_path: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="HelpSteer3-Atomic-layout rows: a .jsonl/.json/.parquet file, a snapshot folder of Qwen/RationaleRM, "
            "or the Hub id Qwen/RationaleRM (the hub cache when HF_HUB_OFFLINE=1).",
        ),
    ],
    split: Annotated[
        str | None,
        typer.Option("--split", help="Split of Qwen/RationaleRM or its snapshot: test (default) or full."),
    ] = None,
    labels_from: Annotated[
        str,
        typer.Option(
            "--labels-from",
            help="Where rows without a human label get one: auto (nvidia/HelpSteer3 from the hub cache, or from "
            "the Hub when INPUT came from it), nvidia/HelpSteer3, a snapshot folder or file of it, or none.",
        ),
    ] = "auto",
    model: Annotated[
        list[str] | None,
        typer.Option("--model", help="A model to evaluate (repeatable; default: every model)."),
    ] = None,
    matcher_name: Annotated[
        str, typer.Option("--matcher", help="local (offline, default) or llm.")
    ] = "local",
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", help="Report folder (default: runs/<input name>).")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="paper (default) or reference.")] = "paper",
    max_model_items: Annotated[
        int, typer.Option("--max-model-items", help="Reasons per model that count (0 = all).")
    ] = 5,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad row.")] = False,
    encoding_errors: EncodingErrorsOpt = "strict",
    dedupe: DedupeOpt = "error",
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap resamples for the 95% CIs.")
    ] = 1000,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed (bootstrap; also sent to an LLM judge).")
    ] = None,
    calibration: Annotated[
        Path | None,
        typer.Option(
            "--calibration", help="[local] A matcher fitted to your judge by `rationalerm calibrate`."
        ),
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option("--judge-model", help="[llm] The evaluator model.")
    ] = None,
    base_url: Annotated[
        list[str] | None, typer.Option("--base-url", help="[llm] OpenAI-compatible endpoint (repeatable).")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="[llm] Key (default: $OPENAI_API_KEY).")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="[llm] Requests in flight.")] = 64,
    structured: Annotated[
        bool, typer.Option("--structured", help="[llm] JSON-schema structured output.")
    ] = False,
    temperature: Annotated[float, typer.Option("--temperature", help="[llm] Sampling temperature.")] = 0.6,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="[llm] Completion token limit.")] = 8192,
    max_retries: Annotated[int, typer.Option("--max-retries", help="[llm] Retries per request.")] = 5,
    timeout: Annotated[float, typer.Option("--timeout", help="[llm] Seconds per request.")] = 120.0,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="[llm] sqlite answer cache (default: the user cache folder)."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="[llm] Do not read or write the cache.")
    ] = False,
) -> None:
    """Match each model's reasons to the human reasons and report rationale consistency beside outcome accuracy."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from ..io import InputError
    from ..workflows.evaluate import evaluate as run_evaluate

    if mode not in ("paper", "reference"):
        raise fail(f"--mode must be paper or reference, not {mode!r}", 2)
    check_input_options(encoding_errors, dedupe)
    from ._judging import matcher_from_options

    matcher = matcher_from_options(
        matcher_name,
        judge_model=judge_model,
        calibration=calibration,
        base_urls=base_url or [],
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        structured=structured,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        cache=None if no_cache else cache,
        use_cache=not no_cache,
    )

    stem = Path(input_path).stem or "evaluate"
    out = output_dir or Path("runs") / (f"{stem}-{split}" if split else stem)
    printer = ProblemPrinter(encoding_errors)
    with (
        printer,
        Progress(
            TextColumn("[bold]matching[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("match", total=None, rate="")

        def on_progress(done: int, total: int) -> None:
            elapsed = progress.tasks[0].elapsed or 0.0
            rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 and done else ""
            progress.update(task, completed=done, total=total, rate=rate)

        try:
            report = run_evaluate(
                input_path,
                matcher=matcher,
                models=model,
                mode=mode,
                max_model_items=max_model_items or None,
                output_dir=out,
                strict=strict,
                n_resamples=bootstrap,
                seed=seed or 0,
                on_problem=printer,
                on_progress=on_progress,
                split=split,
                labels_from=labels_from,
                dedupe=dedupe,
            )
        except InputError as exc:
            raise fail(str(exc)) from None
        except ImportError as exc:
            raise fail(str(exc), 2) from None
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
