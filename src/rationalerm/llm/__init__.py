"""The judge client: an async pool of OpenAI-compatible chat-completions endpoints and the answer cache behind it.

* :mod:`.pool`: :class:`JudgePool`, its request slots, transport and format retries, ``Retry-After``, spreading
  over several base URLs, over aiohttp's public client; credentials never leave the request header.
* :mod:`.cache`: :class:`CompletionCache`, the content-addressed sqlite file of validated answers.
* :mod:`.types`: what a call returns (:class:`Completion`, :class:`Usage`...) and the failure reason codes.

The submodules import downwards only (pool -> cache -> types). Every name other code takes from
``rationalerm.llm`` is re-exported here, so ``from rationalerm.llm import JudgePool`` keeps working.
"""

from __future__ import annotations

from .cache import CompletionCache, default_cache_path, request_key
from .pool import (
    BYTES_PER_TOKEN,
    NO_KEY,
    ChatCompletion,
    JudgePool,
    clean_base_url,
    estimate_prompt_tokens,
    sampling_options,
)
from .types import (
    BAD_RESPONSE,
    CONNECTION_ERROR,
    CONTEXT_LENGTH,
    EMPTY_ANSWER,
    PROMPT_TOO_LARGE,
    RATE_LIMITED,
    SERVER_ERROR,
    TIMEOUT,
    Completion,
    CompletionStatus,
    JsonSchema,
    Message,
    PoolEvent,
    PoolStats,
    TransportError,
    Usage,
    Validator,
)

__all__ = [
    "BAD_RESPONSE",
    "BYTES_PER_TOKEN",
    "CONNECTION_ERROR",
    "CONTEXT_LENGTH",
    "EMPTY_ANSWER",
    "NO_KEY",
    "PROMPT_TOO_LARGE",
    "RATE_LIMITED",
    "SERVER_ERROR",
    "TIMEOUT",
    "ChatCompletion",
    "Completion",
    "CompletionCache",
    "CompletionStatus",
    "JsonSchema",
    "JudgePool",
    "Message",
    "PoolEvent",
    "PoolStats",
    "TransportError",
    "Usage",
    "Validator",
    "clean_base_url",
    "default_cache_path",
    "estimate_prompt_tokens",
    "request_key",
    "sampling_options",
]
