"""``rationalerm tag``: an LLM tags each of a model's reasons with a category and flaw tags (method.md section 9)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
)

if TYPE_CHECKING:
    from ..compare import Rate
    from ..workflows.tag import ModelTagRates, TagRunSummary


def _rate(rate: Rate) -> str:
    interval = f" [{100 * rate.ci[0]:.1f}, {100 * rate.ci[1]:.1f}]" if rate.ci else ""
    return f"{100 * rate.rate:.1f}%{interval}"


def print_tag_rates(rates: list[ModelTagRates]) -> None:
    """Category shares and flaw rates per model, with 95% intervals, as two tables."""
    from ..workflows.tag import CATEGORIES, CATEGORY_TITLES, FLAW_TITLES, FLAWS

    categories = Table(title="Rationale categories (share of reasons, 95% CI)", title_justify="left")
    categories.add_column("model", overflow="fold", min_width=12)
    for name in CATEGORIES:
        categories.add_column(CATEGORY_TITLES[name], justify="right", no_wrap=True)
    categories.add_column("reasons", justify="right")
    categories.add_column("failed", justify="right")
    for r in rates:
        categories.add_row(
            r.model, *(_rate(r.categories[n]) for n in CATEGORIES), str(r.items), str(r.failed)
        )
    console.print(categories)
    flaws = Table(title="Flaw rates (share of reasons, 95% CI)", title_justify="left")
    flaws.add_column("flaw")
    for r in rates:
        flaws.add_column(r.model, justify="right", no_wrap=True)
    for name in FLAWS:
        flaws.add_row(FLAW_TITLES[name], *(_rate(r.flaws[name]) for r in rates))
    console.print(flaws)


@app.command()
def tag(
    input_path: Annotated[
        Path,
        typer.Argument(metavar="INPUT", help="HelpSteer3-Atomic-layout JSONL with '<model>-checklist' keys."),
    ],
    model_name: Annotated[str, typer.Option("--model-name", help="The model whose reasons are tagged.")],
    judge_model: Annotated[str, typer.Option("--judge-model", help="The tagging LLM on the server.")],
    base_url: Annotated[
        list[str] | None,
        typer.Option(
            "--base-url", help="OpenAI-compatible base URL; repeatable (default: $OPENAI_BASE_URL)."
        ),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key (default: $OPENAI_API_KEY). Never logged.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Output JSONL, resumed if it exists (default: <input>.<model>.tags.jsonl)."
        ),
    ] = None,
    summary_json: Annotated[
        Path | None, typer.Option("--summary", help="Also write the per-model rates as JSON.")
    ] = None,
    max_model_items: Annotated[
        int, typer.Option("--max-model-items", help="Reasons tagged per sample (0 = all).")
    ] = 0,
    context_chars: Annotated[
        int,
        typer.Option(
            "--context-chars", help="Characters of conversation and of each response shown (0 = none)."
        ),
    ] = 4000,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Requests in flight at once.")] = 64,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.6,
    max_tokens: Annotated[int, typer.Option("--max-tokens")] = 4096,
    seed: Annotated[int | None, typer.Option("--seed", help="Sampling seed sent to the server.")] = None,
    max_retries: Annotated[int, typer.Option("--max-retries", help="Transport retries per request.")] = 5,
    max_format_retries: Annotated[
        int, typer.Option("--max-format-retries", help="Re-asks after an answer fails validation.")
    ] = 2,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 120.0,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="sqlite answer cache (default: ~/.cache/rationalerm).")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the answer cache.")
    ] = False,
    restart: Annotated[
        bool, typer.Option("--restart", help="Discard an existing output instead of resuming.")
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad row.")] = False,
    dedupe: DedupeOpt = "error",
    encoding_errors: EncodingErrorsOpt = "strict",
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap resamples for the 95% CIs.")
    ] = 2000,
) -> None:
    """Tag every reason of a model: evidence-grounded, criterion-grounded or generic/style, plus flaw tags."""
    from .. import aio
    from ..io import InputError, read_jsonl, write_json
    from ..llm import JudgePool, default_cache_path
    from ..workflows.tag import Tagger, default_output, is_tag_record, tag_file, tag_rates

    urls = list(base_url or []) or (
        [os.environ["OPENAI_BASE_URL"]] if os.environ.get("OPENAI_BASE_URL") else []
    )
    if not urls:
        raise fail("no judge server: pass --base-url or set OPENAI_BASE_URL", 2)
    if max_model_items < 0 or context_chars < 0:
        raise fail("--max-model-items and --context-chars must be >= 0", 2)
    target = output or default_output(input_path, model_name)
    check_input_options(encoding_errors, dedupe)
    printer = ProblemPrinter(encoding_errors)

    async def run() -> TagRunSummary:
        try:
            pool = JudgePool(
                judge_model,
                urls,
                api_key=api_key,
                concurrency=concurrency,
                timeout=timeout,
                max_retries=max_retries,
                cache=None if no_cache else (cache or default_cache_path()),
            )
        except ValueError as exc:
            raise fail(str(exc), 2) from None
        async with pool:
            tagger = Tagger(
                pool,
                temperature=temperature,
                max_tokens=max_tokens,
                seed=seed,
                max_format_retries=max_format_retries,
                max_model_items=max_model_items or None,
                context_chars=context_chars,
                use_cache=not no_cache,
            )
            with err_console.status(Text(f"tagging {model_name}'s reasons with {judge_model} ...")):
                return await tag_file(
                    input_path,
                    target,
                    model=model_name,
                    tagger=tagger,
                    resume=not restart,
                    strict=strict,
                    dedupe=dedupe,
                    on_problem=printer,
                )

    try:
        with printer:
            summary = aio.run(run())
    except InputError as exc:
        raise fail(str(exc)) from None
    printer.finish()
    console.print(
        f"{summary.total} samples: {summary.already_done} already done, {summary.ok} tagged, "
        f"{summary.skipped} skipped, {summary.failed} failed"
        + (
            f" ({', '.join(f'{k}: {v}' for k, v in summary.reasons.most_common())})"
            if summary.reasons
            else ""
        ),
        highlight=False,
    )
    rows, _ = read_jsonl(target)
    rates = tag_rates([r for r in rows if is_tag_record(r)], n_resamples=bootstrap)
    if rates:
        print_tag_rates(rates)
    if summary_json is not None:
        write_json(summary_json, {"run": summary.as_dict(), "rates": [r.as_dict() for r in rates]})
        console.print(f"wrote {summary_json}")
    console.print(f"tags: {target}")
    if summary.total and summary.failed == summary.tagged and summary.tagged:
        raise fail("no sample could be tagged")
