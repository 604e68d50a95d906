"""``rationalerm judge``: MetaJudge a model's checklists with an LLM judge on OpenAI-compatible servers.

A thin wrapper over :func:`rationalerm.runs.judge.judge_async`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ConfigError
from .app import app
from .console import fail, print_pairs, say, warn
from .jobs import FileJob, count_rows
from .options import Judge, MaxModelItemsOpt, require_file, safe_name, with_options

OPTIONS = FileJob.shown(
    Judge(),
    "The evaluator model name on the server.",
    judge_help={"max_format_retries": "Re-asks after an answer fails validation."},
)


def default_output(input_path: Path, model: str) -> Path:
    """``<input stem>.<model>.metajudge.jsonl`` beside the input."""
    return input_path.with_name(f"{input_path.stem}.{safe_name(model, '-_.')}.metajudge.jsonl")


@app.command()
@with_options(job=OPTIONS)
def judge(
    input_path: Annotated[
        Path, typer.Argument(help="HelpSteer3-Atomic JSONL with human and model checklists.")
    ],
    model: Annotated[str, typer.Option("--model", help="The judged model (its '<model>-checklist' key).")],
    max_model_items: MaxModelItemsOpt = 5,
    structured: Annotated[
        bool, typer.Option("--structured", help="Constrain answers with response_format json_schema.")
    ] = False,
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
    log_file: Annotated[
        Path | None, typer.Option("--log-file", help="Write a debug log of retries and failures here.")
    ] = None,
    *,
    job: FileJob,
) -> None:
    """Judge a model's reasons against the human reasons with an LLM (MetaJudge); resumable."""
    from ..matchers.llm import LLMMatcher
    from ..runs.judge import judge_async

    judge = job.judge
    judge.urls()
    if max_model_items < 0:
        raise ConfigError("--max-model-items must be 0 (all) or more")
    if max_item_chars < 0 or max_prompt_tokens < 0:
        raise ConfigError("--max-item-chars and --max-prompt-tokens must be 0 (no cap) or more")
    require_file(input_path)
    target = job.target(default_output(input_path, model))
    caps = {"structured": structured, "max_item_chars": max_item_chars or None}

    def using(pool: Any) -> dict[str, Any]:
        return {"matcher": LLMMatcher(pool, **caps, **judge.sampling())}

    with _log_file(log_file):
        summary = job.run(
            judge_async, input_path, target, label="judging", using=using,
            detailed=True, pool_settings={"max_prompt_tokens": max_prompt_tokens or None},
            model=model, max_model_items=max_model_items or None,
        )  # fmt: skip
    print_judge_summary(summary, f"MetaJudge: {model} judged by {judge.judge_model}")
    say(f"wrote {target}  (next: rationalerm analyze {target})")
    if summary.ok + summary.already_ok == 0:
        raise fail("no sample was judged successfully")
    if summary.failed:
        warn(f"{summary.failed} samples failed; rerun the same command to retry them")


def print_judge_summary(summary: Any, title: str) -> None:
    """The counts, requests and tokens of a MetaJudge run."""
    rows = count_rows(summary, ("samples", "already ok (resumed)", "judged now"), summary.judged)
    stats = summary.pool
    if stats is not None:
        rows += [
            ("requests", str(stats.requests)),
            ("transport retries", str(sum(stats.retries.values()))),
            ("format retries", str(stats.format_retries)),
            ("cache hits", str(stats.cache_hits)),
        ]
    rows += [
        ("prompt tokens", f"{summary.usage.prompt_tokens:,}"),
        ("  served from prefix cache", f"{summary.usage.cached_prompt_tokens:,}"),
        ("completion tokens", f"{summary.usage.completion_tokens:,}"),
        ("wall time", f"{summary.wall_s:.1f} s"),
    ]
    print_pairs(title, rows)


@contextmanager
def _log_file(path: Path | None) -> Iterator[None]:
    """A debug log of the ``rationalerm`` loggers in ``path`` while the block runs (nothing when None)."""
    if path is None:
        yield
        return
    import logging

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger("rationalerm")
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
