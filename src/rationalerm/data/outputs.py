"""Our own ``evaluate`` outputs read back, and two of them joined for the evaluator-agreement view (Figure 2a).

An ``evaluate`` folder holds ``summary.json`` (provenance and per-model figures) and, when present,
``samples.jsonl`` (one row per (sample, model)). :func:`load_evaluate_run` reads one; a folder that is not one is an
:class:`~rationalerm.errors.InputError`, and bad sample rows are kept as problems, never dropped silently.
:func:`compare_runs` joins two runs per model and per (sample, model) and computes the agreement statistics
(:func:`~rationalerm.stats.paired.agreement`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from ..io import RowProblem, read_jsonl
from ..records import OK
from ..stats.paired import Agreement, agreement

SUMMARY_FILE = "summary.json"
SAMPLES_FILE = "samples.jsonl"
METRICS = ("rationale_consistency", "precision", "f1", "average_precision")
# samples.jsonl names rationale consistency by its per-sample form, recall.
_SAMPLE_KEY = {**{name: name for name in METRICS}, "rationale_consistency": "recall"}


@dataclass(slots=True)
class EvaluateRun:
    """An ``evaluate`` output folder: ``summary.json`` (provenance and per-model figures) and, when present,
    ``samples.jsonl`` (one row per (sample, model))."""

    path: Path
    provenance: dict[str, Any]
    models: list[dict[str, Any]]
    samples: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name or str(self.path)

    @property
    def matcher(self) -> str:
        return str(self.provenance.get("matcher") or "unknown")

    def label(self) -> str:
        """The folder name and its matcher (with the LLM judge model when there is one), for titles."""
        settings = self.provenance.get("matcher_settings")
        judge = settings.get("judge_model") if isinstance(settings, dict) else None
        return f"{self.name} ({self.matcher}{' ' + str(judge) if judge else ''})"

    def model(self, name: str) -> dict[str, Any] | None:
        return next((m for m in self.models if m.get("model") == name), None)

    def sample_scores(self, metric: str = "rationale_consistency") -> dict[str, dict[str, float]]:
        """``{model: {sample id: per-sample score}}`` over the rows that were scored (status ok)."""
        key = _SAMPLE_KEY[metric]
        scores: dict[str, dict[str, float]] = {}
        for row in self.samples:
            value = row.get(key)
            if row.get("status") == OK and isinstance(value, int | float):
                scores.setdefault(str(row.get("model")), {})[str(row.get("id"))] = float(value)
        return scores


def is_evaluate_summary(data: Any) -> bool:
    """Whether parsed JSON looks like an ``evaluate`` ``summary.json``."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("models"), list)
        and isinstance(data.get("provenance"), dict)
        and all(isinstance(m, dict) and "model" in m and "rationale_consistency" in m for m in data["models"])
    )


def load_evaluate_run(path: str | os.PathLike[str]) -> EvaluateRun:
    """Read an ``evaluate`` output folder (or its ``summary.json``). Raises :class:`InputError` when it is not one."""
    folder = Path(path)
    if folder.is_file() and folder.name == SUMMARY_FILE:
        folder = folder.parent
    summary_path = folder / SUMMARY_FILE
    if not summary_path.is_file():
        raise InputError(RowProblem(str(folder), 0, None, f"not an evaluate run folder (no {SUMMARY_FILE})"))
    try:
        data = json.loads(summary_path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise InputError(RowProblem(str(summary_path), 0, None, f"cannot read: {exc}")) from None
    if not is_evaluate_summary(data):
        raise InputError(
            RowProblem(str(summary_path), 0, None, "not an evaluate summary (no models/provenance)")
        )
    samples: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    if (folder / SAMPLES_FILE).is_file():
        samples, problems = read_jsonl(folder / SAMPLES_FILE)
    return EvaluateRun(
        path=folder, provenance=data["provenance"], models=data["models"], samples=samples, problems=problems
    )


@dataclass(slots=True)
class AgreementReport:
    """Two runs compared on ``metric``. ``models`` pairs each common model's figure in run A and run B;
    ``per_model`` is the agreement over those pairs, ``per_sample`` over every (sample, model) pair scored in
    both runs, ``per_sample_by_model`` the same within each model. ``notes`` say what could not be compared."""

    run_a: EvaluateRun
    run_b: EvaluateRun
    metric: str
    models: list[dict[str, Any]]
    only_a: list[str]
    only_b: list[str]
    per_model: Agreement
    per_sample: Agreement
    per_sample_by_model: dict[str, Agreement]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def run(r: EvaluateRun) -> dict[str, Any]:
            return {
                "path": str(r.path),
                "matcher": r.matcher,
                "matcher_settings": r.provenance.get("matcher_settings"),
                "input": r.provenance.get("input"),
                "mode": r.provenance.get("mode"),
            }

        return {
            "run_a": run(self.run_a),
            "run_b": run(self.run_b),
            "metric": self.metric,
            "models": self.models,
            "only_in_a": self.only_a,
            "only_in_b": self.only_b,
            "per_model": self.per_model.as_dict(),
            "per_sample": self.per_sample.as_dict(),
            "per_sample_by_model": {k: v.as_dict() for k, v in self.per_sample_by_model.items()},
            "notes": self.notes,
        }


def compare_runs(
    run_a: EvaluateRun, run_b: EvaluateRun, *, metric: str = "rationale_consistency"
) -> AgreementReport:
    """Join two loaded runs per model and per (sample, model) and compute the agreement statistics."""
    if metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    notes: list[str] = []
    input_a, input_b = run_a.provenance.get("input"), run_b.provenance.get("input")
    if input_a and input_b and Path(str(input_a)).name != Path(str(input_b)).name:
        notes.append(
            f"the runs read different inputs ({input_a} and {input_b}); per-sample pairs join on ids"
        )
    if run_a.provenance.get("mode") != run_b.provenance.get("mode"):
        notes.append(
            f"the runs used different metric modes ({run_a.provenance.get('mode')} and "
            f"{run_b.provenance.get('mode')})"
        )
    names_a = [str(m["model"]) for m in run_a.models]
    names_b = {str(m["model"]) for m in run_b.models}
    common = [n for n in names_a if n in names_b]
    pairs: list[dict[str, Any]] = []
    for name in common:
        a, b = run_a.model(name), run_b.model(name)
        assert a is not None and b is not None
        if not isinstance(a.get(metric), int | float) or not isinstance(b.get(metric), int | float):
            continue
        if not a.get("n") or not b.get("n"):
            notes.append(f"{name}: no scored sample in one of the runs; left out")
            continue
        pairs.append(
            {
                "model": name,
                "a": float(a[metric]),
                "b": float(b[metric]),
                "difference": float(b[metric]) - float(a[metric]),
                "n_a": a.get("n"),
                "n_b": b.get("n"),
            }
        )
    per_model = agreement([p["a"] for p in pairs], [p["b"] for p in pairs])
    if len(pairs) < 3:
        notes.append(
            f"only {len(pairs)} common model(s): the per-model fit and rank correlation need at least 3"
        )
    scores_a, scores_b = run_a.sample_scores(metric), run_b.sample_scores(metric)
    xs: list[float] = []
    ys: list[float] = []
    by_model: dict[str, Agreement] = {}
    for name in common:
        ids = sorted(set(scores_a.get(name, {})) & set(scores_b.get(name, {})))
        x = [scores_a[name][i] for i in ids]
        y = [scores_b[name][i] for i in ids]
        xs.extend(x)
        ys.extend(y)
        by_model[name] = agreement(x, y)
    if common and not xs:
        notes.append("no (sample, model) pair was scored in both runs (samples.jsonl missing or ids differ)")
    return AgreementReport(
        run_a=run_a,
        run_b=run_b,
        metric=metric,
        models=pairs,
        only_a=[n for n in names_a if n not in names_b],
        only_b=sorted(names_b - set(names_a)),
        per_model=per_model,
        per_sample=agreement(xs, ys),
        per_sample_by_model=by_model,
        notes=notes,
    )
