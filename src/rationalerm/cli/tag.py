"""``rationalerm tag``: an LLM tags each of a model's reasons with a category and flaw tags (method.md section 9).

A thin wrapper over :func:`rationalerm.runs.tag.tag_async` and :func:`rationalerm.stats.tags.tag_rates`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ..errors import ConfigError
from .app import app
from .console import console, fail
from .jobs import FileJob
from .options import BootstrapOpt, InputPolicy, Judge, MaxModelItemsOpt, Resume, shown, with_options

if TYPE_CHECKING:
    from ..stats.paired import Rate
    from ..stats.tags import ModelTagRates


def _rate(rate: Rate) -> str:
    interval = f" [{100 * rate.ci[0]:.1f}, {100 * rate.ci[1]:.1f}]" if rate.ci else ""
    return f"{100 * rate.rate:.1f}%{interval}"


def print_tag_rates(rates: list[ModelTagRates]) -> None:
    """Category shares and flaw rates per model, with 95% intervals, as two tables."""
    from ..stats.tags import CATEGORIES, CATEGORY_TITLES, FLAW_TITLES, FLAWS

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


OPTIONS = FileJob.shown(
    Judge(max_tokens=4096),
    "The tagging LLM on the server.",
    judge_help={"max_format_retries": "Re-asks after an answer fails validation."},
    resume=shown(
        Resume(), help={"output": "Output JSONL, resumed if it exists (default: <input>.<model>.tags.jsonl)."}
    ),
    inputs=shown(InputPolicy(), help={"strict": "Stop at the first bad row."}),
)


@app.command()
@with_options(job=OPTIONS)
def tag(
    input_path: Annotated[
        Path,
        typer.Argument(metavar="INPUT", help="HelpSteer3-Atomic-layout JSONL with '<model>-checklist' keys."),
    ],
    model_name: Annotated[str, typer.Option("--model-name", help="The model whose reasons are tagged.")],
    summary_json: Annotated[
        Path | None, typer.Option("--summary", help="Also write the per-model rates as JSON.")
    ] = None,
    max_model_items: MaxModelItemsOpt = 0,
    context_chars: Annotated[
        int,
        typer.Option(
            "--context-chars", help="Characters of conversation and of each response shown (0 = none)."
        ),
    ] = 4000,
    bootstrap: BootstrapOpt = 2000,
    *,
    job: FileJob,
) -> None:
    """Tag every reason of a model: evidence-grounded, criterion-grounded or generic/style, plus flaw tags."""
    from ..io import read_jsonl, write_json
    from ..runs.tag import Tagger, default_output, tag_async
    from ..stats.tags import is_tag_record, tag_rates

    judge = job.judge
    judge.urls()
    if max_model_items < 0 or context_chars < 0:
        raise ConfigError("--max-model-items and --context-chars must be >= 0")
    target = job.target(default_output(input_path, model_name))
    settings = {"max_model_items": max_model_items or None, "context_chars": context_chars}

    def using(pool: Any) -> dict[str, Any]:
        return {"tagger": Tagger(pool, use_cache=not judge.no_cache, **settings, **judge.sampling())}

    status = f"tagging {model_name}'s reasons with {judge.judge_model} ..."
    summary = job.run(
        tag_async, input_path, target, label="tagging", using=using, status=status, model=model_name
    )
    reasons = ", ".join(f"{k}: {v}" for k, v in summary.reasons.most_common())
    console.print(
        f"{summary.total} samples: {summary.already_done} already done, {summary.ok} tagged, "
        f"{summary.skipped} skipped, {summary.failed} failed" + (f" ({reasons})" if reasons else ""),
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
