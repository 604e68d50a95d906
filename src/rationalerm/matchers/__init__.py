"""Matchers: a batch of (human list, model list) pairs in, one-to-one graded matchings out.

Two implementations: :class:`rationalerm.matchers.local.LocalMatcher` (offline sentence embeddings) and
:class:`rationalerm.matchers.llm.LLMMatcher` (the MetaJudge prompt on an OpenAI-compatible judge).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..aio import run as run_async
from ..parse import ParseFailure
from ..records import Matching


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """One pair of lists to match. ``model`` is already cut to the items that count (e.g. the top 5 at
    evaluation); ``key`` identifies the sample (and model) in outputs, caches and logs."""

    key: str
    human: Sequence[str]
    model: Sequence[str]
    # The two responses judged (optional): the local matcher reads which one a side-less item's specifics come from.
    responses: tuple[str, str] | None = None
    # The better response (1 or 2) by the human label, and by the judge's own verdict (optional; 0, None or anything
    # else: not known). The local matcher reads an item's judgement from the side it is about under these: a human
    # point about the preferred response is a merit, one about the other a fault.
    preference: int | None = None
    verdict: int | None = None


MatchOutcome = Matching | ParseFailure


@runtime_checkable
class Matcher(Protocol):
    """What every matcher provides. ``match`` returns one outcome per request, in order: a :class:`Matching`
    (indices 1-based, model index 0 = no match, strictly one-to-one) or a :class:`ParseFailure` with a reason."""

    name: str

    def settings(self) -> dict[str, Any]:
        """What produced the matchings (model, thresholds, prompt version ...), recorded in outputs."""
        ...

    async def match(self, requests: Sequence[MatchRequest]) -> list[MatchOutcome]: ...


@runtime_checkable
class RequestMatcher(Matcher, Protocol):
    """A matcher that waits on a judge server and so can also take requests one at a time, as they become ready
    (the reward scorer sends each pair as soon as its completion is screened). ``pool`` is its
    :class:`~rationalerm.llm.JudgePool`, whose limit bounds the requests in flight either way."""

    pool: Any

    async def match_one(self, request: MatchRequest) -> MatchOutcome: ...


def match_sync(matcher: Matcher, requests: Sequence[MatchRequest]) -> list[MatchOutcome]:
    """Run ``matcher.match`` from synchronous code (no running event loop)."""
    return run_async(matcher.match(requests))


__all__ = ["MatchOutcome", "MatchRequest", "Matcher", "RequestMatcher", "match_sync"]
