"""Building an LLM matcher from command-line options (shared by the commands that can use one)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


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
    from ..llm import JudgePool, default_cache_path
    from ..matchers.llm import LLMMatcher

    urls = list(base_urls) or ([os.environ["OPENAI_BASE_URL"]] if os.environ.get("OPENAI_BASE_URL") else [])
    if not urls:
        raise ValueError("no judge server: pass --base-url or set OPENAI_BASE_URL")
    pool = JudgePool(
        judge_model,
        urls,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        cache=(cache or default_cache_path()) if use_cache else None,
    )
    return LLMMatcher(
        pool,
        structured=structured,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        max_format_retries=max_format_retries,
    )
