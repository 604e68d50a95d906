"""The judge client: an async pool of OpenAI-compatible chat-completions endpoints and the answer cache behind it.

* :mod:`.pool`: :class:`JudgePool`, its request slots, transport and format retries, ``Retry-After``, spreading
  over several base URLs, over aiohttp's public client; credentials never leave the request header.
* :mod:`.cache`: :class:`CompletionCache`, the content-addressed sqlite file of validated answers.
* :mod:`.types`: what a call returns (:class:`Completion`, :class:`Usage`...) and the failure reason codes.

The submodules import downwards only (pool -> cache -> types). Every public name of the three
(their ``__all__``) is re-exported here, so ``from rationalerm.llm import JudgePool`` keeps working.
"""

from __future__ import annotations

from . import cache, pool, types
from .cache import *  # noqa: F403
from .pool import *  # noqa: F403
from .types import *  # noqa: F403

__all__ = [*types.__all__, *cache.__all__, *pool.__all__]
