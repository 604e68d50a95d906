"""``rationalerm bench``: outcome accuracy on JudgeBench and RM-Bench with their official scoring rules.

The commands score judgments that already exist (JudgeBench output files, RM-Bench per-response scores). Live
judging (``--data``, ``--judge-model``, ``--base-url``) will be added here as options of the same commands, filling
:class:`rationalerm.bench.rmbench.PairVerdict` / JudgeBench's output layout and then calling the same scorers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..bench.judgebench import CATEGORIES, JudgeBenchResult, score_judgments_file
from ..bench.rmbench import RMBenchResult, score_rmbench_scores
from ..cli import app, console, fail
from ..io import InputError, write_json

bench_app = typer.Typer(
    help="Outcome accuracy on JudgeBench and RM-Bench, scored with each benchmark's official rules.",
    no_args_is_help=True,
)
app.add_typer(bench_app, name="bench")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _save(output: Path | None, data: dict[str, object]) -> None:
    if output is not None:
        write_json(output, data)
        console.print(f"wrote {output}")


def print_judgebench(result: JudgeBenchResult, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("category")
    table.add_column("accuracy %", justify="right")
    table.add_column("pairs", justify="right")
    for name in CATEGORIES:
        table.add_row(name, _pct(result.categories[name]), str(result.category_counts[name]))
    table.add_row("[bold]Overall[/bold]", f"[bold]{_pct(result.overall)}[/bold]", str(result.n_pairs))
    console.print(table)
    console.print(
        f"position consistency {_pct(result.position_consistency)}% "
        f"(over {result.n_consistency_pairs} pairs with two decisions); failed judgments: {result.n_failed}",
        highlight=False,
    )


def print_rmbench(result: RMBenchResult, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("domain")
    for column in ("easy", "normal", "hard", "score", "prompts"):
        table.add_column(column, justify="right")
    for name, score in result.domains.items():
        table.add_row(
            name,
            _pct(score.easy),
            _pct(score.normal),
            _pct(score.hard),
            _pct(score.score),
            str(score.n_prompts),
        )
    n_prompts = sum(score.n_prompts for score in result.domains.values())
    table.add_row(
        "[bold]Overall[/bold]",
        _pct(result.easy),
        _pct(result.normal),
        _pct(result.hard),
        f"[bold]{_pct(result.overall)}[/bold]",
        str(n_prompts),
    )
    console.print(table)
    if result.missing_domains:
        console.print(
            f"[yellow]missing domains:[/yellow] {', '.join(result.missing_domains)} "
            "(Overall is the mean of the domains present, not the full leaderboard figure)",
            highlight=False,
        )
    console.print(f"failed scores: {result.n_failed}", highlight=False)


@bench_app.command("judgebench")
def judgebench_command(
    judgments: Annotated[
        Path,
        typer.Option(
            "--judgments", help="A file of judgments in JudgeBench's output layout (pair + judgments)."
        ),
    ],
    output: Annotated[Path | None, typer.Option("--output", help="Write the scores as JSON.")] = None,
) -> None:
    """Score JudgeBench judgments with the official double-game rule (overall and per category)."""
    try:
        result = score_judgments_file(judgments)
    except InputError as exc:
        raise fail(str(exc)) from None
    print_judgebench(result, f"JudgeBench: {judgments.name}")
    _save(output, result.as_dict())


@bench_app.command("rmbench")
def rmbench_command(
    scores: Annotated[
        list[Path],
        typer.Option(
            "--scores",
            help="RM-Bench result files with score_chosen/score_rejected per prompt (repeat for several files; "
            "the domain comes from each row's `domain` or the file name).",
        ),
    ],
    output: Annotated[Path | None, typer.Option("--output", help="Write the scores as JSON.")] = None,
) -> None:
    """Score a scalar reward model on RM-Bench: easy/normal/hard per domain and the leaderboard Overall."""
    try:
        result = score_rmbench_scores(scores)
    except InputError as exc:
        raise fail(str(exc)) from None
    print_rmbench(result, "RM-Bench")
    _save(output, result.as_dict())
