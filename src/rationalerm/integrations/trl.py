"""A TRL ``GRPOTrainer`` reward function: ``await reward(prompts, completions, completion_ids, **kwargs)``, in two
forms TRL takes in ``reward_funcs``: a callable object (:class:`TRLReward`, :func:`trl_reward`) or a plain async
function (:func:`rationalerm_reward`, configured with ``functools.partial(rationalerm_reward, spec=ScorerSpec(...))``:
TRL 1.16 unwraps the partial to find the async function and its name, and the partial pickles).

Dataset columns arrive in ``kwargs`` as lists, one value per completion (``human_checklist``, ``human_label``,
``response1``, ``response2``, ``context``, optional ``golden``; the layout ``rationalerm prepare-rl --format trl``
writes). TRL gathers async reward functions on its own persistent event loop, so the scorer (and an LLM matcher's
connections) is opened there on first use and kept. The whole batch is one ``score_batch`` call.

Returns a score per completion, or None where the reward could not be computed for reasons outside the policy's
control (judge fault): TRL turns None into NaN and leaves that completion out. The parts are logged with TRL's
``log_metric`` (``rationalerm/outcome``, ``rationalerm/ap`` ...) and, when given, to ``on_results``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from ..reward import RewardResult, RewardSample, RewardScorer
from . import ScorerSpec, open_scorer

SAMPLE_COLUMNS = ("human_checklist", "human_label", "response1", "response2", "context", "golden", "id")


def samples_from_columns(n: int, columns: dict[str, Any]) -> list[RewardSample]:
    """One sample per completion from TRL's per-completion column lists."""
    missing = [name for name in ("human_checklist", "human_label") if name not in columns]
    if missing:
        raise KeyError(
            f"the dataset needs the column(s) {', '.join(missing)} (write it with rationalerm prepare-rl)"
        )
    rows = [{name: columns[name][i] for name in SAMPLE_COLUMNS if name in columns} for i in range(n)]
    return [RewardSample.from_row(row) for row in rows]


def batch_metrics(results: Sequence[RewardResult]) -> dict[str, float]:
    """Means over a batch: the reward, the outcome, the rationale score over the completions where it was computed,
    the parse rate and the guard counts."""
    n = max(1, len(results))
    scored = [r.ap for r in results if r.ap is not None]
    return {
        "rationalerm/reward": sum(r.score for r in results) / n,
        "rationalerm/outcome": sum(r.outcome for r in results) / n,
        "rationalerm/ap": sum(scored) / len(scored) if scored else 0.0,
        "rationalerm/parsed": sum(r.parsed for r in results) / n,
        "rationalerm/valid": sum(r.valid for r in results) / n,
        "rationalerm/n_reasons": sum(r.n_reasons for r in results) / n,
        "rationalerm/voided": sum(r.injected + r.copied + r.generic for r in results) / n,
    }


class TRLReward:
    """The reward function object; pass it in ``reward_funcs``. Its ``__name__`` (``hybrid_reward`` ...) names
    TRL's ``rewards/<name>/mean`` log keys."""

    def __init__(
        self,
        spec: ScorerSpec | None = None,
        *,
        scorer: RewardScorer | None = None,
        on_results: Callable[[list[RewardResult]], None] | None = None,
    ) -> None:
        self.spec = spec or ScorerSpec()
        self.__name__ = f"{(scorer.config.kind if scorer else self.spec.kind)}_reward"
        self._scorer = scorer
        self._opening: asyncio.Future[RewardScorer] | None = None
        self._context: Any = None
        self.on_results = on_results

    async def _get_scorer(self) -> RewardScorer:
        if self._scorer is not None:
            return self._scorer
        if self._opening is None:
            self._context = open_scorer(self.spec)
            self._opening = asyncio.ensure_future(self._context.__aenter__())
        self._scorer = await self._opening
        return self._scorer

    async def aclose(self) -> None:
        """Close the judge connections opened for this reward (call from the loop that used it)."""
        if self._context is not None and self._scorer is not None:
            await self._context.__aexit__(None, None, None)
            self._context = self._opening = None
            self._scorer = None

    async def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        scorer = await self._get_scorer()
        samples = samples_from_columns(len(completions), kwargs)
        results = await scorer.score_batch(list(completions), samples)
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            for name, value in batch_metrics(results).items():
                log_metric(name, value)
        if self.on_results is not None:
            self.on_results(results)
        return [r.score if r.valid else None for r in results]


def trl_reward(spec: ScorerSpec | None = None, **kwargs: Any) -> TRLReward:
    """``trl_reward(kind="hybrid", matcher="local")``: a TRL reward function from :class:`ScorerSpec` fields."""
    if spec is None:
        spec = ScorerSpec.from_kwargs(kwargs)
    return TRLReward(spec)


# One reward object (its scorer, cache and judge connections) per spec and event loop, for the plain function.
_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[ScorerSpec, TRLReward]] = (
    weakref.WeakKeyDictionary()
)


async def rationalerm_reward(
    prompts: Sequence[Any],
    completions: Sequence[Any],
    completion_ids: Sequence[Any] | None = None,
    *,
    spec: ScorerSpec | None = None,
    **kwargs: Any,
) -> list[float | None]:
    """The reward as a plain async function: ``reward_funcs=[rationalerm_reward]`` (hybrid reward, local matcher)
    or ``functools.partial(rationalerm_reward, spec=ScorerSpec(kind="hybrid", matcher="llm", ...))``. The scorer is
    opened on first use in the loop TRL calls it from and kept for that loop and spec; otherwise it is
    :class:`TRLReward`'s call (dataset columns from ``kwargs``, None for a judge fault, metrics to ``log_metric``).
    """
    spec = spec or ScorerSpec()
    by_spec = _SHARED.setdefault(asyncio.get_running_loop(), {})
    reward = by_spec.get(spec)
    if reward is None:
        reward = by_spec[spec] = TRLReward(spec)
    return await reward(prompts, completions, completion_ids, **kwargs)


__all__ = [
    "SAMPLE_COLUMNS",
    "TRLReward",
    "batch_metrics",
    "rationalerm_reward",
    "samples_from_columns",
    "trl_reward",
]
