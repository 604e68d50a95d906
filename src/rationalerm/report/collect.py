"""What goes into the HTML report, found from folders or files (:func:`collect_inputs`).

* ``evaluate`` folders (``summary.json`` + ``samples.jsonl``), with the input data file named in the run's
  provenance (:func:`locate_input`) for the "right for the wrong reasons" cases;
* JSON files with ``l_acc`` / ``s_corr`` / ``f_score`` (MetaRM runs, any common spelling: :func:`find_ralign`);
* ``bench judgebench`` / ``bench rmbench`` ``--output`` JSON files;
* ``tag`` output JSONL files.

A path that does not exist is an :class:`~rationalerm.errors.InputError`; a file of an unknown kind is skipped with
a note, never silently.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.helpsteer3 import load_samples
from ..data.outputs import SAMPLES_FILE, SUMMARY_FILE, EvaluateRun, is_evaluate_summary
from ..data.outputs import load_evaluate_run as _load_run
from ..errors import InputError
from ..io import iter_jsonl
from ..records import MetricSummary, ModelResult, PreferenceSample
from ..stats.tags import is_tag_record


@dataclass(frozen=True, slots=True)
class RAlignRow:
    """One model's R-Align figures in percent (``s_corr`` may be None when no verdict was valid)."""

    model: str
    l_acc: float
    s_corr: float | None
    f_score: float
    n: int | None
    source: str


@dataclass(frozen=True, slots=True)
class BenchResult:
    """A ``bench judgebench`` or ``bench rmbench`` output: ``kind`` is ``judgebench`` or ``rmbench``."""

    kind: str
    name: str
    data: dict[str, Any]


@dataclass(slots=True)
class ReportInputs:
    """Everything found in the paths given to the report, and notes about what was skipped and why."""

    runs: list[EvaluateRun] = field(default_factory=list)
    ralign: list[RAlignRow] = field(default_factory=list)
    benches: list[BenchResult] = field(default_factory=list)
    tag_records: list[dict[str, Any]] = field(default_factory=list)
    tag_sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.runs or self.ralign or self.benches or self.tag_records)


def _norm(key: str) -> str:
    return re.sub(r"[^a-z]", "", key.lower())


_RALIGN_KEYS = {
    "l_acc": ("lacc", "labelacc", "labelaccuracy"),
    "s_corr": ("scorr", "spuriouscorrectness", "spuriouscorr"),
    "f_score": ("fscore", "fidelityscore"),
}
_NAME_KEYS = ("model", "genrm", "genrmmodel", "judgedmodel", "name", "judgename", "judgemodel")


def _ralign_value(record: Mapping[str, Any], metric: str) -> tuple[float | None, bool]:
    """(value, is_percent) for ``metric`` in a record; ``*_pct`` keys are preferred and are percentages."""
    keys = {_norm(k): v for k, v in record.items()}
    for alias in _RALIGN_KEYS[metric]:
        value = keys.get(alias + "pct")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value), True
    for alias in _RALIGN_KEYS[metric]:
        value = keys.get(alias)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value), False
    return None, False


def find_ralign(data: Any, source: str, default_name: str) -> list[RAlignRow]:
    """R-Align rows anywhere in parsed JSON: a record with L-Acc and F-Score (any common spelling: ``l_acc``,
    ``label_acc``, ``L-Acc`` ...), or lists / mappings of such records (a mapping's key names its model).
    Fractions are turned into percentages."""
    found: list[RAlignRow] = []

    def visit(node: Any, name: str, depth: int) -> None:
        if depth > 3:
            return
        if isinstance(node, list):
            for item in node:
                visit(item, name, depth + 1)
            return
        if not isinstance(node, Mapping):
            return
        l_acc, l_pct = _ralign_value(node, "l_acc")
        f_score, f_pct = _ralign_value(node, "f_score")
        if l_acc is not None and f_score is not None:
            s_corr, s_pct = _ralign_value(node, "s_corr")
            keys = {_norm(k): v for k, v in node.items()}
            label = next((str(keys[k]) for k in _NAME_KEYS if isinstance(keys.get(k), str) and keys[k]), name)
            percent = l_pct or f_pct or max(l_acc, f_score, s_corr or 0.0) > 1.0

            def scale(value: float | None, is_pct: bool) -> float | None:
                return None if value is None else (value if is_pct or percent else 100.0 * value)

            n = node.get("n")
            found.append(
                RAlignRow(
                    label,
                    scale(l_acc, l_pct) or 0.0,
                    scale(s_corr, s_pct),
                    scale(f_score, f_pct) or 0.0,
                    n if isinstance(n, int) else None,
                    source,
                )
            )
            return
        for key, value in node.items():
            if isinstance(value, Mapping | list) and _norm(str(key)) not in ("bydomain", "domains"):
                visit(value, str(key) if isinstance(value, Mapping) else name, depth + 1)

    visit(data, default_name, 0)
    return found


def _bench_kind(data: Any) -> str | None:
    if not isinstance(data, Mapping):
        return None
    if isinstance(data.get("categories"), Mapping) and "n_pairs" in data and "overall" in data:
        return "judgebench"
    if (
        isinstance(data.get("domains"), Mapping)
        and "overall" in data
        and {"easy", "normal", "hard"} <= set(data)
    ):
        return "rmbench"
    return None


def _add_json(inputs: ReportInputs, path: Path) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        inputs.notes.append(f"{path}: skipped, not readable JSON ({exc})")
        return
    if is_evaluate_summary(data):
        inputs.runs.append(_load_run(path.parent))
        return
    kind = _bench_kind(data)
    if kind is not None:
        name = str(data.get("judge_name") or path.stem)
        inputs.benches.append(BenchResult(kind, name, dict(data)))
        return
    rows = find_ralign(data, str(path), path.stem)
    if rows:
        inputs.ralign.extend(rows)
        return
    inputs.notes.append(f"{path}: skipped, not an evaluate, MetaRM or bench output")


def _add_jsonl(inputs: ReportInputs, path: Path) -> None:
    rows: list[dict[str, Any]] = []
    other = 0
    for _, row in iter_jsonl(path):
        if isinstance(row, dict) and is_tag_record(row):
            rows.append(row)
        else:
            other += 1
    if rows:
        inputs.tag_records.extend(rows)
        inputs.tag_sources.append(str(path))
        if other:
            inputs.notes.append(f"{path}: {other} line(s) that are not tag records were ignored")
    else:
        inputs.notes.append(f"{path}: skipped, not a tag output")


def collect_inputs(paths: Iterable[str | os.PathLike[str]]) -> ReportInputs:
    """Classify every path: an ``evaluate`` folder (plus any other outputs inside it), or a JSON / JSONL file.
    Paths that do not exist raise :class:`InputError`; files of unknown kinds are skipped with a note."""
    inputs = ReportInputs()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            if (path / SUMMARY_FILE).is_file():
                try:
                    inputs.runs.append(_load_run(path))
                except InputError as exc:
                    inputs.notes.append(str(exc))
            others = sorted(
                p for p in path.iterdir() if p.is_file() and p.name not in (SUMMARY_FILE, SAMPLES_FILE)
            )
            for item in others:
                if item.suffix == ".json":
                    _add_json(inputs, item)
                elif item.suffix == ".jsonl":
                    _add_jsonl(inputs, item)
            if not (path / SUMMARY_FILE).is_file() and not others:
                inputs.notes.append(f"{path}: skipped, the folder holds no output")
        elif path.is_file():
            if path.suffix == ".jsonl":
                _add_jsonl(inputs, path)
            else:
                _add_json(inputs, path)
        else:
            raise InputError(f"{path}: no such file or folder")
    for run in inputs.runs:
        for problem in run.problems[:3]:
            inputs.notes.append(f"{problem} (ignored)")
    return inputs


def model_result_from_summary(entry: Mapping[str, Any], mode: str = "paper") -> ModelResult:
    """A :class:`ModelResult` rebuilt from one ``summary.json`` model entry (for the shared scatter plot)."""
    ci = {k: (float(v[0]), float(v[1])) for k, v in (entry.get("ci") or {}).items() if v and None not in v}
    n = int(entry.get("n") or 0)
    summary = MetricSummary(
        n=n,
        precision=float(entry.get("precision") or 0.0),
        recall=float(entry.get("rationale_consistency") or 0.0),
        f1=float(entry.get("f1") or 0.0),
        average_precision=float(entry.get("average_precision") or 0.0),
        ci=ci,
    )
    outcome_ci = entry.get("outcome_accuracy_ci")
    return ModelResult(
        model=str(entry.get("model")),
        mode=mode,
        summary=summary,
        valid=n,
        parse_failed=int(entry.get("parse_failed") or 0),
        skipped=int(entry.get("skipped") or 0),
        outcome_accuracy=entry.get("outcome_accuracy"),
        outcome_n=int(entry.get("outcome_n") or 0),
        outcome_ci=(float(outcome_ci[0]), float(outcome_ci[1])) if outcome_ci else None,
    )


def locate_input(run: EvaluateRun) -> Path | None:
    """The run's input data file (``provenance.input``): as recorded (absolute, or relative to the current
    folder), else relative to the run folder or its parent. None when it cannot be found."""
    recorded = run.provenance.get("input")
    if not recorded:
        return None
    path = Path(str(recorded))
    for candidate in (path, run.path / path, run.path.parent / path):
        if candidate.is_file():
            return candidate
    return None


def load_input_samples(path: Path) -> dict[str, PreferenceSample]:
    """The input's samples by id, with ids given exactly as ``evaluate`` gave them (repeats get ``#2`` ...)."""
    samples, _, _ = load_samples(path)
    return {s.id: s for s in samples}
