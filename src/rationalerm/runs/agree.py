"""Agreement of two evaluators (or matchers) that scored the same models: the paper's Figure 2a view.

The paper reports that a weak and a strong evaluator give nearly the same rationale consistency per model
(y = 0.97x + 0.00, R^2 = 0.983), which is what justifies a cheap evaluator. :func:`agree` checks that claim for
your own runs, e.g. the offline local matcher against an LLM MetaJudge run: per model (R^2, slope, RMSE, Spearman
of the rankings) and per (sample, model) pair (correlation of the per-sample scores).
"""

from __future__ import annotations

import os

from ..data.outputs import (  # noqa: F401  # moved there (report/ reads evaluate outputs too); re-exported
    METRICS,
    SAMPLES_FILE,
    SUMMARY_FILE,
    AgreementReport,
    EvaluateRun,
    compare_runs,
    is_evaluate_summary,
    load_evaluate_run,
)


def agree(
    run_a: str | os.PathLike[str], run_b: str | os.PathLike[str], *, metric: str = "rationale_consistency"
) -> AgreementReport:
    """Agreement of two ``evaluate`` output folders on the models both scored."""
    return compare_runs(load_evaluate_run(run_a), load_evaluate_run(run_b), metric=metric)


__all__ = [
    "METRICS",
    "AgreementReport",
    "EvaluateRun",
    "agree",
    "compare_runs",
    "is_evaluate_summary",
    "load_evaluate_run",
]
