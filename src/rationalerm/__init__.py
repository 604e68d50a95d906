"""rationalerm: is the judge right for the right reasons?

Rationale consistency (MetaJudge) beside outcome accuracy, and outcome-gated Average Precision as a training reward.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rationalerm")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

from .io import InputError, RowProblem
from .llm import Completion, CompletionCache, JsonSchema, JudgePool, Usage
from .matchers import Matcher, MatchRequest, match_sync
from .matchers.llm import LLMMatcher, MatchVerdict
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
from .prompts import Prompt, load_prompt
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
from .workflows.evaluate import EvaluateReport, evaluate, evaluate_samples
from .workflows.judge import JudgedSample, JudgeRunSummary, judge_file, judge_samples


def __getattr__(name: str):  # the local matcher needs the `local` extra: import it only when asked for
    if name == "LocalMatcher":
        from .matchers.local import LocalMatcher

        return LocalMatcher
    raise AttributeError(f"module 'rationalerm' has no attribute {name!r}")

__all__ = [
    "AnalyzeReport",
    "Completion",
    "CompletionCache",
    "EvaluateReport",
    "InputError",
    "JsonSchema",
    "JudgePool",
    "JudgeRunSummary",
    "JudgedSample",
    "Judgment",
    "LLMMatcher",
    "LocalMatcher",
    "Match",
    "MatchRequest",
    "MatchVerdict",
    "Matcher",
    "Matching",
    "MetaJudgeRecord",
    "ModelResult",
    "ParseFailure",
    "PreferenceSample",
    "Prompt",
    "RowProblem",
    "SampleMetrics",
    "SampleResult",
    "Usage",
    "__version__",
    "analyze",
    "average_precision",
    "bootstrap_ci",
    "evaluate",
    "evaluate_samples",
    "extract_reference_scores",
    "judge_file",
    "judge_samples",
    "load_prompt",
    "match_sync",
    "optimal_matching",
    "paper_metrics",
    "parse_direction",
    "parse_metajudge",
    "reference_metrics",
    "resolve_one_to_one",
    "sample_from_row",
    "summarize",
]
