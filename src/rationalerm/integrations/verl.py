"""verl custom reward functions (``reward.custom_reward_function``; method.md section 10).

Point verl at this module as ``path: pkg://rationalerm.integrations.verl`` (or at its file: it uses absolute imports,
so verl can also execute it from its path) with one of:

* ``name: compute_score_async``: the ``async def`` form, run on the reward worker's own event loop (recommended:
  verl's ``RewardLoopWorker`` Ray actors call the reward once per trajectory, many at once);
* ``name: compute_score``: the synchronous form (verl runs it on executor threads; each call is handed to one
  background loop, so the calls still share one scorer).

Both take verl's per-trajectory signature ``(data_source, solution_str, ground_truth, extra_info, **kwargs)`` and
work with the reward managers ``naive`` and ``rate_limited``. The concurrent calls of one worker share one scorer:
one judge connection pool (one connector, no more connections than its concurrency), one reward cache and, for the
local matcher, one encoder behind a micro-batcher; the calls arriving within a few ms of each other are scored
together as one batch (see :mod:`._runtime`), so a per-trajectory run costs about what the same rollouts cost
scored as one batch.

Each call returns a dict with ``score`` and the reward's parts (numbers only, the same keys every time: verl logs
every key as ``reward_extra_info`` and averages it per step). ``judge_failed`` is 1 where the score is a 0 the
policy did not earn (the LLM judge or MetaRM failed: no answer, an unreadable answer), ``bad_sample`` 1 where the
row cannot be scored by the kind; failures are also logged (the first of each reason, then every 100th, with
totals).

Settings arrive as keyword arguments from ``custom_reward_function.reward_kwargs`` (``kind``, ``matcher``,
``judge_model``, ``base_url``, ``max_reasons``, ...; see :class:`~rationalerm.integrations.ScorerSpec`). When verl
serves the judge itself (``reward.reward_model.enable``), it passes ``reward_router_address``, which selects the LLM
matcher on ``http://ADDRESS/v1``, and ``reward_model_tokenizer``: with no ``judge_model`` given, the judge is asked
for a model its server lists (``GET /v1/models``): the tokenizer's ``name_or_path`` when listed, else the only one
listed (never a made-up name).

The parquet ``rationalerm prepare-rl --format verl`` writes carries what these functions read: the human label in
``reward_model.ground_truth`` and the human checklist, responses and conversation in ``extra_info``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from rationalerm.integrations import ScorerSpec
from rationalerm.integrations._runtime import shared_runtime
from rationalerm.reward import BAD_SAMPLE, MATCH_FAILED, METARM_FAILED, RewardResult, RewardSample

logger = logging.getLogger("rationalerm.integrations.verl")
JUDGE_FAILURES = (MATCH_FAILED, METARM_FAILED)
LOG_EVERY = 100


class FailureLog:
    """Counts the results whose 0 the policy did not earn and logs them: the first of each status, then every
    ``every``-th, with the totals."""

    def __init__(self, every: int = LOG_EVERY) -> None:
        self.every = every
        self.counts: Counter[str] = Counter()
        self.total = 0
        self._lock = threading.Lock()

    def note(self, result: RewardResult) -> None:
        with self._lock:
            self.total += 1
            if result.status not in (*JUDGE_FAILURES, BAD_SAMPLE):
                return
            self.counts[result.status] += 1
            count = self.counts[result.status]
            totals = dict(self.counts)
            scored = self.total
        if count == 1 or count % self.every == 0:
            logger.warning(
                "rationalerm reward: %s (%s); scored 0 and flagged in reward_extra_info (%s of %d scored so far)",
                result.status,
                result.reason or "no reason given",
                ", ".join(f"{k}: {v}" for k, v in sorted(totals.items())),
                scored,
            )


FAILURES = FailureLog()


def sample_from_verl(ground_truth: Any, extra_info: Mapping[str, Any] | None) -> RewardSample:
    """A :class:`RewardSample` from verl's ``ground_truth`` (the human label: ``A``, ``B``, ``tie``, 1, 2, 0) and
    ``extra_info`` (``human_checklist``, ``response1``, ``response2``, ``context``, optional ``golden``)."""
    info = dict(extra_info or {})
    if isinstance(ground_truth, Mapping):
        info.update(ground_truth)
    else:
        info["human_label"] = ground_truth
    return RewardSample.from_row(info)


def result_dict(result: RewardResult) -> dict[str, float]:
    """The dict verl gets: ``score``, the parts, and the failure flags ``judge_failed`` and ``bad_sample``."""
    values = result.metrics()
    values["judge_failed"] = float(result.status in JUDGE_FAILURES)
    values["bad_sample"] = float(result.status == BAD_SAMPLE)
    return values


async def compute_score_async(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """The async per-trajectory form. ``data_source`` is not used: every row of a prepare-rl parquet is a GenRM
    task."""
    sample = sample_from_verl(ground_truth, extra_info)
    result = await shared_runtime().score(ScorerSpec.from_kwargs(kwargs), solution_str, sample)
    FAILURES.note(result)
    return result_dict(result)


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """The synchronous per-trajectory form (runs on a background loop that keeps the scorer warm)."""
    return shared_runtime().run(
        compute_score_async(data_source, solution_str, ground_truth, extra_info, **kwargs)
    )


__all__ = [
    "FAILURES",
    "FailureLog",
    "compute_score",
    "compute_score_async",
    "result_dict",
    "sample_from_verl",
]
