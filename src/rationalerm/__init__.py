"""rationalerm: is the judge right for the right reasons?

Rationale consistency (MetaJudge) beside outcome accuracy, and outcome-gated Average Precision as a training reward.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rationalerm")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

from .io import InputError, RowProblem
from .metrics import (
    average_precision,
    bootstrap_ci,
    optimal_matching,
    paper_metrics,
    reference_metrics,
    resolve_one_to_one,
    summarize,
)
from .parse import ParseFailure, extract_reference_scores, parse_metajudge
from .records import (
    Judgment,
    Match,
    Matching,
    MetaJudgeRecord,
    ModelResult,
    PreferenceSample,
    SampleMetrics,
    SampleResult,
    parse_direction,
    sample_from_row,
)
from .workflows.analyze import AnalyzeReport, analyze

__all__ = [
    "AnalyzeReport",
    "InputError",
    "Judgment",
    "Match",
    "Matching",
    "MetaJudgeRecord",
    "ModelResult",
    "ParseFailure",
    "PreferenceSample",
    "RowProblem",
    "SampleMetrics",
    "SampleResult",
    "__version__",
    "analyze",
    "average_precision",
    "bootstrap_ci",
    "extract_reference_scores",
    "optimal_matching",
    "paper_metrics",
    "parse_direction",
    "parse_metajudge",
    "reference_metrics",
    "resolve_one_to_one",
    "sample_from_row",
    "summarize",
]
