"""``rationalerm generate``: run a GenRM over preference pairs for its verdicts and ordered reasons.

Also holds what the judge-side commands (``generate``, ``decompose``, ``golden``, ``metarm``) share: the server
options, the pool, the progress display and the run summary table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
    warn,
)

if TYPE_CHECKING:
    from rich.progress import TaskID

BaseUrlOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--base-url", help="OpenAI-compatible base URL; repeat to spread load (default: $OPENAI_BASE_URL)."
    ),
]
ApiKeyOpt = Annotated[
    str | None,
    typer.Option("--api-key", help="API key (default: $OPENAI_API_KEY). Never logged.", show_default=False),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Output JSONL (resumed if it exists).")
]
ConcurrencyOpt = Annotated[int, typer.Option("--concurrency", help="Requests in flight at once.")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Sampling seed sent to the server.")]
RetriesOpt = Annotated[int, typer.Option("--max-retries", help="Transport retries per request.")]
FormatRetriesOpt = Annotated[
    int, typer.Option("--max-format-retries", help="Re-asks after an unreadable answer.")
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds per request.")]
CacheOpt = Annotated[
    Path | None, typer.Option("--cache", help="sqlite answer cache (default: ~/.cache/rationalerm).")
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the answer cache.")]
RestartOpt = Annotated[
    bool, typer.Option("--restart", help="Discard an existing output instead of resuming.")
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Stop at the first bad input row.")]


def default_output(input_path: Path, suffix: str) -> Path:
    """``<input stem>.<suffix>.jsonl`` beside the input (characters unsafe in file names replaced)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in suffix)
    return input_path.with_name(f"{input_path.stem}.{safe}.jsonl")


def run_judge_side(
    *,
    label: str,
    judge_model: str,
    base_url: list[str] | None,
    api_key: str | None,
    concurrency: int,
    timeout: float,
    max_retries: int,
    cache: Path | None,
    no_cache: bool,
    target: Path,
    work: Callable[..., Awaitable[Any]],
    encoding_errors: str = "strict",
) -> Any:
    """Open the pool, show a progress bar, run ``work(pool, printer=..., on_start=..., on_result=...)`` and turn
    input errors and interrupts into clean exits. Returns the run summary."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .. import aio
    from ..io import InputError
    from ..workflows.judge_side import open_pool

    if concurrency < 1:
        raise fail("--concurrency must be at least 1", 2)
    check_input_options(encoding_errors)
    printer = ProblemPrinter(encoding_errors)
    progress = Progress(
        TextColumn(f"[bold]{label}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("[green]{task.fields[ok]} ok[/green] [red]{task.fields[failed]} failed[/red]"),
        console=err_console,
    )
    task: TaskID | None = None
    counts = {"ok": 0, "failed": 0}

    def on_start(total: int, already: int) -> None:
        nonlocal task
        counts["ok"] = already
        task = progress.add_task(label, total=total, completed=already, ok=already, failed=0)

    def on_result(outcome: Any) -> None:
        counts["ok" if outcome.ok else "failed"] += 1
        if task is not None:
            progress.update(task, advance=1, ok=counts["ok"], failed=counts["failed"])

    async def run() -> Any:
        async with open_pool(
            judge_model=judge_model,
            base_urls=base_url or [],
            api_key=api_key,
            concurrency=concurrency,
            timeout=timeout,
            max_retries=max_retries,
            cache=cache,
            use_cache=not no_cache,
        ) as pool:
            with progress:
                return await work(pool, on_start=on_start, on_result=on_result, on_problem=printer)

    try:
        with printer:
            summary = aio.run(run())
    except InputError as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    except KeyboardInterrupt:
        err_console.print(f"interrupted; rerun the same command to resume from {target}", highlight=False)
        raise typer.Exit(130) from None
    printer.finish()
    return summary


def print_run_summary(summary: Any, title: str) -> None:
    """The counts of a run as a table, and a non-zero exit when nothing at all succeeded."""
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in (
        ("rows", summary.total),
        ("already ok (resumed)", summary.already_ok),
        ("processed now", summary.processed),
        ("ok", summary.ok),
        ("parse failed", summary.parse_failed),
        ("error", summary.error),
    ):
        table.add_row(name, str(value))
    for reason, count in summary.reasons.most_common():
        table.add_row(f"  {reason}", str(count))
    for tag, count in sorted(summary.tags.items()):
        table.add_row(Text(tag, style="dim"), str(count))
    table.add_row("prompt tokens", f"{summary.usage.prompt_tokens:,}")
    table.add_row("completion tokens", f"{summary.usage.completion_tokens:,}")
    table.add_row("cache hits", str(summary.cached))
    table.add_row("wall time", f"{summary.wall_s:.1f} s")
    console.print(table)
    say(f"wrote {summary.output}")
    if summary.ok + summary.already_ok == 0:
        raise fail("no row succeeded" if summary.total else "no usable row in the input")
    if summary.failed:
        warn(f"{summary.failed} rows failed; rerun the same command to retry them")


@app.command()
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
    judge_model: Annotated[str, typer.Option("--judge-model", help="The GenRM's model name on the server.")],
    base_url: BaseUrlOpt = None,
    style: Annotated[
        str, typer.Option("--style", help="Prompt style: rationalerm (5-way) or ralign (A or B).")
    ] = "rationalerm",
    swap: Annotated[bool, typer.Option("--swap", help="Also judge with the responses swapped.")] = False,
    max_reasons: Annotated[
        int, typer.Option("--max-reasons", help="Reasons asked for and kept (0 = no cap).")
    ] = 5,
    output: OutputOpt = None,
    api_key: ApiKeyOpt = None,
    concurrency: ConcurrencyOpt = 64,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.6,
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
    split: Annotated[
        str | None,
        typer.Option(
            "--split", help="Split of Qwen/RationaleRM or its snapshot folder: test (default) or full."
        ),
    ] = None,
) -> None:
    """Run a GenRM over preference pairs: verdict, ordered reasons and text per pair; resumable."""
    from ..datasets import RATIONALERM, local_split_file
    from ..io import InputError
    from ..workflows.generate import GenRMSettings, generate_judgments

    if style not in ("rationalerm", "ralign"):
        raise fail(f"--style must be rationalerm or ralign, not {style!r}", 2)
    if max_reasons < 0:
        raise fail("--max-reasons must be 0 (no cap) or more", 2)
    check_input_options(encoding_errors, dedupe)
    source = Path(input_path)
    beside_input = source.is_file()
    if not beside_input:
        try:
            source = local_split_file(input_path, RATIONALERM, split=split).path or source
        except InputError as exc:
            raise fail(str(exc), 2) from None
        except ImportError as exc:
            raise fail(str(exc), 2) from None
    settings = GenRMSettings(
        style=style,  # type: ignore[arg-type]
        max_reasons=max_reasons or None,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        max_format_retries=max_format_retries,
    )
    # beside a local input file; in the working folder for a snapshot or the hub cache (never written into)
    default = default_output(source, f"{model_name}.genrm")
    target = output or (default if beside_input else Path(default.name))

    async def work(pool: Any, **callbacks: Any) -> Any:
        return await generate_judgments(
            source,
            target,
            pool=pool,
            model_name=model_name,
            settings=settings,
            swap=swap,
            resume=not restart,
            strict=strict,
            dedupe=dedupe,
            **callbacks,
        )

    summary = run_judge_side(
        label="generating",
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
    print_run_summary(summary, f"GenRM {model_name} ({judge_model}, {style} style)")
