"""``rationalerm bench``: outcome accuracy on JudgeBench and RM-Bench with their official scoring rules.

Each command either scores results that already exist (``--judgments``: JudgeBench output files; ``--scores``:
RM-Bench per-response scores of a scalar reward model) or judges live (``--data`` with ``--judge-model`` and
``--base-url``): the GenRM judges every pair in both orders through the engine, the records are written resumably
(JudgeBench's own output layout; RM-Bench :class:`~rationalerm.bench.rmbench.PairVerdict` rows), and the same
scorers score them. The scores are printed and saved as JSON. Thin wrappers over :mod:`rationalerm.bench` (scoring)
and :mod:`rationalerm.runs.bench` (live judging).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..errors import ConfigError, InputError
from .app import app
from .console import console, warn
from .jobs import print_run_summary, run_job
from .options import GenRMChoice, Judge, option, safe_name, shown, with_options

if TYPE_CHECKING:
    from ..bench.judgebench import JudgeBenchResult
    from ..bench.rmbench import RMBenchResult

bench_app = typer.Typer(
    help="Outcome accuracy on JudgeBench and RM-Bench, scored with each benchmark's official rules.",
    no_args_is_help=True,
)
app.add_typer(bench_app, name="bench")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _save(output: Path | None, data: dict[str, object]) -> None:
    if output is not None:
        from ..io import write_json

        write_json(output, data)
        console.print(f"wrote {output}")


def print_judgebench(result: JudgeBenchResult, title: str) -> None:
    from ..bench.judgebench import CATEGORIES

    table = Table(title=title, title_justify="left")
    table.add_column("category")
    table.add_column("accuracy %", justify="right")
    table.add_column("pairs", justify="right")
    for name in CATEGORIES:
        table.add_row(name, _pct(result.categories[name]), str(result.category_counts[name]))
    table.add_row(
        Text("Overall", style="bold"), Text(_pct(result.overall), style="bold"), str(result.n_pairs)
    )
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
        Text("Overall", style="bold"),
        _pct(result.easy),
        _pct(result.normal),
        _pct(result.hard),
        Text(_pct(result.overall), style="bold"),
        str(n_prompts),
    )
    console.print(table)
    if result.missing_domains:
        warn(
            f"{', '.join(result.missing_domains)} "
            "(Overall is the mean of the domains present, not the full leaderboard figure)",
            label="missing domains:",
            err=False,
        )
    if result.single_order_accuracy is None and result.position_consistency is None:
        console.print(f"failed scores: {result.n_failed}", highlight=False)
    else:
        console.print(
            f"single-order accuracy {_pct(result.single_order_accuracy)}%, position consistency "
            f"{_pct(result.position_consistency)}%; failed verdicts: {result.n_failed}, "
            f"comparisons without a verdict: {result.n_missing}",
            highlight=False,
        )


def print_rmbench_matrix(result: RMBenchResult) -> None:
    """The 3x3 accuracy matrix (chosen style by rejected style) of each domain and pooled."""
    from ..bench.rmbench import STYLES

    table = Table(title="RM-Bench accuracy matrix (chosen style x rejected style)", title_justify="left")
    table.add_column("domain")
    table.add_column("chosen \\ rejected")
    for style in STYLES:
        table.add_column(style, justify="right")
    blocks: list[tuple[str | Text, Any]] = [(name, score.matrix) for name, score in result.domains.items()]
    blocks.append((Text("pooled", style="bold"), result.matrix))
    for name, matrix in blocks:
        for index, style in enumerate(STYLES):
            table.add_row(name if index == 0 else "", style, *(_pct(value) for value in matrix[index]))
    console.print(table)


# --------------------------------------------------------------------------------------------------------------
# Live judging: the options both benchmarks share


@dataclass(frozen=True)
class LiveRun(GenRMChoice):
    """How a benchmark is judged live, and where its records and scores go (the GenRM's prompt options too)."""

    single_game: bool = option(
        False,
        "--single-game",
        help="Judge each pair once, in the original order only (default: both orders).",
    )
    judge_name: str | None = option(
        None, "--judge-name", help="judge_name written into the records (default: rationalerm_genrm_<style>)."
    )
    restart: bool = option(False, "--restart", help="Discard an existing output instead of resuming.")
    limit: int | None = option(None, "--limit", help="Judge only the first N items.")
    judgments_output: Path | None = option(  # noqa: RUF009
        None, "--judgments-output", help="Where the judgments go; resumed."
    )
    output: Path | None = option(  # noqa: RUF009
        None, "--output", help="Write the scores as JSON (live runs default to <judgments file>.scores.json)."
    )

    def games(self) -> str:
        return "single game" if self.single_game else "both orders"

    def prepare(self, judge: Judge) -> tuple[Any, str]:
        """The GenRM settings and the judge name of a live run; ConfigError for options that cannot work."""
        from ..runs.bench import default_judge_name

        if not judge.judge_model:
            raise ConfigError("--data needs --judge-model (and --base-url or $OPENAI_BASE_URL)")
        if self.limit is not None and self.limit < 1:
            raise ConfigError("--limit must be at least 1")
        settings = self.settings(judge)
        return settings, self.judge_name or default_judge_name(settings)

    def records(self, default: str, data: list[str]) -> Path:
        """The records file (``--judgments-output``, else ``default`` here); ConfigError when it is an input."""
        from ..runs.runner import check_distinct_paths

        target = self.judgments_output or Path(safe_name(default))
        try:
            for source in data:
                check_distinct_paths(Path(source), target)
        except InputError as exc:  # options that point the output at an input: a usage error
            raise ConfigError(str(exc)) from exc
        return target

    def run(
        self,
        judge_items: Any,
        items: Any,
        *,
        label: str,
        judge: Judge,
        settings: Any,
        name: str,
        target: Path,
    ) -> Any:
        """Judge ``items`` with ``judge_items`` (bench_judgebench_async or bench_rmbench_async) resumably into ``target``."""

        async def work(pool: Any, **callbacks: Any) -> Any:
            options = {"single_game": self.single_game, "judge_name": name, "resume": not self.restart}
            return await judge_items(items, pool, settings, output=target, **options, **callbacks)

        return run_job(work, label=label, judge=judge, target=target)

    def finish(self, run: Any, target: Path, scores_name: str, title: str) -> None:
        """Save the scores (``--output``, else ``scores_name`` beside the records), then the run's counts (which
        exit non-zero when no record succeeded)."""
        counts = run.judgments
        line = (
            f"judgments: {counts.total} ({counts.ok} ok, {counts.parse_failed} unparseable, {counts.error} failed"
            f"; {counts.no_decision} without a decision)"
        )
        if counts.reasons:
            line += " - " + ", ".join(f"{reason} {n}" for reason, n in counts.reasons.most_common())
        console.print(line, highlight=False, soft_wrap=True)
        _save(self.output or target.with_name(scores_name), run.as_dict())
        print_run_summary(run.summary, title)


LIVE_JUDGE = shown(
    Judge(judge_model=None, timeout=300.0),  # type: ignore[arg-type]
    help={"judge_model": "The GenRM's model name on the server (live judging)."},
)


def live_options(limit: str, judgments_output: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options of a live benchmark command, with its help texts for --limit and --judgments-output."""
    live = shown(LiveRun(), help={"limit": limit, "judgments_output": judgments_output})
    return with_options(live=live, judge=LIVE_JUDGE)


def _one_of(existing: object, data: object, message: str) -> None:
    if (not existing) == (not data):
        raise ConfigError(message)


# --------------------------------------------------------------------------------------------------------------
# JudgeBench


@bench_app.command("judgebench")
@live_options(
    "Judge only the first N pairs.",
    "Where the judgments go, in JudgeBench's output layout; resumed if it exists "
    "(default: dataset=judgebench,response_model=...,judge_name=...,judge_model=....jsonl here).",
)
def judgebench_command(
    judgments: Annotated[
        Path | None,
        typer.Option(
            "--judgments", help="Score a file of judgments in JudgeBench's output layout (pair + judgments)."
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Judge live: a JudgeBench JSONL file, or a split of ScalerLab/JudgeBench: gpt, claude, "
            "ScalerLab/JudgeBench:gpt, or SNAPSHOT_FOLDER:gpt (the hub cache when HF_HUB_OFFLINE=1).",
        ),
    ] = None,
    *,
    live: LiveRun,
    judge: Judge,
) -> None:
    """JudgeBench with the official double-game rule: score existing judgments (--judgments) or judge live (--data).

    Live, the GenRM judges every pair twice, the second time with the responses swapped; overall, Knowledge,
    Reasoning, Math and Coding accuracy and position consistency are printed and saved with the failure counts.
    """
    _one_of(judgments, data, "give either --judgments FILE (score existing judgments) or --data (judge live)")
    if judgments is not None:
        from ..bench.judgebench import score_judgments_file

        result = score_judgments_file(judgments)
        print_judgebench(result, f"JudgeBench: {judgments.name}")
        _save(live.output, result.as_dict())
        return
    assert data is not None
    from ..runs.bench import bench_judgebench_async, load_judgebench_rows

    settings, name = live.prepare(judge)
    rows = load_judgebench_rows(data, limit=live.limit)
    model = f"response_model={rows[0]['response_model']},judge_name={name},judge_model={judge.judge_model}"
    target = live.records(f"dataset=judgebench,{model}.jsonl", [data])
    run = live.run(
        bench_judgebench_async,
        rows,
        label="JudgeBench",
        judge=judge,
        settings=settings,
        name=name,
        target=target,
    )
    print_judgebench(run.result, f"JudgeBench: {judge.judge_model} ({live.style} style, {live.games()})")
    live.finish(run, target, f"{target.stem}.scores.json", f"JudgeBench run ({len(rows)} pairs)")


# --------------------------------------------------------------------------------------------------------------
# RM-Bench


@bench_app.command("rmbench")
@live_options(
    "Judge only the first N prompts of each data file's domain.",
    "Where the pair verdicts go (JSONL, one row per comparison); resumed if it exists "
    "(default: rmbench,judge_name=...,judge_model=....verdicts.jsonl here).",
)
def rmbench_command(
    scores: Annotated[
        list[Path] | None,
        typer.Option(
            "--scores",
            help="Score RM-Bench result files with score_chosen/score_rejected per prompt (repeat for several "
            "files; the domain comes from each row's `domain` or the file name).",
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            help="Judge live: RM-Bench data files, a folder of the per-domain files, a snapshot folder of "
            "THU-KEG/RM-Bench (total_dataset.json), or the Hub id THU-KEG/RM-Bench (repeat for several).",
        ),
    ] = None,
    *,
    live: LiveRun,
    judge: Judge,
) -> None:
    """RM-Bench: score a scalar reward model's scores (--scores) or judge live with a GenRM (--data).

    Live, each prompt's 9 chosen-by-rejected comparisons are judged in both orders; a comparison is won only when
    the judge prefers the chosen response (ties lose). Easy/normal/hard per domain, the leaderboard Overall, the
    3x3 matrices, single-order accuracy and position consistency are printed and saved.
    """
    _one_of(scores, data, "give either --scores FILE... (score a reward model) or --data ... (judge live)")
    if scores:
        from ..bench.rmbench import score_rmbench_scores

        result = score_rmbench_scores(scores)
        print_rmbench(result, "RM-Bench")
        _save(live.output, result.as_dict())
        return
    assert data
    from ..runs.bench import bench_rmbench_async, load_rmbench_items

    settings, name = live.prepare(judge)
    items = load_rmbench_items(data, limit=live.limit)
    target = live.records(f"rmbench,judge_name={name},judge_model={judge.judge_model}.verdicts.jsonl", data)
    run = live.run(
        bench_rmbench_async, items, label="RM-Bench", judge=judge, settings=settings, name=name, target=target
    )
    print_rmbench(run.result, f"RM-Bench: {judge.judge_model} ({live.style} style, {live.games()})")
    print_rmbench_matrix(run.result)
    scores_name = f"{target.name.removesuffix('.jsonl')}.scores.json"
    live.finish(
        run, target, scores_name, f"RM-Bench run ({len(items)} prompts, {9 * len(items)} comparisons)"
    )
