"""Adapters that put the rationalerm reward inside RL frameworks: verl (:mod:`.verl`), TRL (:mod:`.trl`) and
OpenRLHF's remote reward server (:mod:`.openrlhf`).

They share :class:`ScorerSpec` (which reward, which matcher, which judge) and :func:`open_scorer`, which builds a
:class:`~rationalerm.reward.RewardScorer` with its matcher and pools opened in the running event loop. An LLM matcher's
connection pool belongs to the loop it was opened in, so adapters keep one scorer per (spec, event loop). With no
judge model named, the judge is asked what it serves (``GET /models``, :func:`resolve_judge_model`): a server
started by the trainer (verl's ``reward_router_address``) serves its model under its path, and a made-up name would
only be refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from ..errors import ConfigError
from ..reward import GuardConfig, RewardConfig, RewardScorer

MatcherKind = Literal["local", "llm"]
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScorerSpec:
    """Everything needed to build a scorer, as plain values (framework configs pass keyword arguments).

    ``matcher``: ``local`` (offline embeddings) or ``llm`` (the MetaJudge prompt on ``judge_model`` at
    ``base_urls``; ``$OPENAI_BASE_URL`` when empty), with ``concurrency`` requests in flight at most, each retried
    up to ``max_retries`` times (connection errors, timeouts, 429/5xx). ``metarm_model`` / ``metarm_base_urls``
    serve the R-Align MetaRM (default: the judge's). ``match_all`` computes the rationale score for logging even
    where it cannot change the reward. ``max_reasons`` 0 means no cap. ``screen_workers`` parses and screens completions in that
    many worker processes while this one talks to the judge (worth it for batches of thousands on a machine with
    cores to spare; 0, the default, screens in-process). ``local_backend`` is the local matcher's encoder: for a
    training reward, ``auto`` takes ``torch-bf16`` on a CPU with native bf16 (AMX, AVX-512 BF16: about twice the
    completions/s of the fp32 encoder, the same matchings on the labelled dev set) and ONNX Runtime fp32
    elsewhere; name a backend to pin it. (``evaluate`` keeps the fp32 encoder the thresholds were fitted on.)
    ``judge_model_hint`` is the name the judge is expected to serve when ``judge_model`` is empty (verl: its reward
    model's path); :func:`resolve_judge_model` checks it against what the server lists.
    """

    kind: str = "hybrid"
    style: str = "rationalerm"
    matcher: MatcherKind = "local"
    judge_model: str = ""
    base_urls: tuple[str, ...] = ()
    api_key: str | None = field(default=None, repr=False)
    concurrency: int = 128
    timeout: float = 300.0
    max_retries: int = 5
    temperature: float | None = 0.6
    max_tokens: int | None = 8192
    metarm_model: str = ""
    metarm_base_urls: tuple[str, ...] = ()
    match_all: bool = False
    max_reasons: int = 8
    threads: int | None = None
    local_backend: str = "auto"
    cache_size: int = 65_536
    screen_workers: int = 0
    judge_model_hint: str = ""

    @classmethod
    def from_kwargs(cls, values: Mapping[str, Any]) -> ScorerSpec:
        """From keyword arguments (unknown keys ignored: frameworks add their own). ``base_url`` may be a string or
        a list; ``reward_router_address`` (verl serving the judge) becomes ``http://ADDRESS/v1`` and selects the LLM
        matcher unless one is named; the ``name_or_path`` of verl's ``reward_model_tokenizer`` becomes
        ``judge_model_hint``."""
        known = _FIELDS.get(cls)
        if known is None:  # dataclasses.fields() walks the class each time: it is called once per trajectory
            known = _FIELDS[cls] = frozenset(f.name for f in fields(cls))
        chosen = {k: v for k, v in values.items() if k in known and v is not None}
        urls = values.get("base_urls", values.get("base_url"))
        router = values.get("reward_router_address")
        if router and not urls:
            urls = [router if "://" in str(router) else f"http://{router}/v1"]
            chosen.setdefault("matcher", "llm")
        hint = getattr(values.get("reward_model_tokenizer"), "name_or_path", None)
        if hint and not chosen.get("judge_model_hint"):
            chosen["judge_model_hint"] = str(hint)
        if isinstance(urls, str):
            urls = [u for u in urls.split(",") if u]
        chosen["base_urls"] = tuple(urls or ())
        if "metarm_base_urls" in chosen and isinstance(chosen["metarm_base_urls"], str):
            chosen["metarm_base_urls"] = tuple(u for u in chosen["metarm_base_urls"].split(",") if u)
        return cls(**chosen)

    def reward_config(self) -> RewardConfig:
        return RewardConfig(
            kind=self.kind,  # type: ignore[arg-type]
            style=self.style,  # type: ignore[arg-type]
            guards=GuardConfig(max_reasons=self.max_reasons or None),
            match_all=self.match_all,
        )

    def needs_matcher(self) -> bool:
        return self.kind == "hybrid" or self.match_all


_FIELDS: dict[type, frozenset[str]] = {}


def _urls(urls: tuple[str, ...]) -> list[str]:
    if urls:
        return list(urls)
    env = os.environ.get("OPENAI_BASE_URL")
    if not env:
        raise ConfigError(
            "the LLM matcher needs a judge: pass base_url (or reward_router_address) or set OPENAI_BASE_URL"
        )
    return [env]


def make_local_matcher(spec: ScorerSpec) -> Any:
    from ..matchers.local import LocalMatcher

    backend = spec.local_backend
    if backend == "auto" and not os.environ.get("RATIONALERM_LOCAL_BACKEND"):
        from ..matchers.encoder import native_bf16

        if native_bf16():
            backend = "torch-bf16"  # a reward wants throughput; see ScorerSpec.local_backend
    return LocalMatcher(threads=spec.threads, backend=backend)


def choose_judge_model(served: list[str] | None, hint: str, where: str) -> str:
    """The model to ask at ``where``, given what its ``GET /models`` listed (None: no list) and the name expected
    there (``hint``, may be empty). Raises :class:`~rationalerm.errors.ConfigError` (a ValueError) when no model can
    be named without guessing."""
    if served:
        if hint and hint in served:
            return hint
        if hint and hint.rstrip("/").rsplit("/", 1)[-1] in served:  # served under its last path part
            return hint.rstrip("/").rsplit("/", 1)[-1]
        if len(served) == 1:
            return served[0]
        listed = ", ".join(repr(m) for m in served[:20])
        raise ConfigError(f"the judge at {where} serves several models ({listed}): name one with judge_model")
    if hint:
        logger.warning("the judge at %s lists no models (GET /models); asking for %r", where, hint)
        return hint
    raise ConfigError(
        f"no judge model: the judge at {where} lists none (GET /models); name one with judge_model"
    )


async def resolve_judge_model(model: str, urls: list[str], spec: ScorerSpec) -> str:
    """``model`` when named, else the model the judge at ``urls[0]`` serves (see :func:`choose_judge_model`)."""
    if model:
        return model
    from ..llm import JudgePool

    async with JudgePool("", urls, api_key=spec.api_key, timeout=min(spec.timeout, 30.0)) as probe:
        served = await probe.served_models()
        where = probe.base_urls[0]
    model = choose_judge_model(served, spec.judge_model_hint, where)
    logger.info("judge model at %s: %r (served: %s)", where, model, served)
    return model


async def judge_pool(model: str, base_urls: tuple[str, ...], spec: ScorerSpec) -> Any:
    """A :class:`~rationalerm.llm.JudgePool` for ``model`` (resolved when empty) on ``base_urls``, with the spec's
    key, concurrency, timeout and retries and no cache; the caller enters it (and so closes it)."""
    from ..llm import JudgePool

    urls = _urls(base_urls)
    return JudgePool(
        await resolve_judge_model(model, urls, spec),
        urls,
        api_key=spec.api_key,
        concurrency=spec.concurrency,
        timeout=spec.timeout,
        max_retries=spec.max_retries,
        cache=None,
    )


@contextlib.asynccontextmanager
async def open_scorer(spec: ScorerSpec, *, local_matcher: Any = None) -> AsyncIterator[RewardScorer]:
    """A scorer for ``spec`` with its LLM pools open in the running loop (closed on exit). ``local_matcher`` reuses
    an already loaded :class:`~rationalerm.matchers.local.LocalMatcher` (its embedding cache included), or any
    matcher in its place (a :class:`~rationalerm.integrations.microbatch.MicroBatcher` in front of one)."""
    config = spec.reward_config()
    async with contextlib.AsyncExitStack() as stack:
        matcher = None
        if spec.needs_matcher():
            if spec.matcher == "local":
                matcher = local_matcher or make_local_matcher(spec)
            elif spec.matcher == "llm":
                from ..matchers.llm import LLMMatcher

                pool = await judge_pool(spec.judge_model, spec.base_urls, spec)
                matcher = await stack.enter_async_context(
                    LLMMatcher(pool, temperature=spec.temperature, max_tokens=spec.max_tokens)
                )
            else:
                raise ConfigError(f"matcher must be local or llm, not {spec.matcher!r}")
        metarm = None
        if spec.kind == "ralign":
            model = spec.metarm_model or spec.judge_model
            urls = spec.metarm_base_urls or spec.base_urls
            metarm = await stack.enter_async_context(await judge_pool(model, urls, spec))
        scorer = RewardScorer(
            config,
            matcher=matcher,
            metarm=metarm,
            cache_size=spec.cache_size,
            screen_workers=spec.screen_workers,
        )
        stack.callback(scorer.close)
        yield scorer


__all__ = [
    "MatcherKind",
    "ScorerSpec",
    "choose_judge_model",
    "make_local_matcher",
    "open_scorer",
    "resolve_judge_model",
]
