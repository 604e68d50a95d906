"""rationalerm: is the judge right for the right reasons?

Rationale consistency (MetaJudge) beside outcome accuracy, and outcome-gated Average Precision as a training reward.

Every public name is importable from here (``from rationalerm import analyze``) but loaded on first use (PEP 562):
``import rationalerm`` itself imports nothing heavy, so a command or a script pays only for the modules it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# What type checkers and IDEs see; at run time __getattr__ below imports each name when it is first asked for.
if TYPE_CHECKING:
    from .bench import score_judgments_file, score_rmbench_scores
    from .compare import paired_bootstrap
    from .datasets import load_helpsteer3_preference, load_judgebench, load_rationalerm, load_rmbench
    from .errors import JudgeError, JudgeRefusedError, JudgeUnavailableError, RationaleRMError
    from .io import InputError, RowProblem
    from .llm import Completion, CompletionCache, JsonSchema, JudgePool, Usage
    from .matchers import Matcher, MatchRequest, match_sync
    from .matchers.llm import LLMMatcher, MatchVerdict
    from .matchers.local import LocalMatcher
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
    from .workflows.generate import (
        GenRMJudgment,
        GenRMSettings,
        generate_file,
        generate_judgments,
        judge_pair,
    )
    from .workflows.judge import JudgedSample, JudgeRunSummary, judge_file, judge_samples
    from .workflows.metarm import RAlignSettings, golden_file, metarm_file, run_metarm, write_golden
    from .workflows.prepare_rl import prepare_rl
    from .workflows.report import build_report
    from .workflows.tag import tag_file

# The module (relative to this package) that defines each public name.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "bench": ("score_judgments_file", "score_rmbench_scores"),
    "compare": ("paired_bootstrap",),
    "datasets": ("load_helpsteer3_preference", "load_judgebench", "load_rationalerm", "load_rmbench"),
    "errors": ("JudgeError", "JudgeRefusedError", "JudgeUnavailableError", "RationaleRMError"),
    "io": ("InputError", "RowProblem"),
    "llm": ("Completion", "CompletionCache", "JsonSchema", "JudgePool", "Usage"),
    "matchers": ("Matcher", "MatchRequest", "match_sync"),
    "matchers.llm": ("LLMMatcher", "MatchVerdict"),
    "matchers.local": ("LocalMatcher",),
    "metrics": (
        "average_precision",
        "bootstrap_ci",
        "optimal_matching",
        "paper_metrics",
        "reference_metrics",
        "resolve_one_to_one",
        "summarize",
    ),
    "parse": (
        "ParseFailure",
        "extract_reference_scores",
        "parse_decomposition",
        "parse_metajudge",
        "parse_metarm_verdict",
        "parse_reasons",
        "parse_verdict",
        "strip_hidden_reasoning",
    ),
    "prompts": ("Prompt", "load_prompt"),
    "ralign": ("RAlignScores", "ralign_scores"),
    "records": (
        "Judgment",
        "Match",
        "Matching",
        "MetaJudgeRecord",
        "ModelResult",
        "PreferenceSample",
        "SampleMetrics",
        "SampleResult",
        "parse_direction",
        "sample_from_row",
    ),
    "reward": ("RewardConfig", "RewardResult", "RewardSample", "RewardScorer", "score_batch"),
    "workflows.agree": ("agree",),
    "workflows.analyze": ("AnalyzeReport", "analyze"),
    "workflows.bench": ("BenchRun", "judge_judgebench", "judge_rmbench"),
    "workflows.decompose": ("DecomposeSettings", "decompose_file", "decompose_rationales"),
    "workflows.evaluate": ("EvaluateReport", "evaluate", "evaluate_samples"),
    "workflows.generate": (
        "GenRMJudgment",
        "GenRMSettings",
        "generate_file",
        "generate_judgments",
        "judge_pair",
    ),
    "workflows.judge": ("JudgedSample", "JudgeRunSummary", "judge_file", "judge_samples"),
    "workflows.metarm": ("RAlignSettings", "golden_file", "metarm_file", "run_metarm", "write_golden"),
    "workflows.prepare_rl": ("prepare_rl",),
    "workflows.report": ("build_report",),
    "workflows.tag": ("tag_file",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def _read_version() -> str:
    # importlib.metadata costs ~30 ms to import: paid only when the version is asked for (--version, run metadata).
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rationalerm")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    elif name == "__version__":
        value = _read_version()
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups find it directly, without calling __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
    "JudgeError",
    "JudgePool",
    "JudgeRefusedError",
    "JudgeRunSummary",
    "JudgeUnavailableError",
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
    "RationaleRMError",
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
