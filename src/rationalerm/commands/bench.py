"""``rationalerm bench``: outcome accuracy on JudgeBench and RM-Bench with their official scoring rules.

Each command either scores results that already exist (``--judgments``: JudgeBench output files; ``--scores``:
RM-Bench per-response scores of a scalar reward model) or judges live (``--data`` with ``--judge-model`` and
``--base-url``): the GenRM judges every pair in both orders through the engine, the records are written resumably
(JudgeBench's own output layout; RM-Bench :class:`~rationalerm.bench.rmbench.PairVerdict` rows), and the same
scorers score them. The scores are printed and saved as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..cli import app, console, fail, warn
from .generate import (
    ApiKeyOpt,
    BaseUrlOpt,
    CacheOpt,
    ConcurrencyOpt,
    FormatRetriesOpt,
    NoCacheOpt,
    RestartOpt,
    RetriesOpt,
    SeedOpt,
    TimeoutOpt,
    print_run_summary,
    run_judge_side,
)

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


def _safe(text: str) -> str:
    """Text usable in a file name (a model path's ``/`` becomes ``_``, as JudgeBench names its outputs)."""
    return "".join(c if c.isalnum() or c in "-_.=," else "_" for c in text)


def _genrm_settings(
    *,
    style: str,
    max_reasons: int,
    temperature: float,
    max_tokens: int,
    seed: int | None,
    max_format_retries: int,
) -> Any:
    from ..workflows.generate import GenRMSettings

    if style not in ("rationalerm", "ralign"):
        raise fail(f"--style must be rationalerm or ralign, not {style!r}", 2)
    if max_reasons < 0:
        raise fail("--max-reasons must be 0 (no cap) or more", 2)
    return GenRMSettings(
        style=style,  # type: ignore[arg-type]
        max_reasons=max_reasons or None,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        max_format_retries=max_format_retries,
    )


def _check_live(*, judge_model: str | None, limit: int | None) -> str:
    if not judge_model:
        raise fail("--data needs --judge-model (and --base-url or $OPENAI_BASE_URL)", 2)
    if limit is not None and limit < 1:
        raise fail("--limit must be at least 1", 2)
    return judge_model


def _check_not_input(target: Path, inputs: list[str]) -> None:
    from ..io import InputError
    from ..workflows.judge_side import check_distinct_paths

    for source in inputs:
        try:
            check_distinct_paths(Path(source), target)
        except InputError as exc:
            raise fail(str(exc), 2) from None


def _report_judgments(run: Any) -> None:
    counts = run.judgments
    line = (
        f"judgments: {counts.total} ({counts.ok} ok, {counts.parse_failed} unparseable, {counts.error} failed"
        f"; {counts.no_decision} without a decision)"
    )
    if counts.reasons:
        line += " - " + ", ".join(f"{reason} {n}" for reason, n in counts.reasons.most_common())
    console.print(line, highlight=False, soft_wrap=True)


def _finish_live(run: Any, scores_path: Path, title: str) -> None:
    """Save the scores, then the run's counts (which exit non-zero when no record succeeded)."""
    _report_judgments(run)
    _save(scores_path, run.as_dict())
    print_run_summary(run.summary, title)


JudgeModelOpt = Annotated[
    str | None, typer.Option("--judge-model", help="The GenRM's model name on the server (live judging).")
]
StyleOpt = Annotated[
    str, typer.Option("--style", help="GenRM prompt style: rationalerm (5-way) or ralign (A or B).")
]
SingleGameOpt = Annotated[
    bool,
    typer.Option(
        "--single-game", help="Judge each pair once, in the original order only (default: both orders)."
    ),
]
MaxReasonsOpt = Annotated[int, typer.Option("--max-reasons", help="Reasons asked for and kept (0 = no cap).")]
TemperatureOpt = Annotated[float, typer.Option("--temperature")]
MaxTokensOpt = Annotated[int, typer.Option("--max-tokens")]
JudgeNameOpt = Annotated[
    str | None,
    typer.Option(
        "--judge-name", help="judge_name written into the records (default: rationalerm_genrm_<style>)."
    ),
]
ScoresOutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        help="Write the scores as JSON (live runs default to <judgments file>.scores.json).",
    ),
]


# --------------------------------------------------------------------------------------------------------------
# JudgeBench


@bench_app.command("judgebench")
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
    judge_model: JudgeModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    style: StyleOpt = "rationalerm",
    single_game: SingleGameOpt = False,
    max_reasons: MaxReasonsOpt = 5,
    concurrency: ConcurrencyOpt = 64,
    temperature: TemperatureOpt = 0.6,
    max_tokens: MaxTokensOpt = 8192,
    seed: SeedOpt = None,
    max_retries: RetriesOpt = 5,
    max_format_retries: FormatRetriesOpt = 2,
    timeout: TimeoutOpt = 300.0,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    restart: RestartOpt = False,
    judge_name: JudgeNameOpt = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Judge only the first N pairs.")] = None,
    judgments_output: Annotated[
        Path | None,
        typer.Option(
            "--judgments-output",
            help="Where the judgments go, in JudgeBench's output layout; resumed if it exists "
            "(default: dataset=judgebench,response_model=...,judge_name=...,judge_model=....jsonl here).",
        ),
    ] = None,
    output: ScoresOutputOpt = None,
) -> None:
    """JudgeBench with the official double-game rule: score existing judgments (--judgments) or judge live (--data).

    Live, the GenRM judges every pair twice, the second time with the responses swapped; overall, Knowledge,
    Reasoning, Math and Coding accuracy and position consistency are printed and saved with the failure counts.
    """
    from ..io import InputError

    if (judgments is None) == (data is None):
        raise fail("give either --judgments FILE (score existing judgments) or --data (judge live)", 2)
    if judgments is not None:
        from ..bench.judgebench import score_judgments_file

        try:
            result = score_judgments_file(judgments)
        except InputError as exc:
            raise fail(str(exc)) from None
        print_judgebench(result, f"JudgeBench: {judgments.name}")
        _save(output, result.as_dict())
        return
    assert data is not None
    from ..workflows.bench import default_judge_name, judge_judgebench, load_judgebench_rows

    model = _check_live(judge_model=judge_model, limit=limit)
    settings = _genrm_settings(
        style=style,
        max_reasons=max_reasons,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        max_format_retries=max_format_retries,
    )
    name = judge_name or default_judge_name(settings)
    try:
        rows = load_judgebench_rows(data, limit=limit)
    except (InputError, ImportError, ValueError) as exc:
        raise fail(str(exc)) from None
    target = judgments_output or Path(
        _safe(
            f"dataset=judgebench,response_model={rows[0]['response_model']},judge_name={name},"
            f"judge_model={model}"
        )
        + ".jsonl"
    )
    _check_not_input(target, [data])
    scores_path = output or target.with_name(f"{target.stem}.scores.json")

    async def work(pool: Any, **callbacks: Any) -> Any:
        return await judge_judgebench(
            rows,
            pool,
            settings,
            output=target,
            single_game=single_game,
            judge_name=name,
            resume=not restart,
            **callbacks,
        )

    run = run_judge_side(
        label="JudgeBench",
        judge_model=model,
        base_url=base_url,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        cache=cache,
        no_cache=no_cache,
        target=target,
        work=work,
    )
    games = "single game" if single_game else "both orders"
    print_judgebench(run.result, f"JudgeBench: {model} ({style} style, {games})")
    _finish_live(run, scores_path, f"JudgeBench run ({len(rows)} pairs)")


# --------------------------------------------------------------------------------------------------------------
# RM-Bench


@bench_app.command("rmbench")
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
    judge_model: JudgeModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    style: StyleOpt = "rationalerm",
    single_game: SingleGameOpt = False,
    max_reasons: MaxReasonsOpt = 5,
    concurrency: ConcurrencyOpt = 64,
    temperature: TemperatureOpt = 0.6,
    max_tokens: MaxTokensOpt = 8192,
    seed: SeedOpt = None,
    max_retries: RetriesOpt = 5,
    max_format_retries: FormatRetriesOpt = 2,
    timeout: TimeoutOpt = 300.0,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    restart: RestartOpt = False,
    judge_name: JudgeNameOpt = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Judge only the first N prompts of each data file's domain.")
    ] = None,
    judgments_output: Annotated[
        Path | None,
        typer.Option(
            "--judgments-output",
            help="Where the pair verdicts go (JSONL, one row per comparison); resumed if it exists "
            "(default: rmbench,judge_name=...,judge_model=....verdicts.jsonl here).",
        ),
    ] = None,
    output: ScoresOutputOpt = None,
) -> None:
    """RM-Bench: score a scalar reward model's scores (--scores) or judge live with a GenRM (--data).

    Live, each prompt's 9 chosen-by-rejected comparisons are judged in both orders; a comparison is won only when
    the judge prefers the chosen response (ties lose). Easy/normal/hard per domain, the leaderboard Overall, the
    3x3 matrices, single-order accuracy and position consistency are printed and saved.
    """
    from ..io import InputError

    if (not scores) == (not data):
        raise fail("give either --scores FILE... (score a reward model) or --data ... (judge live)", 2)
    if scores:
        from ..bench.rmbench import score_rmbench_scores

        try:
            result = score_rmbench_scores(scores)
        except InputError as exc:
            raise fail(str(exc)) from None
        print_rmbench(result, "RM-Bench")
        _save(output, result.as_dict())
        return
    assert data
    from ..workflows.bench import default_judge_name, judge_rmbench, load_rmbench_items

    model = _check_live(judge_model=judge_model, limit=limit)
    settings = _genrm_settings(
        style=style,
        max_reasons=max_reasons,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        max_format_retries=max_format_retries,
    )
    name = judge_name or default_judge_name(settings)
    try:
        items = load_rmbench_items(data, limit=limit)
    except (InputError, ImportError, ValueError) as exc:
        raise fail(str(exc)) from None
    target = judgments_output or Path(
        _safe(f"rmbench,judge_name={name},judge_model={model}") + ".verdicts.jsonl"
    )
    _check_not_input(target, data)
    scores_path = output or target.with_name(f"{target.name.removesuffix('.jsonl')}.scores.json")

    async def work(pool: Any, **callbacks: Any) -> Any:
        return await judge_rmbench(
            items,
            pool,
            settings,
            output=target,
            single_game=single_game,
            judge_name=name,
            resume=not restart,
            **callbacks,
        )

    run = run_judge_side(
        label="RM-Bench",
        judge_model=model,
        base_url=base_url,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        cache=cache,
        no_cache=no_cache,
        target=target,
        work=work,
    )
    games = "single game" if single_game else "both orders"
    print_rmbench(run.result, f"RM-Bench: {model} ({style} style, {games})")
    print_rmbench_matrix(run.result)
    _finish_live(run, scores_path, f"RM-Bench run ({len(items)} prompts, {9 * len(items)} comparisons)")
