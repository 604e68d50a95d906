"""``rationalerm judge``: MetaJudge a model's checklists with an LLM judge on OpenAI-compatible servers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

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
    warn,
)

if TYPE_CHECKING:
    import logging

    from rich.progress import TaskID


def default_output(input_path: Path, model: str) -> Path:
    """``<input stem>.<model>.metajudge.jsonl`` beside the input."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    return input_path.with_name(f"{input_path.stem}.{safe}.metajudge.jsonl")


@app.command()
def judge(
    input_path: Annotated[
        Path, typer.Argument(help="HelpSteer3-Atomic JSONL with human and model checklists.")
    ],
    model: Annotated[str, typer.Option("--model", help="The judged model (its '<model>-checklist' key).")],
    judge_model: Annotated[
        str, typer.Option("--judge-model", help="The evaluator model name on the server.")
    ],
    base_url: Annotated[
        list[str] | None,
        typer.Option(
            "--base-url",
            help="OpenAI-compatible base URL; repeat to spread load (default: $OPENAI_BASE_URL).",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", help="API key (default: $OPENAI_API_KEY). Never logged.", show_default=False
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output JSONL (resumed if it exists).")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Requests in flight at once.")] = 64,
    max_model_items: Annotated[
        int, typer.Option("--max-model-items", help="Model reasons sent per sample (0 = all).")
    ] = 5,
    structured: Annotated[
        bool, typer.Option("--structured", help="Constrain answers with response_format json_schema.")
    ] = False,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.6,
    max_tokens: Annotated[int, typer.Option("--max-tokens")] = 8192,
    seed: Annotated[int | None, typer.Option("--seed", help="Sampling seed sent to the server.")] = None,
    max_retries: Annotated[int, typer.Option("--max-retries", help="Transport retries per request.")] = 5,
    max_format_retries: Annotated[
        int, typer.Option("--max-format-retries", help="Re-asks after an answer fails validation.")
    ] = 2,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 120.0,
    max_item_chars: Annotated[
        int,
        typer.Option(
            "--max-item-chars", help="A sample with a longer reason fails and is not sent (0 = no cap)."
        ),
    ] = 4000,
    max_prompt_tokens: Annotated[
        int,
        typer.Option(
            "--max-prompt-tokens",
            help="A prompt estimated longer (4 bytes a token) fails and is not sent (0 = no cap).",
        ),
    ] = 32000,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="sqlite answer cache (default: ~/.cache/rationalerm).")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the answer cache.")
    ] = False,
    restart: Annotated[
        bool, typer.Option("--restart", help="Discard an existing output instead of resuming.")
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad input row.")] = False,
    dedupe: DedupeOpt = "error",
    encoding_errors: EncodingErrorsOpt = "strict",
    log_file: Annotated[
        Path | None, typer.Option("--log-file", help="Write a debug log of retries and failures here.")
    ] = None,
) -> None:
    """Judge a model's reasons against the human reasons with an LLM (MetaJudge); resumable."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .. import aio
    from ..io import InputError
    from ..llm import JudgePool, default_cache_path
    from ..matchers.llm import LLMMatcher
    from ..workflows.judge import judge_file

    urls = list(base_url or [])
    if not urls and os.environ.get("OPENAI_BASE_URL"):
        urls = [os.environ["OPENAI_BASE_URL"]]
    if not urls:
        raise fail("no judge server: pass --base-url or set OPENAI_BASE_URL", 2)
    if concurrency < 1:
        raise fail("--concurrency must be at least 1", 2)
    if max_model_items < 0:
        raise fail("--max-model-items must be 0 (all) or more", 2)
    if max_item_chars < 0 or max_prompt_tokens < 0:
        raise fail("--max-item-chars and --max-prompt-tokens must be 0 (no cap) or more", 2)
    check_input_options(encoding_errors, dedupe)
    if not input_path.is_file():
        raise fail(f"{input_path}: no such file", 2)
    target = output or default_output(input_path, model)
    cache_path = None if no_cache else (cache or default_cache_path())
    handler = _attach_log_file(log_file) if log_file else None

    printer = ProblemPrinter(encoding_errors)
    columns = (
        TextColumn("[bold]judging[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn(
            "[green]{task.fields[ok]} ok[/green] [red]{task.fields[failed]} failed[/red]"
            " [yellow]{task.fields[retries]} retries[/yellow]"
        ),
    )
    progress = Progress(*columns, console=err_console, transient=False)
    task: TaskID | None = None
    counts = {"ok": 0, "failed": 0, "now": 0}

    async def run():  # type: ignore[no-untyped-def]
        nonlocal task
        async with JudgePool(
            judge_model,
            urls,
            api_key=api_key,
            concurrency=concurrency,
            timeout=timeout,
            max_retries=max_retries,
            max_prompt_tokens=max_prompt_tokens or None,
            cache=cache_path,
        ) as pool:
            matcher = LLMMatcher(
                pool,
                structured=structured,
                temperature=temperature,
                max_tokens=max_tokens,
                seed=seed,
                max_format_retries=max_format_retries,
                max_item_chars=max_item_chars or None,
            )

            def on_start(total: int, already: int) -> None:
                nonlocal task
                task = progress.add_task(
                    "judge", total=total, completed=already, rate="", ok=already, failed=0, retries=0
                )
                counts["ok"] = already

            def on_result(judged) -> None:  # type: ignore[no-untyped-def]
                counts["ok" if judged.ok else "failed"] += 1
                counts["now"] += 1
                if task is None:
                    return
                elapsed = progress.tasks[task].elapsed or 0.0
                rate = f"{counts['now'] / elapsed:.1f}/s" if elapsed > 0 else ""
                progress.update(
                    task,
                    advance=1,
                    rate=rate,
                    ok=counts["ok"],
                    failed=counts["failed"],
                    retries=sum(pool.stats.retries.values()) + pool.stats.format_retries,
                )

            with progress:
                return await judge_file(
                    input_path,
                    target,
                    model=model,
                    matcher=matcher,
                    max_model_items=max_model_items or None,
                    resume=not restart,
                    strict=strict,
                    dedupe=dedupe,
                    on_start=on_start,
                    on_result=on_result,
                    on_problem=printer,
                )

    try:
        with printer:
            summary = aio.run(run())
    except InputError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        err_console.print(f"interrupted; rerun the same command to resume from {target}", highlight=False)
        raise typer.Exit(130) from None
    finally:
        if handler is not None:
            import logging

            logging.getLogger("rationalerm").removeHandler(handler)
            handler.close()
    printer.finish()

    table = Table(title=f"MetaJudge: {model} judged by {judge_model}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("samples", str(summary.total))
    table.add_row("already ok (resumed)", str(summary.already_ok))
    table.add_row("judged now", str(summary.judged))
    table.add_row("ok", str(summary.ok))
    table.add_row("parse failed", str(summary.parse_failed))
    table.add_row("error", str(summary.error))
    for reason, count in summary.reasons.most_common():
        table.add_row(f"  {reason}", str(count))
    stats = summary.pool
    if stats is not None:
        table.add_row("requests", str(stats.requests))
        table.add_row("transport retries", str(sum(stats.retries.values())))
        table.add_row("format retries", str(stats.format_retries))
        table.add_row("cache hits", str(stats.cache_hits))
    table.add_row("prompt tokens", f"{summary.usage.prompt_tokens:,}")
    table.add_row("  served from prefix cache", f"{summary.usage.cached_prompt_tokens:,}")
    table.add_row("completion tokens", f"{summary.usage.completion_tokens:,}")
    table.add_row("wall time", f"{summary.wall_s:.1f} s")
    console.print(table)
    say(f"wrote {target}  (next: rationalerm analyze {target})")
    if summary.ok + summary.already_ok == 0:
        raise fail("no sample was judged successfully")
    if summary.failed:
        warn(f"{summary.failed} samples failed; rerun the same command to retry them")


def _attach_log_file(path: Path) -> logging.Handler:
    import logging

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger("rationalerm")
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    return handler
