"""Evaluate judged models on HelpSteer3-Atomic-layout rows (a file, a snapshot folder or ``Qwen/RationaleRM`` from
the Hub): match each model's reasons to the human reasons, score rationale consistency beside outcome accuracy, and
write a report folder. Human labels the rows lack are joined from HelpSteer3 (:mod:`rationalerm.data`); the
samples left without one are counted and named, not silently dropped from outcome accuracy. A ``label`` that says no
direction (``"x"``, ``3``, NaN) is reported with its file and line and counted (``invalid_labels``).

The matcher is any :class:`rationalerm.matchers.Matcher`: the offline local matcher by default, or the LLM MetaJudge.
:func:`evaluate_async` is the run; :func:`evaluate` its synchronous form (an event loop of its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data.helpsteer3 import (  # noqa: F401  # moved there (report/ reads input samples too); re-exported
    LoadedSamples,
    load_samples,
    read_samples,
    select_models,
)
from ..errors import ConfigError
from ..io import InputError, RowProblem, write_json, write_jsonl
from ..matchers import Matcher, MatchRequest
from ..parse import ParseFailure
from ..records import (
    Matching,
    ModelResult,
    PreferenceSample,
    SampleResult,
    invalid_labels_line,
)
from ..stats.consistency import (
    EVALUATION_CAP,
    MODES,
    PAPER,
    REFERENCE_MAX_CHECKLIST,
    paper_metrics,
    proportion_ci,
    reference_metrics,
    summarize_by_group,
)
from ..version import __version__
from .runner import sync_form

if TYPE_CHECKING:
    from ..data.helpsteer3 import LabelJoin

MATCH_CHUNK = (
    64  # requests per matcher call: small enough for a live progress bar, large enough to batch well
)


@dataclass
class EvaluateReport:
    """Per-model results (sorted by rationale consistency), per-sample results, bad rows and provenance."""

    results: list[ModelResult]
    samples: list[SampleResult]
    problems: list[RowProblem] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    output_dir: Path | None = None
    labels: LabelJoin | None = None
    # per model: verdicts on samples without a human label, which outcome accuracy cannot count
    outcome_unlabelled: dict[str, int] = field(default_factory=dict)
    # rows whose ``label`` says no direction ("x", 3, NaN): reported, and left out of outcome accuracy
    invalid_labels: int = 0
    # per model: the 95% interval of rationale consistency widened by the matcher's own measured error (local
    # matcher: its held-out figures), see :func:`interval_with_matcher_error`
    matcher_intervals: dict[str, tuple[float, float]] = field(default_factory=dict)

    def invalid_labels_line(self) -> str | None:
        return invalid_labels_line(self.invalid_labels)

    def summary(self) -> dict[str, Any]:
        """The content of ``summary.json``: provenance (with the source and the human-label join), per-model
        figures."""
        models = []
        for r in self.results:
            s = r.summary
            models.append(
                {
                    "model": r.model,
                    "outcome_accuracy": r.outcome_accuracy,
                    "outcome_accuracy_ci": list(r.outcome_ci) if r.outcome_ci else None,
                    "outcome_n": r.outcome_n,
                    "outcome_unlabelled": self.outcome_unlabelled.get(r.model, 0),
                    "rationale_consistency": s.recall,
                    "rationale_consistency_ci": list(s.ci["recall"]) if "recall" in s.ci else None,
                    "rationale_consistency_ci_with_matcher_error": (
                        list(self.matcher_intervals[r.model]) if r.model in self.matcher_intervals else None
                    ),
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "average_precision": s.average_precision,
                    "n": r.valid,
                    "ci": {k: [lo, hi] for k, (lo, hi) in s.ci.items()},
                    "parse_failed": r.parse_failed,
                    "skipped": r.skipped,
                    "failure_reasons": r.failure_reasons,
                    "skip_reasons": r.skip_reasons,
                    "by_domain": {d: v.as_dict() for d, v in sorted(r.by_domain.items())},
                }
            )
        summary: dict[str, Any] = {"provenance": self.provenance, "models": models}
        if self.labels is not None:
            summary["labels"] = self.labels.as_dict()
        summary["invalid_labels"] = self.invalid_labels
        return summary


def interval_with_matcher_error(
    ci: tuple[float, float], estimate: float, n: int, error: dict[str, float]
) -> tuple[float, float]:
    """A 95% interval of a model's rationale consistency that also holds the matcher's own error: the sampling
    half-widths of ``ci`` combined with the matcher's per-sample noise on ``n`` samples (1.96 x residual sd /
    sqrt(n), in quadrature), plus its worst model-level bias measured on held-out labels, clipped to [0, 1]."""
    noise = 1.96 * float(error.get("recall_residual_sd", 0.0)) / max(n, 1) ** 0.5
    bias = float(error.get("worst_rc_error", 0.0))
    low = estimate - ((estimate - ci[0]) ** 2 + noise**2) ** 0.5 - bias
    high = estimate + ((ci[1] - estimate) ** 2 + noise**2) ** 0.5 + bias
    return max(0.0, low), min(1.0, high)


async def evaluate_samples(
    samples: Sequence[PreferenceSample],
    models: Sequence[str],
    matcher: Matcher,
    *,
    mode: str = PAPER,
    max_model_items: int | None = EVALUATION_CAP,
    n_resamples: int = 1000,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[list[ModelResult], list[SampleResult]]:
    """Match and score every (sample, model) pair; the building block of :func:`evaluate`."""
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    results: list[SampleResult] = []
    pending: list[tuple[SampleResult, MatchRequest, int]] = []
    for sample in samples:
        for model in models:
            judgment = sample.judgments.get(model)
            outcome = _outcome(sample, model)
            result = SampleResult(
                id=sample.id, model=model, domain=sample.domain, metrics=None, outcome_correct=outcome
            )
            results.append(result)
            if judgment is None or judgment.checklist is None:
                result.status, result.reason = "skipped", "missing_checklist"
                continue
            if not sample.human_checklist:
                result.status, result.reason = "skipped", "empty_human_checklist"
                continue
            items = judgment.checklist
            if mode != PAPER:
                if len(items) > REFERENCE_MAX_CHECKLIST:
                    result.status, result.reason = "skipped", "model_list_over_10"
                    continue
                if not items:
                    result.status, result.reason = "skipped", "empty_model_list"
                    continue
            kept = list(items[:max_model_items]) if max_model_items else list(items)
            request = MatchRequest(
                key=f"{sample.id}::{model}",
                human=list(sample.human_checklist),
                model=kept,
                responses=(sample.response1, sample.response2),
                preference=sample.human_label,
                verdict=judgment.label,
            )
            pending.append((result, request, len(items)))

    total = len(pending)
    done = 0
    lock = asyncio.Lock()

    async def run_chunk(chunk: list[tuple[SampleResult, MatchRequest, int]]) -> None:
        nonlocal done
        outcomes = await matcher.match([request for _, request, _ in chunk])
        for (result, request, full_length), outcome in zip(chunk, outcomes, strict=True):
            _score(result, request, full_length, outcome, mode)
        async with lock:
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, total)

    if on_progress is not None:
        on_progress(0, total)
    chunks = [pending[i : i + MATCH_CHUNK] for i in range(0, total, MATCH_CHUNK)]
    await asyncio.gather(*(run_chunk(c) for c in chunks))

    per_model = [_model_result(model, mode, results, n_resamples=n_resamples, seed=seed) for model in models]
    per_model.sort(key=lambda r: (-r.summary.recall, r.model))
    return per_model, results


def _outcome(sample: PreferenceSample, model: str) -> bool | None:
    judgment = sample.judgments.get(model)
    if sample.human_label is None or judgment is None or judgment.raw_label is None:
        return None
    return judgment.label == sample.human_label  # an unreadable verdict counts as wrong


def _score(result: SampleResult, request: MatchRequest, full_length: int, outcome: Any, mode: str) -> None:
    if isinstance(outcome, ParseFailure):
        result.status, result.reason = "parse_failed", outcome.reason
        return
    if not isinstance(outcome, Matching):
        result.status, result.reason = "error", f"matcher returned {type(outcome).__name__}"
        return
    result.matching = outcome
    if mode == PAPER:
        result.metrics = paper_metrics(outcome, cap=None)  # the list was already cut to the items that count
    else:
        triples = [(p.human, p.model, p.score) for p in outcome.pairs]
        metrics = reference_metrics(triples, len(request.human), min(full_length, EVALUATION_CAP))
        if metrics is None:
            result.status, result.reason = "parse_failed", "wrong_line_count"
            return
        result.metrics = metrics
    result.status = "ok"


def _model_result(
    model: str, mode: str, results: Sequence[SampleResult], *, n_resamples: int, seed: int
) -> ModelResult:
    mine = [r for r in results if r.model == model]
    ok = [r for r in mine if r.status == "ok" and r.metrics is not None]
    summary, by_domain = summarize_by_group(
        [r.metrics for r in ok],  # type: ignore[misc]
        [r.domain or "unknown" for r in ok],
        n_resamples=n_resamples,
        seed=seed,
    )
    outcomes = [r.outcome_correct for r in mine if r.outcome_correct is not None]
    accuracy, accuracy_ci = proportion_ci(outcomes, n_resamples=n_resamples, seed=seed)
    failed = Counter(r.reason or "unknown" for r in mine if r.status in ("parse_failed", "error"))
    skipped = Counter(r.reason or "unknown" for r in mine if r.status == "skipped")
    return ModelResult(
        model=model,
        mode=mode,
        summary=summary,
        valid=len(ok),
        parse_failed=sum(failed.values()),
        skipped=sum(skipped.values()),
        skip_reasons=dict(skipped),
        failure_reasons=dict(failed),
        by_domain=by_domain,
        outcome_accuracy=accuracy if outcomes else None,
        outcome_n=len(outcomes),
        outcome_ci=accuracy_ci,
    )


async def evaluate_async(
    input_path: str | os.PathLike[str],
    *,
    matcher: Matcher | None = None,
    models: Sequence[str] | None = None,
    mode: str = PAPER,
    max_model_items: int | None = EVALUATION_CAP,
    output_dir: str | os.PathLike[str] | None = None,
    strict: bool = False,
    n_resamples: int = 1000,
    seed: int = 0,
    plot: bool = True,
    on_problem: Callable[[RowProblem], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    split: str | None = None,
    labels_from: str | os.PathLike[str] | None = "auto",
    hub_cache: str | None = None,
    dedupe: str = "error",
) -> EvaluateReport:
    """Rationale consistency beside outcome accuracy for every model in ``input_path``.

    ``input_path`` is a file, a snapshot folder or the Hub id ``Qwen/RationaleRM`` (``split``: ``test`` by
    default, or ``full``); human labels missing from the rows are joined from HelpSteer3 (``labels_from``, see
    :func:`read_samples`), and the samples left without one are counted per model (``outcome_unlabelled``) and
    named in ``summary.json`` (``labels.unlabelled_rows``). ``matcher`` defaults to the offline
    :class:`~rationalerm.matchers.local.LocalMatcher`. With ``output_dir`` it writes ``summary.json``,
    ``samples.jsonl`` and ``scatter.png`` there (each written atomically). Rows sharing an id are an error naming
    both lines unless ``dedupe`` is ``first`` or ``last``.
    """
    started = time.time()
    loaded = read_samples(
        input_path,
        models=models,
        split=split,
        labels_from=labels_from,
        hub_cache=hub_cache,
        strict=strict,
        on_problem=on_problem,
        dedupe=dedupe,
    )
    samples, chosen, problems = loaded.samples, loaded.models, loaded.problems
    if not chosen:
        hint = (
            f" (split {loaded.source.split!r} holds human checklists only: judge it first with "
            "`rationalerm generate`, then evaluate the output)"
            if loaded.source.split == "full"
            else ""
        )
        raise InputError(
            RowProblem(loaded.source.name, 0, None, f"no '<model>-checklist' key in any row{hint}")
        )
    if matcher is None:
        from ..matchers.local import LocalMatcher

        matcher = LocalMatcher()

    # A matcher holding connections (the LLM one) opens them inside this event loop and closes them after.
    async with matcher if hasattr(matcher, "__aenter__") else contextlib.nullcontext():  # type: ignore[attr-defined]
        results, sample_results = await evaluate_samples(
            samples,
            chosen,
            matcher,
            mode=mode,
            max_model_items=max_model_items,
            n_resamples=n_resamples,
            seed=seed,
            on_progress=on_progress,
        )
    unlabelled = {
        model: sum(
            1
            for sample in samples
            if sample.human_label is None
            and model in sample.judgments
            and sample.judgments[model].raw_label is not None
        )
        for model in chosen
    }
    provenance = {
        "input": str(input_path),
        "source": loaded.source.describe(),
        "models": list(chosen),
        "samples": len(samples),
        "mode": mode,
        "max_model_items": max_model_items or 0,
        "matcher": matcher.name,
        "matcher_settings": matcher.settings(),
        "bootstrap_resamples": n_resamples,
        "seed": seed,
        "rationalerm_version": __version__,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 3),
        "bad_rows": sum(1 for p in problems if not p.is_note),
    }
    measured = getattr(matcher, "measured_error", None)
    error = measured() if callable(measured) else None
    intervals: dict[str, tuple[float, float]] = {}
    if error:
        provenance["matcher_error"] = error
        for r in results:
            ci = r.summary.ci.get("recall")
            if ci and r.valid:
                intervals[r.model] = interval_with_matcher_error(ci, r.summary.recall, r.valid, error)
    report = EvaluateReport(
        matcher_intervals=intervals,
        results=results,
        samples=sample_results,
        problems=problems,
        provenance=provenance,
        labels=loaded.labels,
        outcome_unlabelled=unlabelled,
        invalid_labels=loaded.invalid_labels,
    )
    if output_dir is not None:
        write_report(report, Path(output_dir), plot=plot)
    return report


evaluate = sync_form(evaluate_async, pool_of=None)


def write_report(report: EvaluateReport, output_dir: Path, *, plot: bool = True) -> None:
    """``summary.json``, ``samples.jsonl`` and ``scatter.png`` in ``output_dir``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    write_json(output_dir / "summary.json", report.summary())
    write_jsonl(output_dir / "samples.jsonl", (s.to_row() for s in report.samples))
    if plot:
        from ..report.plots import scatter_accuracy_consistency

        scatter_accuracy_consistency(report.results, output_dir / "scatter.png")
    report.output_dir = output_dir
