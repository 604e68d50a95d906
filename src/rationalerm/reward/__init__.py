"""Rewards for training a GenRM with RL (method.md section 6), with guards against reward hacking.

* ``hybrid``: R = AP x 1[verdict correct]: the paper-mode Average Precision of the completion's reasons against the
  human checklist, gated by the outcome (RationaleRM);
* ``outcome``: R = 1[verdict correct], the baseline;
* ``ralign``: R = 1[verdict correct] x 1[MetaRM says Correct] against a golden judgment (R-Align).

Completions are parsed with the judge-side parsers (:func:`rationalerm.parse.parse_verdict`,
:func:`rationalerm.parse.parse_reasons`); unparseable ones score 0. The reasons pass the guards in
:mod:`rationalerm.reward.guards` before a :class:`~rationalerm.matchers.Matcher` scores them. Use
:class:`RewardScorer` (batched, cached) in training loops; the three functions below score one completion.
"""

from __future__ import annotations

from typing import Any

from ..llm import JudgePool
from ..matchers import Matcher
from .core import (
    BAD_SAMPLE,
    MATCH_FAILED,
    METARM_FAILED,
    OK,
    PARSE_FAILED,
    REWARD_KINDS,
    RewardConfig,
    RewardKind,
    RewardResult,
    RewardSample,
    check_kind,
    completion_text,
)
from .guards import GuardConfig, ScreenedReasons, is_injection, screen_reasons
from .scorer import RewardScorer, ScorerStats, score_batch


def _config(kind: RewardKind, config: RewardConfig | None) -> RewardConfig:
    if config is None:
        return RewardConfig(kind=kind)
    if config.kind != kind:
        raise ValueError(f"{kind}() was given a config for the {config.kind!r} reward")
    return config


async def hybrid(
    completion: Any, sample: RewardSample, *, matcher: Matcher, config: RewardConfig | None = None
) -> RewardResult:
    """AP x 1[outcome correct] for one completion."""
    return await RewardScorer(_config("hybrid", config), matcher=matcher).score(completion, sample)


def outcome(completion: Any, sample: RewardSample, *, config: RewardConfig | None = None) -> RewardResult:
    """1[outcome correct] for one completion (no judge involved, so synchronous)."""
    from ..aio import run as aio_run

    return aio_run(RewardScorer(_config("outcome", config)).score(completion, sample))


async def ralign(
    completion: Any, sample: RewardSample, *, metarm: JudgePool, config: RewardConfig | None = None
) -> RewardResult:
    """1[label correct] x 1[MetaRM says Correct] for one completion; needs ``sample.golden``."""
    return await RewardScorer(_config("ralign", config), metarm=metarm).score(completion, sample)


__all__ = [
    "BAD_SAMPLE",
    "MATCH_FAILED",
    "METARM_FAILED",
    "OK",
    "PARSE_FAILED",
    "REWARD_KINDS",
    "GuardConfig",
    "RewardConfig",
    "RewardKind",
    "RewardResult",
    "RewardSample",
    "RewardScorer",
    "ScorerStats",
    "ScreenedReasons",
    "check_kind",
    "completion_text",
    "hybrid",
    "is_injection",
    "outcome",
    "ralign",
    "score_batch",
    "screen_reasons",
]
