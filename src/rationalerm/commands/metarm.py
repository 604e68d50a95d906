"""``rationalerm golden`` and ``rationalerm metarm``: the R-Align protocol (L-Acc, S-Corr, F-Score)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..cli import DedupeOpt, EncodingErrorsOpt, app, console, fail
from .generate import (
    ApiKeyOpt,
    BaseUrlOpt,
    CacheOpt,
    ConcurrencyOpt,
    FormatRetriesOpt,
    NoCacheOpt,
    OutputOpt,
    RestartOpt,
    RetriesOpt,
    SeedOpt,
    StrictOpt,
    TimeoutOpt,
    default_output,
    print_run_summary,
    run_judge_side,
)

GoldenFieldOpt = Annotated[str, typer.Option("--golden-field", help="Field holding the golden judgment.")]


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
            cells += [
                str(s.n),
                _pct(s.l_acc),
                _pct(s.s_corr),
                _pct(s.f_score),
                str(s.label_correct),
                str(s.correct),
                str(s.incorrect),
                str(s.failures),
            ]
            table.add_row(*cells)
        console.print(table)


@app.command()
def golden(
    input_path: Annotated[
        Path, typer.Argument(help="Pairs with a gold label (gt_label, label or overall_preference).")
    ],
    judge_model: Annotated[
        str, typer.Option("--judge-model", help="The strong model that writes golden judgments.")
    ],
    base_url: BaseUrlOpt = None,
    golden_field: GoldenFieldOpt = "gt_judgment",
    output: OutputOpt = None,
    api_key: ApiKeyOpt = None,
    concurrency: ConcurrencyOpt = 64,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.4,
    max_tokens: Annotated[int, typer.Option("--max-tokens")] = 8192,
    seed: SeedOpt = None,
    max_retries: RetriesOpt = 5,
    max_format_retries: FormatRetriesOpt = 2,
    timeout: TimeoutOpt = 300.0,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    restart: RestartOpt = False,
    strict: StrictOpt = False,
    dedupe: DedupeOpt = "error",
    encoding_errors: EncodingErrorsOpt = "strict",
) -> None:
    """Write golden judgments (R-Align's o*): a strong model explains why the gold answer is better."""
    from ..workflows.metarm import RAlignSettings, write_golden

    if not input_path.is_file():
        raise fail(f"{input_path}: no such file", 2)
    settings = RAlignSettings(
        temperature=temperature, max_tokens=max_tokens, seed=seed, max_format_retries=max_format_retries
    )
    target = output or default_output(input_path, "golden")

    async def work(pool: Any, **callbacks: Any) -> Any:
        return await write_golden(
            input_path,
            target,
            pool=pool,
            settings=settings,
            golden_field=golden_field,
            resume=not restart,
            strict=strict,
            dedupe=dedupe,
            **callbacks,
        )

    summary = run_judge_side(
        label="golden",
        judge_model=judge_model,
        base_url=base_url,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        cache=cache,
        no_cache=no_cache,
        target=target,
        work=work,
        encoding_errors=encoding_errors,
    )
    print_run_summary(summary, f"Golden judgments by {judge_model}")


@app.command()
def metarm(
    input_path: Annotated[
        Path, typer.Argument(help="A 'rationalerm generate' output with golden judgments.")
    ],
    model_name: Annotated[
        str, typer.Option("--model-name", help="The GenRM whose '<NAME>-label' is judged.")
    ],
    judge_model: Annotated[str, typer.Option("--judge-model", help="The MetaRM's model name on the server.")],
    base_url: BaseUrlOpt = None,
    golden_field: GoldenFieldOpt = "gt_judgment",
    output: OutputOpt = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Metrics JSON (default: <output>.ralign.json).")
    ] = None,
    api_key: ApiKeyOpt = None,
    concurrency: ConcurrencyOpt = 64,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.4,
    max_tokens: Annotated[int, typer.Option("--max-tokens")] = 8192,
    seed: SeedOpt = None,
    max_retries: RetriesOpt = 5,
    max_format_retries: FormatRetriesOpt = 2,
    timeout: TimeoutOpt = 300.0,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    restart: RestartOpt = False,
    strict: StrictOpt = False,
    dedupe: DedupeOpt = "error",
    encoding_errors: EncodingErrorsOpt = "strict",
) -> None:
    """R-Align MetaRM on label-correct items; prints and saves L-Acc, S-Corr and F-Score per model and domain."""
    from ..io import read_jsonl, write_json
    from ..ralign import models_in_rows, ralign_report
    from ..workflows.metarm import RAlignSettings, run_metarm

    if not input_path.is_file():
        raise fail(f"{input_path}: no such file", 2)
    settings = RAlignSettings(
        temperature=temperature, max_tokens=max_tokens, seed=seed, max_format_retries=max_format_retries
    )
    target = output or default_output(input_path, f"{model_name}.metarm")

    async def work(pool: Any, **callbacks: Any) -> Any:
        return await run_metarm(
            input_path,
            target,
            pool=pool,
            model_name=model_name,
            settings=settings,
            golden_field=golden_field,
            resume=not restart,
            strict=strict,
            dedupe=dedupe,
            **callbacks,
        )

    summary = run_judge_side(
        label="metarm",
        judge_model=judge_model,
        base_url=base_url,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        cache=cache,
        no_cache=no_cache,
        target=target,
        work=work,
        encoding_errors=encoding_errors,
    )
    print_run_summary(summary, f"MetaRM {judge_model} on {model_name}")
    rows, _ = read_jsonl(target)
    reports = [ralign_report(rows, name) for name in models_in_rows(rows)]
    print_ralign_tables(reports)
    metrics_path = json_path or target.with_name(f"{target.stem}.ralign.json")
    write_json(metrics_path, {"metarm_model": judge_model, "models": [r.as_dict() for r in reports]})
    console.print(f"wrote {metrics_path}", highlight=False, soft_wrap=True)
