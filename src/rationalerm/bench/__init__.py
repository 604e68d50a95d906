"""Outcome accuracy on public judge benchmarks, scored with each benchmark's official rules.

:mod:`~rationalerm.bench.rules` holds the double-game rule; :mod:`~rationalerm.bench.judgebench` scores JudgeBench
judgments with it; :mod:`~rationalerm.bench.rmbench` scores scalar reward models (per-response scores) and
generative judges (pairwise verdicts in both orders) on RM-Bench's 3x3 style matrix. The benchmarks' pairs and
prompts are loaded by :mod:`rationalerm.data` (re-exported here until the shims go). Nothing here calls a model.
"""

from .judgebench import (
    CATEGORIES,
    JudgeBenchPair,
    JudgeBenchResult,
    JudgedPair,
    category_of,
    judged_pair_from_row,
    load_judgebench_pairs,
    load_judged_pairs,
    pair_from_row,
    score_judged_pairs,
    score_judgments_file,
)
from .rmbench import (
    DOMAINS,
    STYLES,
    DomainScore,
    PairVerdict,
    RMBenchItem,
    RMBenchResult,
    ScoredItem,
    domain_of,
    easy_normal_hard,
    load_pair_verdicts,
    load_rmbench_dir,
    load_rmbench_file,
    load_scored_items,
    score_rmbench_scores,
    score_rmbench_verdicts,
)
from .rules import double_game_won, flip, parse_decision, verdict_points

__all__ = [
    "CATEGORIES",
    "DOMAINS",
    "STYLES",
    "DomainScore",
    "JudgeBenchPair",
    "JudgeBenchResult",
    "JudgedPair",
    "PairVerdict",
    "RMBenchItem",
    "RMBenchResult",
    "ScoredItem",
    "category_of",
    "domain_of",
    "double_game_won",
    "easy_normal_hard",
    "flip",
    "judged_pair_from_row",
    "load_judgebench_pairs",
    "load_judged_pairs",
    "load_pair_verdicts",
    "load_rmbench_dir",
    "load_rmbench_file",
    "load_scored_items",
    "pair_from_row",
    "parse_decision",
    "score_judged_pairs",
    "score_judgments_file",
    "score_rmbench_scores",
    "score_rmbench_verdicts",
    "verdict_points",
]
