"""rationalerm: is the judge right for the right reasons?

Rationale consistency (MetaJudge) beside outcome accuracy, and outcome-gated Average Precision as a training reward.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rationalerm")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

from .bench import score_judgments_file, score_rmbench_scores
from .compare import paired_bootstrap
from .datasets import load_helpsteer3_preference, load_judgebench, load_rationalerm, load_rmbench
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
from .parse import (
    ParseFailure,
    extract_reference_scores,
    parse_decomposition,
    parse_metajudge,
    parse_metarm_verdict,
    parse_reasons,
    parse_verdict,
    strip_hidden_reasoning,
)
from .prompts import Prompt, load_prompt
from .ralign import RAlignScores, ralign_scores
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
from .reward import RewardConfig, RewardResult, RewardSample, RewardScorer, score_batch
from .workflows.agree import agree
from .workflows.analyze import AnalyzeReport, analyze
from .workflows.bench import BenchRun, judge_judgebench, judge_rmbench
from .workflows.decompose import DecomposeSettings, decompose_file, decompose_rationales
from .workflows.evaluate import EvaluateReport, evaluate, evaluate_samples
from .workflows.generate import GenRMJudgment, GenRMSettings, generate_file, generate_judgments, judge_pair
from .workflows.judge import JudgedSample, JudgeRunSummary, judge_file, judge_samples
from .workflows.metarm import RAlignSettings, golden_file, metarm_file, run_metarm, write_golden
from .workflows.prepare_rl import prepare_rl
from .workflows.report import build_report
from .workflows.tag import tag_file


def __getattr__(name: str):  # the local matcher needs the `local` extra: import it only when asked for
    if name == "LocalMatcher":
        from .matchers.local import LocalMatcher

        return LocalMatcher
    raise AttributeError(f"module 'rationalerm' has no attribute {name!r}")


__all__ = [
    "AnalyzeReport",
    "BenchRun",
    "Completion",
    "CompletionCache",
    "DecomposeSettings",
    "EvaluateReport",
    "GenRMJudgment",
    "GenRMSettings",
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
    "RAlignScores",
    "RAlignSettings",
    "RewardConfig",
    "RewardResult",
    "RewardSample",
    "RewardScorer",
    "RowProblem",
    "SampleMetrics",
    "SampleResult",
    "Usage",
    "__version__",
    "agree",
    "analyze",
    "average_precision",
    "bootstrap_ci",
    "build_report",
    "decompose_file",
    "decompose_rationales",
    "evaluate",
    "evaluate_samples",
    "extract_reference_scores",
    "generate_file",
    "generate_judgments",
    "golden_file",
    "judge_file",
    "judge_judgebench",
    "judge_pair",
    "judge_rmbench",
    "judge_samples",
    "load_helpsteer3_preference",
    "load_judgebench",
    "load_prompt",
    "load_rationalerm",
    "load_rmbench",
    "match_sync",
    "metarm_file",
    "optimal_matching",
    "paired_bootstrap",
    "paper_metrics",
    "parse_decomposition",
    "parse_direction",
    "parse_metajudge",
    "parse_metarm_verdict",
    "parse_reasons",
    "parse_verdict",
    "prepare_rl",
    "ralign_scores",
    "reference_metrics",
    "resolve_one_to_one",
    "run_metarm",
    "sample_from_row",
    "score_batch",
    "score_judgments_file",
    "score_rmbench_scores",
    "strip_hidden_reasoning",
    "summarize",
    "tag_file",
    "write_golden",
]
