"""verl custom reward functions (``reward.custom_reward_function.path/name``; method.md section 10).

* ``compute_score``: the per-sample synchronous form (naive reward manager);
* ``compute_score_async``: the ``async def`` form, recommended when the matcher is an LLM judge;
* ``compute_score_batch``: the batch manager's form (plural keyword lists), one matcher call per batch.

Each returns a dict with ``score`` and the reward's parts (numbers only, the same keys every time: verl logs every
key as ``reward_extra_info``). Settings arrive as keyword arguments from ``custom_reward_function.reward_kwargs``
(``kind``, ``matcher``, ``judge_model``, ``base_url``, ``max_reasons``, ...; see
:class:`~rationalerm.integrations.ScorerSpec`). When verl serves the judge itself (``reward.reward_model``), it passes
``reward_router_address``, which selects the LLM matcher on ``http://ADDRESS/v1``.

The parquet ``rationalerm prepare-rl --format verl`` writes carries what these functions read: the human label in
``reward_model.ground_truth`` and the human checklist, responses and conversation in ``extra_info``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..reward import RewardResult, RewardSample
from . import ScorerSpec
from ._runtime import ScorerRuntime

# verl imports these functions by name, so their warm scorers must live beside them (see _runtime).
_RUNTIME = ScorerRuntime()
_VERL_KWARGS = {"reward_router_address", "reward_model_tokenizer", "data_sources", "solution_strs"}


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
    return result.metrics()


def _spec(kwargs: Mapping[str, Any]) -> ScorerSpec:
    return ScorerSpec.from_kwargs(kwargs)


async def compute_score_async(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """The async per-sample form. ``data_source`` is not used: every row of a prepare-rl parquet is a GenRM task."""
    scorer = await _RUNTIME.scorer(_spec(kwargs))
    return result_dict(await scorer.score(solution_str, sample_from_verl(ground_truth, extra_info)))


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """The synchronous per-sample form (runs on a background loop that keeps the scorer warm)."""
    return _RUNTIME.run(compute_score_async(data_source, solution_str, ground_truth, extra_info, **kwargs))


async def compute_score_batch_async(
    data_sources: Sequence[str],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    **kwargs: Any,
) -> list[dict[str, float]]:
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    samples = [sample_from_verl(gt, info) for gt, info in zip(ground_truths, infos, strict=True)]
    scorer = await _RUNTIME.scorer(_spec(kwargs))
    return [result_dict(r) for r in await scorer.score_batch(list(solution_strs), samples)]


def compute_score_batch(
    data_sources: Sequence[str],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    **kwargs: Any,
) -> list[dict[str, float]]:
    """The batch reward manager's form: one result dict per solution, one matcher call for the whole batch."""
    return _RUNTIME.run(
        compute_score_batch_async(data_sources, solution_strs, ground_truths, extra_infos, **kwargs)
    )


__all__ = [
    "compute_score",
    "compute_score_async",
    "compute_score_batch",
    "compute_score_batch_async",
    "result_dict",
    "sample_from_verl",
]
