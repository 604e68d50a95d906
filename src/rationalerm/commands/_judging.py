"""Building an LLM matcher from command-line options (shared by the commands that can use one)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def build_llm_matcher(
    *,
    judge_model: str,
    base_urls: Sequence[str],
    api_key: str | None,
    concurrency: int,
    timeout: float,
    max_retries: int,
    structured: bool,
    temperature: float,
    max_tokens: int,
    seed: int | None,
    cache: Path | None,
    use_cache: bool = True,
    max_format_retries: int = 2,
):
    """An :class:`~rationalerm.matchers.llm.LLMMatcher` over a new pool; enter it (``async with``) in the loop
    that uses it. Raises ValueError for options that cannot work (no base URL, bad concurrency)."""
    from ..matchers.llm import LLMMatcher
    from ..workflows.judge_side import open_pool

    pool = open_pool(
        judge_model=judge_model,
        base_urls=base_urls,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        cache=cache,
        use_cache=use_cache,
    )
    return LLMMatcher(
        pool,
        structured=structured,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        max_format_retries=max_format_retries,
    )


def matcher_from_options(
    matcher_name: str, *, judge_model: str | None, calibration: Path | None = None, **llm_options: Any
) -> Any:
    """The matcher a command's ``--matcher`` names: the local one (fitted to your judge with ``calibration``, a
    file written by ``rationalerm calibrate``), or an LLM matcher built from ``llm_options`` (the keywords of
    :func:`build_llm_matcher`). Options that cannot work end the command with their reason."""
    from ..cli import fail

    if calibration is not None and matcher_name != "local":
        raise fail("--calibration fits the local matcher; use it with --matcher local", 2)
    if matcher_name == "local":
        try:
            from ..matchers.local import LocalMatcher
        except ImportError as exc:
            raise fail(str(exc)) from None
        try:
            return LocalMatcher(scorer=calibration if calibration is not None else "packaged")
        except ValueError as exc:
            raise fail(str(exc), 2) from None
    if matcher_name == "llm":
        if not judge_model:
            raise fail("--matcher llm needs --judge-model (and --base-url or $OPENAI_BASE_URL)", 2)
        try:
            return build_llm_matcher(judge_model=judge_model, **llm_options)
        except ValueError as exc:
            raise fail(str(exc), 2) from None
    raise fail(f"--matcher must be local or llm, not {matcher_name!r}", 2)
