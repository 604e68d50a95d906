"""``rationalerm decompose``: free-text human rationales into an atomic ``human-checklist``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..cli import DedupeOpt, EncodingErrorsOpt, app, fail
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


@app.command()
def decompose(
    input_path: Annotated[
        Path, typer.Argument(help="Rows with a free-text rationale, e.g. HelpSteer3 preference rows.")
    ],
    judge_model: Annotated[
        str, typer.Option("--judge-model", help="The decomposer's model name on the server.")
    ],
    text_field: Annotated[
        list[str] | None,
        typer.Option(
            "--text-field",
            help="Field holding rationale text; repeatable; paths like 'individual_preference[].reasoning' "
            "(the default).",
        ),
    ] = None,
    base_url: BaseUrlOpt = None,
    min_items: Annotated[int, typer.Option("--min-items", help="Fewer claims marks the row too_few.")] = 3,
    max_items: Annotated[int, typer.Option("--max-items", help="More claims marks the row too_many.")] = 7,
    output: OutputOpt = None,
    api_key: ApiKeyOpt = None,
    concurrency: ConcurrencyOpt = 64,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.2,
    max_tokens: Annotated[int, typer.Option("--max-tokens")] = 4096,
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
    """Decompose human rationales into atomic checklists (rows outside the item range are kept and marked)."""
    from ..workflows.decompose import DEFAULT_TEXT_FIELDS, DecomposeSettings, decompose_rationales

    if not input_path.is_file():
        raise fail(f"{input_path}: no such file", 2)
    try:
        settings = DecomposeSettings(
            text_fields=tuple(text_field or DEFAULT_TEXT_FIELDS),
            min_items=min_items,
            max_items=max_items,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
            max_format_retries=max_format_retries,
        )
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    target = output or default_output(input_path, "decomposed")

    async def work(pool: Any, **callbacks: Any) -> Any:
        return await decompose_rationales(
            input_path,
            target,
            pool=pool,
            settings=settings,
            resume=not restart,
            strict=strict,
            dedupe=dedupe,
            **callbacks,
        )

    summary = run_judge_side(
        label="decomposing",
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
    print_run_summary(summary, f"Decomposition by {judge_model} (items {min_items}-{max_items})")
