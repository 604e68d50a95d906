"""Analyze MetaJudge runs: files in the released inference output layout (or written by ``rationalerm judge``) in,
per-model rationale-consistency metrics out, in ``paper`` or ``reference`` mode."""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data.rows import collecting
from ..errors import ConfigError
from ..io import RowProblem, collect_jsonl_paths, iter_jsonl
from ..parse import ParseFailure, extract_reference_scores, parse_metajudge_triples
from ..records import (
    CHECKLIST_SUFFIX,
    HUMAN_CHECKLIST_KEY,
    LABEL_SUFFIX,
    ModelResult,
    RecordError,
    discover_models,
    find_key,
    human_label_of,
    invalid_label,
    invalid_label_problem,
    invalid_labels_line,
    parse_direction,
    read_metajudge_row,
    validate_checklist,
)
from ..stats.consistency import (
    EVALUATION_CAP,
    MODES,
    PAPER,
    REFERENCE_MAX_CHECKLIST,
    paper_values,
    proportion_ci,
    reference_values,
    summarize_by_group,
)

SORT_KEYS = {"recall": "recall", "precision": "precision", "f1": "f1", "ap": "average_precision"}
SORT_KEYS["average_precision"] = "average_precision"


@dataclass
class AnalyzeReport:
    results: list[ModelResult]
    problems: list[RowProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # rows whose human ``label`` says no direction ("x", 3, NaN): reported, and left out of outcome accuracy
    invalid_labels: int = 0

    def invalid_labels_line(self) -> str | None:
        return invalid_labels_line(self.invalid_labels)

    def sorted(self, by: str = "recall") -> list[ModelResult]:
        key = SORT_KEYS.get(by)
        if key is None:
            raise ConfigError(f"unknown sort key {by!r}; choose from {', '.join(SORT_KEYS)}")
        return sorted(self.results, key=lambda r: (-getattr(r.summary, key), r.model))


MetricValues = tuple[float, float, float, float]  # (precision, recall, f1, AP) of one sample


@dataclass
class _ModelAccumulator:
    metrics: list[MetricValues] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    outcomes: list[bool] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)
    # Our own outputs carry sample ids: the last record of a sample wins (a resumed run may append a retry).
    by_id: dict[str, tuple[str, Any]] = field(default_factory=dict)


def analyze(
    paths: Iterable[str | os.PathLike[str]],
    *,
    model: str | None = None,
    mode: str = PAPER,
    max_model_items: int | None = EVALUATION_CAP,
    strict: bool = False,
    n_resamples: int = 1000,
    seed: int = 0,
    on_problem: Callable[[RowProblem], None] | None = None,
) -> AnalyzeReport:
    """Score MetaJudge answers per model.

    ``paths`` are files or folders (every ``*.jsonl`` inside). The model of a file is ``model`` when given, else
    the ``rationalerm.model`` of its rows, else the first ``*-checklist`` key of its first row (the released
    script's rule). Rows from several files with the same model are pooled. Bad rows become :class:`RowProblem`
    entries (or raise :class:`InputError` with ``strict``) and never stop the others. A human ``label`` that says no
    direction is reported with its file and line (the row still counts for rationale consistency) and counted in
    ``invalid_labels``.
    """
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    files = collect_jsonl_paths(paths)
    problems: list[RowProblem] = []
    report = collecting(problems, strict, on_problem)
    accumulators: dict[str, _ModelAccumulator] = {}
    invalid_labels: set[tuple[str, int]] = set()
    for path in files:
        name = str(path)
        file_model = model
        rows_seen = 0
        for line, row in iter_jsonl(path):
            if isinstance(row, RowProblem):
                report(row)
                continue
            rows_seen += 1
            try:
                metadata, text, prompt, block = _read_row(row)
            except RecordError as exc:
                report(RowProblem(name, line, exc.field, exc.message))
                continue
            row_model = model or block.get("model") or _judged_model(metadata, prompt, file_model)
            if row_model is None:
                report(RowProblem(name, line, "metadata", "no '<model>-checklist' key; pass --model"))
                continue
            file_model = file_model or row_model
            bad_label = invalid_label(metadata)
            if bad_label is not None:
                invalid_labels.add((name, line))
                report(invalid_label_problem(name, line, bad_label))
            acc = accumulators.get(row_model)
            if acc is None:
                acc = accumulators[row_model] = _ModelAccumulator()
            if name not in acc.sources:
                acc.sources.append(name)
            outcome = _score_row(metadata, text, block, row_model, mode, max_model_items, name, line, report)
            sample_id = block.get("sample_id")
            if sample_id is not None:
                acc.by_id[str(sample_id)] = outcome
            else:
                _add(acc, outcome)
        if rows_seen == 0:
            report(RowProblem(name, 0, None, "no usable rows (empty file?)"))
    for acc in accumulators.values():
        for outcome in acc.by_id.values():
            _add(acc, outcome)

    results = [
        _finish(name, mode, acc, n_resamples=n_resamples, seed=seed) for name, acc in accumulators.items()
    ]
    return AnalyzeReport(
        results=results, problems=problems, files=[str(p) for p in files], invalid_labels=len(invalid_labels)
    )


def _read_row(row: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None, dict[str, Any]]:
    """``(metadata, answer text, prompt, rationalerm block)`` of a row, read as
    :meth:`~rationalerm.records.MetaJudgeRecord.from_row` reads them, without building the record (which copies
    every other field of the row)."""
    metadata, text, prompt = read_metajudge_row(row)
    block = row.get("rationalerm")
    return metadata, text, prompt, block if isinstance(block, dict) else {}


def _judged_model(metadata: dict[str, Any], prompt: str | None, file_model: str | None) -> str | None:
    """The model a row was judged for, when the file does not say.

    One ``*-checklist`` key: that model. Several (an input file holding many models): the one whose first reason
    appears in the judge prompt, else the file's model, else the first key (the released script's rule).
    """
    found = _discover_cached(tuple(metadata))
    if len(found) <= 1:
        return found[0] if found else None
    if prompt:
        for candidate in found:
            items = metadata.get(candidate + CHECKLIST_SUFFIX)
            if isinstance(items, list) and items and isinstance(items[0], str) and items[0].strip() in prompt:
                return candidate
    return file_model if file_model in found else found[0]


@functools.lru_cache(maxsize=256)
def _discover_cached(keys: tuple[str, ...]) -> list[str]:
    # rows of one file share their keys: discover once per key layout, not once per row
    return discover_models(dict.fromkeys(keys))


def _add(acc: _ModelAccumulator, outcome: tuple[str, Any]) -> None:
    kind, value = outcome
    if kind == "ok":
        metrics, domain, correct = value
        acc.metrics.append(metrics)
        acc.domains.append(domain)
        if correct is not None:
            acc.outcomes.append(correct)
    elif kind == "failed":
        acc.failed[value] += 1
    else:
        acc.skipped[value] += 1


def _score_row(
    meta: dict[str, Any],
    text: str | None,
    block: dict[str, Any],
    model: str,
    mode: str,
    cap: int | None,
    path: str,
    line: int,
    report: Callable[[RowProblem], None],
) -> tuple[str, Any]:
    """("ok", (metrics, domain, outcome correct)) or ("failed", reason) or ("skipped", reason)."""
    if text is None:
        return "failed", "no_answer"
    reference_scores = None
    if mode != PAPER:
        # The released script checks the answer before anything else.
        extracted = extract_reference_scores(text)
        if isinstance(extracted, ParseFailure):
            return "failed", extracted.reason
        reference_scores = extracted
    # The row's own spellings of the keys (compared case-insensitively; see records.model_keys).
    checklist_key = find_key(meta, model + CHECKLIST_SUFFIX)
    human_key = find_key(meta, HUMAN_CHECKLIST_KEY)
    try:
        if human_key is None:
            raise RecordError(f"metadata.{HUMAN_CHECKLIST_KEY}", "missing")
        if checklist_key is None:
            raise RecordError(f"metadata.{model}{CHECKLIST_SUFFIX}", "missing")
        human = validate_checklist(meta[human_key], f"metadata.{human_key}")
        model_list = validate_checklist(meta[checklist_key], f"metadata.{checklist_key}")
    except RecordError as exc:
        report(RowProblem(path, line, exc.field, exc.message))
        return "skipped", "invalid_row"
    assert human is not None and model_list is not None
    domain = str(meta.get("domain") or "unknown")
    metrics: MetricValues | None
    if mode == PAPER:
        if not human:
            return "skipped", "empty_human_checklist"
        sent = block.get("model_items_sent")
        n_seen = sent if isinstance(sent, int) and sent >= 0 else len(model_list)
        parsed = parse_metajudge_triples(text, len(human), n_seen)
        if isinstance(parsed, ParseFailure):
            return "failed", parsed.reason
        metrics = paper_values(parsed, len(human), n_seen, cap)
    else:
        if len(model_list) > REFERENCE_MAX_CHECKLIST:
            return "skipped", "model_list_over_10"
        if not model_list:
            return "skipped", "empty_model_list"
        assert reference_scores is not None
        metrics = reference_values(reference_scores, len(human), min(len(model_list), EVALUATION_CAP))
        if metrics is None:
            return "failed", "wrong_line_count"
    return "ok", (metrics, domain, _outcome_correct(meta, model))


def _outcome_correct(meta: dict[str, Any], model: str) -> bool | None:
    human = human_label_of(meta)
    label_key = find_key(meta, model + LABEL_SUFFIX)
    if human is None or label_key is None:
        return None
    return parse_direction(meta[label_key]) == human


def _finish(model: str, mode: str, acc: _ModelAccumulator, *, n_resamples: int, seed: int) -> ModelResult:
    table = np.array(acc.metrics, dtype=float).reshape(-1, 4)
    summary, by_domain = summarize_by_group(table, acc.domains, n_resamples=n_resamples, seed=seed)
    accuracy, accuracy_ci = proportion_ci(acc.outcomes, n_resamples=n_resamples, seed=seed)
    return ModelResult(
        model=model,
        mode=mode,
        summary=summary,
        valid=len(acc.metrics),
        parse_failed=sum(acc.failed.values()),
        skipped=sum(acc.skipped.values()),
        skip_reasons=dict(acc.skipped),
        failure_reasons=dict(acc.failed),
        by_domain=by_domain,
        outcome_accuracy=accuracy if acc.outcomes else None,
        outcome_n=len(acc.outcomes),
        outcome_ci=accuracy_ci,
        sources=acc.sources,
    )
