"""Live judging on JudgeBench and RM-Bench: the GenRM judges each pair in both orders, the official rules score it.

:func:`bench_judgebench_async` (sync :func:`bench_judgebench`; before issue 18 ``judge_judgebench``) writes one record per pair in JudgeBench's own output layout: the pair's fields plus
``judge_name`` and ``judgments``, a list of one or two ``{"judgment": <answer text>, "decision": "A>B" | "B>A" |
"A=B" | null}`` objects, the second judged with the responses swapped and its decision written in the swapped frame,
exactly as JudgeBench writes them. So :func:`~rationalerm.bench.judgebench.score_judgments_file` scores our own
output and the published runs with the same code.

:func:`bench_rmbench_async` (sync :func:`bench_rmbench`; before issue 18 ``judge_rmbench``) judges the 9 (chosen i, rejected j) comparisons of each prompt, each in both orders, and
writes one :class:`~rationalerm.bench.rmbench.PairVerdict` row per comparison (plus an ``id``), scored by
:func:`~rationalerm.bench.rmbench.score_rmbench_verdicts`.

Both runs go through the shared resumable runner of :mod:`rationalerm.runs.runner` (append-only output,
one flushed line per record, a final atomic rewrite in input order; a resumed run keeps the records that ended
``ok`` and asks again for the others). The bookkeeping of each record sits beside the benchmark's fields:
``rationalerm-status`` / ``-reason`` / ``-detail`` / ``-provenance`` (what the runner resumes by) and
``rationalerm-games``, one block per order with its status, reason, raw verdict (in the frame it was asked in) and
reasons. A decision stays null when no verdict could be read; a verdict read from an answer that was otherwise
unusable (the ``rationalerm`` style wants reasons too) is kept, since only the verdict counts for the outcome.

Requests run concurrently: the runner keeps many records in flight and the pool bounds the requests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, Unpack

from ..bench.judgebench import (
    PAIR_FIELDS,
    JudgeBenchPair,
    JudgeBenchResult,
    judged_pair_from_row,
    pair_from_row,
    score_judged_pairs,
)
from ..bench.rmbench import (
    PairVerdict,
    RMBenchItem,
    RMBenchResult,
    score_rmbench_verdicts,
)
from ..bench.rules import require_file, row_problem
from ..data.rmbench import require_unique
from ..io import InputError, RowProblem, iter_jsonl
from ..llm import JudgePool
from ..records import Direction, RecordError
from .generate import GenRMJudgment, GenRMSettings, genrm_provenance, judge_pair
from .generate import output_layout as genrm_layout
from .runner import OK, PARSE_FAILED, OutputLayout, RowOutcome, RunOptions, RunSummary, run_rows, sync_form

Benchmark = Literal["judgebench", "rmbench"]
T = TypeVar("T")

PREFIX = "rationalerm"
GAMES_KEY = f"{PREFIX}-games"
# Resumed records must come from the same judge, prompt, style, orders and benchmark.
LAYOUT = OutputLayout(f"{PREFIX}-", (*genrm_layout(PREFIX).resume_keys, "benchmark"))

DECISION_TEXT: dict[Direction, str] = {1: "A>B", 2: "B>A", 0: "A=B"}
ORDERS = ("original", "swapped")


def decision_text(verdict: Direction | None) -> str | None:
    """A verdict as JudgeBench writes a decision: ``A>B``, ``B>A``, ``A=B``; None stays None."""
    return None if verdict is None else DECISION_TEXT[verdict]


def default_judge_name(settings: GenRMSettings) -> str:
    """The ``judge_name`` written into JudgeBench records (JudgeBench names the judge type, e.g. ``arena_hard``;
    the model is in the provenance)."""
    return f"rationalerm_genrm_{settings.style}"


# --------------------------------------------------------------------------------------------------------------
# Counting judgments and the result of a run


@dataclass(slots=True)
class JudgmentCounts:
    """Every judgment (one per order) of the records a run scored, by status, with the failure reasons."""

    total: int = 0
    ok: int = 0
    parse_failed: int = 0
    error: int = 0
    no_decision: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def failed(self) -> int:
        return self.parse_failed + self.error

    def add_games(self, games: object) -> None:
        for game in games if isinstance(games, list) else []:
            if not isinstance(game, Mapping):
                continue
            self.total += 1
            status = game.get("status")
            if status == OK:
                self.ok += 1
            elif status == PARSE_FAILED:
                self.parse_failed += 1
            else:
                self.error += 1
            if status != OK and game.get("reason"):
                self.reasons[str(game["reason"])] += 1
            if game.get("verdict") is None:
                self.no_decision += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "ok": self.ok,
            "parse_failed": self.parse_failed,
            "error": self.error,
            "failed": self.failed,
            "no_decision": self.no_decision,
            "reasons": dict(self.reasons),
        }


@dataclass(slots=True)
class BenchRun:
    """A live benchmark run: the official scores, what the run did, and every judgment's status."""

    benchmark: Benchmark
    result: JudgeBenchResult | RMBenchResult
    summary: RunSummary
    judgments: JudgmentCounts
    output: Path

    def as_dict(self) -> dict[str, Any]:
        """Every figure of the result, then the judgment counts and the run (the saved scores JSON)."""
        return {
            "benchmark": self.benchmark,
            **self.result.as_dict(),
            "judgments": self.judgments.as_dict(),
            "judgments_file": str(self.output),
            "run": self.summary.as_dict(),
        }


# --------------------------------------------------------------------------------------------------------------
# Shared pieces


def _game_block(order: str, game: GenRMJudgment, *, keep_text: bool) -> dict[str, Any]:
    block: dict[str, Any] = {
        "order": order,
        "status": game.status,
        "reason": game.reason,
        "detail": game.detail,
        "verdict": game.verdict,
        "reasons": game.reasons,
        "cached": bool(game.completion and game.completion.cached),
    }
    if keep_text:
        block["text"] = game.text
    return block


def _game_blocks(games: Sequence[GenRMJudgment], *, keep_text: bool) -> list[dict[str, Any]]:
    return [
        _game_block(order, game, keep_text=keep_text)
        for order, game in zip(ORDERS[: len(games)], games, strict=True)
    ]


def _combined_status(games: Sequence[GenRMJudgment]) -> tuple[str, str | None, str | None]:
    """The record's status: ``ok`` when every order is; else the first order that is not (the swapped one's reason
    prefixed ``swap:``, as ``generate --swap`` writes it)."""
    for order, game in zip(ORDERS[: len(games)], games, strict=True):
        if not game.ok:
            reason = game.reason if order == "original" else f"swap:{game.reason}"
            return game.status, reason, game.detail
    return OK, None, None


async def _both_orders(
    pool: JudgePool,
    prompt: str,
    first: str,
    second: str,
    settings: GenRMSettings,
    single_game: bool,
) -> list[GenRMJudgment]:
    calls = [judge_pair(pool, prompt, first, second, settings=settings)]
    if not single_game:
        calls.append(judge_pair(pool, prompt, second, first, settings=settings))
    return list(await asyncio.gather(*calls))


def _bench_provenance(
    pool: JudgePool, settings: GenRMSettings, benchmark: Benchmark, single_game: bool
) -> dict[str, Any]:
    return {**genrm_provenance(pool, settings, swap=not single_game), "benchmark": benchmark}


async def _run_and_read(
    benchmark: Benchmark,
    rows: list[dict[str, Any]],
    target: Path,
    prov: Mapping[str, Any],
    process: Callable[[dict[str, Any]], Awaitable[RowOutcome]],
    pool: JudgePool,
    keys: set[str],
    key_field: str,
    from_row: Callable[[Mapping[str, Any]], T],
    **options: Any,
) -> tuple[RunSummary, JudgmentCounts, list[T]]:
    """Run ``rows`` through the resumable runner into ``target``, then read back the records of this run's keys (a
    file may also hold records of earlier inputs): the run, its judgments counted, each record as ``from_row``
    reads it (an :class:`InputError` naming the file for a record it refuses)."""
    summary = await run_rows(
        ((index, row) for index, row in enumerate(rows, start=1)),
        target,
        source_name=f"<{benchmark}>",
        task=f"bench:{benchmark}",
        layout=LAYOUT,
        provenance=prov,
        process=process,
        pool=pool,
        total_hint=len(rows),
        **options,
    )
    counts, records = JudgmentCounts(), []
    for line, row in iter_jsonl(target):
        if isinstance(row, RowProblem):
            raise InputError(RowProblem(str(target), line, None, f"output is damaged: {row.message}"))
        if str(row.get(key_field)) not in keys:
            continue
        counts.add_games(row.get(GAMES_KEY))
        try:
            records.append(from_row(row))
        except RecordError as exc:
            raise InputError(RowProblem(str(target), 0, exc.field, exc.message)) from None
    return summary, counts, records


# --------------------------------------------------------------------------------------------------------------
# JudgeBench


def judgebench_row(pair: JudgeBenchPair) -> dict[str, Any]:
    """A pair back in JudgeBench's row layout (label as ``A>B`` / ``B>A``)."""
    return {
        "pair_id": pair.pair_id,
        "original_id": pair.original_id,
        "source": pair.source,
        "question": pair.question,
        "response_model": pair.response_model,
        "response_A": pair.response_A,
        "response_B": pair.response_B,
        "label": decision_text(pair.label),
    }


def _judgebench_rows(pairs: Iterable[JudgeBenchPair | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the JudgeBench layout, checked; a raw row keeps its values as written (``original_id`` an int)."""
    rows: list[dict[str, Any]] = []
    for index, pair in enumerate(pairs, start=1):
        if isinstance(pair, JudgeBenchPair):
            rows.append(judgebench_row(pair))
            continue
        try:
            pair_from_row(pair)
        except RecordError as exc:
            raise InputError(row_problem("<pairs>", 0, exc, element=index)) from None
        rows.append({key: pair.get(key) for key in PAIR_FIELDS})
    return rows


def load_judgebench_rows(data: str | os.PathLike[str], *, limit: int | None = None) -> list[dict[str, Any]]:
    """JudgeBench pairs as rows of its layout: a local JSONL file (rows kept as written), or a split of the Hub
    dataset or of a snapshot folder of it (``gpt``, ``claude``, ``ScalerLab/JudgeBench:gpt``, ``FOLDER:claude``;
    see :func:`rationalerm.data.load_judgebench`). A bad row is an :class:`InputError` naming file, line
    and field: a skipped pair would change the score's denominator. ``limit``: the first N pairs."""
    text = str(data)
    if not Path(text).is_file():
        from ..data.judgebench import load_judgebench

        rows = [judgebench_row(pair) for pair in load_judgebench(text)]
        return rows[:limit] if limit is not None else rows
    require_file(data)
    rows = []
    for line, row in iter_jsonl(data):
        if limit is not None and len(rows) >= limit:
            break
        if isinstance(row, RowProblem):
            raise InputError(row)
        try:
            pair_from_row(row)
        except RecordError as exc:
            raise InputError(row_problem(text, line, exc)) from None
        rows.append({key: row.get(key) for key in PAIR_FIELDS})
    if not rows:
        raise InputError(RowProblem(text, 0, None, "no JudgeBench pair"))
    return rows


async def bench_judgebench_async(
    pairs: Iterable[JudgeBenchPair | Mapping[str, Any]],
    pool: JudgePool,
    settings: GenRMSettings | None = None,
    *,
    output: str | os.PathLike[str],
    single_game: bool = False,
    judge_name: str | None = None,
    **options: Unpack[RunOptions],
) -> BenchRun:
    """Judge every JudgeBench pair (original order, and swapped unless ``single_game``) and score the run.

    ``pairs`` are :class:`JudgeBenchPair` objects or rows of JudgeBench's layout; ``output`` receives one record
    per pair in JudgeBench's output layout (see the module docstring), resumably. The scores are those of the
    records of these pairs, computed from the file as written, so scoring the file later gives the same figures.
    """
    settings = settings or GenRMSettings()
    judge_name = judge_name or default_judge_name(settings)
    rows = _judgebench_rows(pairs)
    if not rows:
        raise InputError(RowProblem("<pairs>", 0, None, "no JudgeBench pair to judge"))
    target = Path(output)
    prov = _bench_provenance(pool, settings, "judgebench", single_game)

    async def process(row: dict[str, Any]) -> RowOutcome:
        pair = pair_from_row(row)
        games = await _both_orders(
            pool, pair.question, pair.response_A, pair.response_B, settings, single_game
        )
        out = {key: row.get(key) for key in PAIR_FIELDS}
        out["judge_name"] = judge_name
        out["judgments"] = [
            {"judgment": game.text, "decision": decision_text(game.verdict)} for game in games
        ]
        out[GAMES_KEY] = _game_blocks(games, keep_text=False)
        return LAYOUT.outcome(out, *_combined_status(games), prov, [game.completion for game in games])

    keys = {str(row["pair_id"]) for row in rows}
    summary, counts, judged = await _run_and_read(
        "judgebench",
        rows,
        target,
        prov,
        process,
        pool,
        keys,
        "pair_id",
        judged_pair_from_row,
        **options,
    )
    result = score_judged_pairs(judged, judge_name=judge_name)
    return BenchRun("judgebench", result, summary, counts, target)


# --------------------------------------------------------------------------------------------------------------
# RM-Bench


def comparison_key(item: RMBenchItem, chosen_index: int, rejected_index: int) -> str:
    """The resume key of one comparison: ``<source domain>/<prompt id>/c<i>r<j>``."""
    return f"{item.source_domain}/{item.id}/c{chosen_index}r{rejected_index}"


def load_rmbench_items(
    data: Sequence[str | os.PathLike[str]], *, limit: int | None = None
) -> list[RMBenchItem]:
    """RM-Bench prompts from data files, folders of the published per-domain files, or the hub name
    (``THU-KEG/RM-Bench``). ``limit``: the first N prompts of each source domain (chat, code, safety-refuse...),
    so a short run still covers every domain."""
    from ..data.rmbench import load_rmbench

    items: list[RMBenchItem] = [item for source in data for item in load_rmbench(source)]
    if limit is not None:
        taken: Counter[str] = Counter()
        kept = []
        for item in items:
            if taken[item.source_domain] < limit:
                taken[item.source_domain] += 1
                kept.append(item)
        items = kept
    if not items:
        raise InputError(RowProblem(", ".join(map(str, data)), 0, None, "no RM-Bench prompt"))
    return items


async def bench_rmbench_async(
    items: Iterable[RMBenchItem],
    pool: JudgePool,
    settings: GenRMSettings | None = None,
    *,
    output: str | os.PathLike[str],
    single_game: bool = False,
    judge_name: str | None = None,
    **options: Unpack[RunOptions],
) -> BenchRun:
    """Judge the 9 chosen-by-rejected comparisons of every RM-Bench prompt, each in both orders (chosen shown as A,
    then as B) unless ``single_game``, and score them with the official matrix rules.

    ``output`` receives one :class:`PairVerdict` row per comparison (plus ``id``, ``subset`` and the bookkeeping),
    resumably; the progress callbacks count comparisons. A prompt given twice (same leaderboard domain and id:
    the scorer could not tell them apart) is an :class:`InputError`.
    """
    settings = settings or GenRMSettings()
    judge_name = judge_name or default_judge_name(settings)
    items = list(items)
    if not items:
        raise InputError(RowProblem("<items>", 0, None, "no RM-Bench prompt to judge"))
    require_unique(items, "<items>", "given twice")
    target = Path(output)
    prov = _bench_provenance(pool, settings, "rmbench", single_game)
    comparisons: dict[str, tuple[RMBenchItem, int, int]] = {}
    rows: list[dict[str, Any]] = []
    for item in items:
        for i, j, _, _ in item.comparisons():
            key = comparison_key(item, i, j)
            comparisons[key] = (item, i, j)
            rows.append({"id": key})

    async def process(row: dict[str, Any]) -> RowOutcome:
        item, i, j = comparisons[row["id"]]
        games = await _both_orders(pool, item.prompt, item.chosen[i], item.rejected[j], settings, single_game)
        verdict = PairVerdict(
            prompt_id=item.id,
            domain=item.source_domain,
            chosen_index=i,
            rejected_index=j,
            decision_original=games[0].verdict,
            decision_swapped=None if single_game else games[1].verdict,
            swapped_judged=not single_game,
        )
        out: dict[str, Any] = {"id": row["id"], **verdict.to_row(), "subset": item.subset}
        out["judge_name"] = judge_name
        out[GAMES_KEY] = _game_blocks(games, keep_text=True)
        return LAYOUT.outcome(out, *_combined_status(games), prov, [game.completion for game in games])

    summary, counts, verdicts = await _run_and_read(
        "rmbench",
        rows,
        target,
        prov,
        process,
        pool,
        set(comparisons),
        "id",
        PairVerdict.from_row,
        **options,
    )
    result = dataclasses.replace(score_rmbench_verdicts(verdicts), judge_name=judge_name)
    return BenchRun("rmbench", result, summary, counts, target)


bench_judgebench, bench_rmbench = sync_form(bench_judgebench_async), sync_form(bench_rmbench_async)

__all__ = [
    "DECISION_TEXT",
    "GAMES_KEY",
    "LAYOUT",
    "BenchRun",
    "JudgmentCounts",
    "bench_judgebench",
    "bench_judgebench_async",
    "bench_rmbench",
    "bench_rmbench_async",
    "comparison_key",
    "decision_text",
    "default_judge_name",
    "judgebench_row",
    "load_judgebench_rows",
    "load_rmbench_items",
]
