"""rationalerm: is the judge right for the right reasons?

Rationale consistency (MetaJudge) beside outcome accuracy, and outcome-gated Average Precision as a training reward.

The public API is the names in ``__all__`` (listed with their signatures in docs/api.md); everything else is importable
from its module but may change between releases. The names come in six groups (``_SECTIONS``): the runs, the dataset
loaders, the judge and the matchers, the training reward, a few records, and the exception tree.

One rule for sync and async: every run that may wait on a judge (through its pool or an LLM matcher) has two forms
with one meaning, ``x()`` and ``x_async()`` (``judge`` / ``judge_async``, ``evaluate`` / ``evaluate_async``...).
``x()`` opens what it needs (the judge pool, an event loop) and returns when the run is done; ``x_async()`` is the
same run as a coroutine, for a caller that owns its event loop. The runs that never wait on a judge (``analyze``,
``agree``, ``prepare_rl``, ``build_report``) have only the plain form.

Every name is loaded on first use (PEP 562): ``import rationalerm`` itself imports nothing heavy, so a command or a
script pays only for the modules it uses. The names of the previous release that are not in ``__all__``
(``_DEPRECATED``: ``judge_file``, ``generate_judgments``, ``run_metarm``...) still resolve, to the same objects as
before, for one release; each use warns with a ``DeprecationWarning`` that names the replacement.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

# What type checkers and IDEs see; at run time __getattr__ below imports each name when it is first asked for.
if TYPE_CHECKING:
    from .data.helpsteer3 import load_helpsteer3_preference, load_rationalerm
    from .data.judgebench import load_judgebench
    from .data.rmbench import load_rmbench
    from .errors import (
        ConfigError,
        InputError,
        JudgeError,
        JudgeRefusedError,
        JudgeUnavailableError,
        RationaleRMError,
        RecordError,
    )
    from .llm import JudgePool
    from .matchers.llm import LLMMatcher
    from .matchers.local import LocalMatcher
    from .records import ModelResult, PreferenceSample
    from .report.build import build_report
    from .reward import RewardConfig, RewardSample, RewardScorer
    from .runs.agree import agree
    from .runs.analyze import analyze
    from .runs.bench import bench_judgebench, bench_judgebench_async, bench_rmbench, bench_rmbench_async
    from .runs.decompose import decompose, decompose_async
    from .runs.evaluate import evaluate, evaluate_async
    from .runs.generate import generate, generate_async
    from .runs.judge import judge, judge_async
    from .runs.metarm import metarm, metarm_async
    from .runs.prepare_rl import prepare_rl
    from .runs.tag import tag, tag_async

# The public names by topic, in the order docs/api.md shows them.
_SECTIONS: dict[str, tuple[str, ...]] = {
    "Runs": (
        "evaluate",
        "evaluate_async",
        "analyze",
        "agree",
        "judge",
        "judge_async",
        "generate",
        "generate_async",
        "decompose",
        "decompose_async",
        "metarm",
        "metarm_async",
        "tag",
        "tag_async",
        "bench_judgebench",
        "bench_judgebench_async",
        "bench_rmbench",
        "bench_rmbench_async",
        "prepare_rl",
        "build_report",
    ),
    "Dataset loaders": ("load_rationalerm", "load_helpsteer3_preference", "load_judgebench", "load_rmbench"),
    "Judge and matchers": ("JudgePool", "LocalMatcher", "LLMMatcher"),
    "Training reward": ("RewardScorer", "RewardConfig", "RewardSample"),
    "Records": ("PreferenceSample", "ModelResult"),
    "Errors": (
        "RationaleRMError",
        "InputError",
        "RecordError",
        "ConfigError",
        "JudgeError",
        "JudgeRefusedError",
        "JudgeUnavailableError",
    ),
}

# The module (relative to this package) that defines each public name.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "runs.evaluate": ("evaluate", "evaluate_async"),
    "runs.analyze": ("analyze",),
    "runs.agree": ("agree",),
    "runs.judge": ("judge", "judge_async"),
    "runs.generate": ("generate", "generate_async"),
    "runs.decompose": ("decompose", "decompose_async"),
    "runs.metarm": ("metarm", "metarm_async"),
    "runs.tag": ("tag", "tag_async"),
    "runs.bench": ("bench_judgebench", "bench_judgebench_async", "bench_rmbench", "bench_rmbench_async"),
    "runs.prepare_rl": ("prepare_rl",),
    "report.build": ("build_report",),
    "data.helpsteer3": ("load_helpsteer3_preference", "load_rationalerm"),
    "data.judgebench": ("load_judgebench",),
    "data.rmbench": ("load_rmbench",),
    "llm": ("JudgePool",),
    "matchers.llm": ("LLMMatcher",),
    "matchers.local": ("LocalMatcher",),
    "reward": ("RewardConfig", "RewardSample", "RewardScorer"),
    "records": ("ModelResult", "PreferenceSample"),
    "errors": _SECTIONS["Errors"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


# Names of the previous release that are not public any more: old name -> (where the object lives now, as
# "module" or "module:attribute", and what to use instead, both relative to this package). They resolve to the
# very object they named before, with a DeprecationWarning; they go in the next release.
_DEPRECATED: dict[str, tuple[str, str]] = {
    # runs under their old names
    "judge_file": ("runs.judge:judge_async", "judge_async"),
    "judge_samples": ("runs.judge", "runs.judge.judge_samples"),
    "generate_file": ("runs.generate:generate", "generate"),
    "generate_judgments": ("runs.generate:generate_async", "generate_async"),
    "decompose_file": ("runs.decompose:decompose", "decompose"),
    "decompose_rationales": ("runs.decompose:decompose_async", "decompose_async"),
    "metarm_file": ("runs.metarm:metarm", "metarm"),
    "run_metarm": ("runs.metarm:metarm_async", "metarm_async"),
    "golden_file": ("runs.metarm:golden", "runs.metarm.golden"),
    "write_golden": ("runs.metarm:golden_async", "runs.metarm.golden_async"),
    "tag_file": ("runs.tag:tag_async", "tag_async"),
    "judge_judgebench": ("runs.bench:bench_judgebench_async", "bench_judgebench_async"),
    "judge_rmbench": ("runs.bench:bench_rmbench_async", "bench_rmbench_async"),
    "evaluate_samples": ("runs.evaluate", "runs.evaluate.evaluate_samples"),
    "judge_pair": ("runs.generate", "runs.generate.judge_pair"),
    # what the runs return, and their settings
    "AnalyzeReport": ("runs.analyze", "runs.analyze.AnalyzeReport"),
    "BenchRun": ("runs.bench", "runs.bench.BenchRun"),
    "DecomposeSettings": ("runs.decompose", "runs.decompose.DecomposeSettings"),
    "EvaluateReport": ("runs.evaluate", "runs.evaluate.EvaluateReport"),
    "GenRMJudgment": ("runs.generate", "runs.generate.GenRMJudgment"),
    "GenRMSettings": ("runs.generate", "runs.generate.GenRMSettings"),
    "JudgeRunSummary": ("runs.judge", "io.resume.RunSummary"),
    "JudgedSample": ("runs.judge", "runs.judge.JudgedSample"),
    "RAlignSettings": ("runs.metarm", "runs.metarm.RAlignSettings"),
    # the judge client
    "Completion": ("llm", "llm.Completion"),
    "CompletionCache": ("llm", "llm.CompletionCache"),
    "JsonSchema": ("llm", "llm.JsonSchema"),
    "Usage": ("llm", "llm.Usage"),
    # matchers
    "Matcher": ("matchers", "matchers.Matcher"),
    "MatchRequest": ("matchers", "matchers.MatchRequest"),
    "match_sync": ("matchers", "matchers.match_sync"),
    "MatchVerdict": ("matchers.llm", "matchers.llm.MatchVerdict"),
    # records
    "Judgment": ("records", "records.Judgment"),
    "Match": ("records", "records.Match"),
    "Matching": ("records", "records.Matching"),
    "MetaJudgeRecord": ("records", "records.MetaJudgeRecord"),
    "SampleMetrics": ("records", "records.SampleMetrics"),
    "SampleResult": ("records", "records.SampleResult"),
    "parse_direction": ("records", "records.parse_direction"),
    "sample_from_row": ("records", "records.sample_from_row"),
    "RowProblem": ("io", "io.RowProblem"),
    # parsers of model text
    "ParseFailure": ("parse", "parse.ParseFailure"),
    "extract_reference_scores": ("parse", "parse.extract_reference_scores"),
    "parse_decomposition": ("parse", "parse.parse_decomposition"),
    "parse_metajudge": ("parse", "parse.parse_metajudge"),
    "parse_metarm_verdict": ("parse", "parse.parse_metarm_verdict"),
    "parse_reasons": ("parse", "parse.parse_reasons"),
    "parse_verdict": ("parse", "parse.parse_verdict"),
    "strip_hidden_reasoning": ("parse", "parse.strip_hidden_reasoning"),
    # prompts
    "Prompt": ("prompts", "prompts.Prompt"),
    "load_prompt": ("prompts", "prompts.load_prompt"),
    # statistics
    "average_precision": ("stats.consistency", "stats.consistency.average_precision"),
    "bootstrap_ci": ("stats.consistency", "stats.consistency.bootstrap_ci"),
    "optimal_matching": ("stats.consistency", "stats.consistency.optimal_matching"),
    "paper_metrics": ("stats.consistency", "stats.consistency.paper_metrics"),
    "reference_metrics": ("stats.consistency", "stats.consistency.reference_metrics"),
    "resolve_one_to_one": ("stats.consistency", "stats.consistency.resolve_one_to_one"),
    "summarize": ("stats.consistency", "stats.consistency.summarize"),
    "paired_bootstrap": ("stats.paired", "stats.paired.paired_bootstrap"),
    "RAlignScores": ("stats.ralign", "stats.ralign.RAlignScores"),
    "ralign_scores": ("stats.ralign", "stats.ralign.ralign_scores"),
    # official benchmark scoring
    "score_judgments_file": ("bench", "bench.score_judgments_file"),
    "score_rmbench_scores": ("bench", "bench.score_rmbench_scores"),
    # the reward
    "RewardResult": ("reward", "reward.RewardResult"),
    "score_batch": ("reward", "reward.score_batch"),
}


def _load(where: str, name: str) -> Any:
    module, _, attribute = where.partition(":")
    return getattr(importlib.import_module(f".{module}", __name__), attribute or name)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is not None:
        value = _load(module, name)
    elif name in _DEPRECATED:
        where, instead = _DEPRECATED[name]
        warnings.warn(
            f"rationalerm.{name} is deprecated and will be removed in the next release; use rationalerm.{instead}",
            DeprecationWarning,
            stacklevel=2,
        )
        return _load(where, name)  # not cached: every use warns (the warnings filter decides what is shown)
    elif name == "__version__":
        from .version import __version__ as value
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups find it directly, without calling __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ConfigError",
    "InputError",
    "JudgeError",
    "JudgePool",
    "JudgeRefusedError",
    "JudgeUnavailableError",
    "LLMMatcher",
    "LocalMatcher",
    "ModelResult",
    "PreferenceSample",
    "RationaleRMError",
    "RecordError",
    "RewardConfig",
    "RewardSample",
    "RewardScorer",
    "__version__",
    "agree",
    "analyze",
    "bench_judgebench",
    "bench_judgebench_async",
    "bench_rmbench",
    "bench_rmbench_async",
    "build_report",
    "decompose",
    "decompose_async",
    "evaluate",
    "evaluate_async",
    "generate",
    "generate_async",
    "judge",
    "judge_async",
    "load_helpsteer3_preference",
    "load_judgebench",
    "load_rationalerm",
    "load_rmbench",
    "metarm",
    "metarm_async",
    "prepare_rl",
    "tag",
    "tag_async",
]
