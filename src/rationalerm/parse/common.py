"""What every parser of model text shares: :class:`ParseFailure`, the result block and the visible text.

Parsers never raise on text: each returns a value or a :class:`ParseFailure` with a short stable reason code.
:func:`find_result_block` finds the last ``<RESULT_START> ... <RESULT_END>`` block (tolerating the decorations real
judges add); :func:`strip_hidden_reasoning` drops a ``<think>`` block, so only the visible answer counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Why a model answer could not be used. ``reason`` is a short stable code, ``detail`` says more."""

    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


# The reason every parser gives for an answer that is not text.
NOT_TEXT = "not_text"


def not_text(text: object) -> ParseFailure:
    """The failure for an answer that is not a string."""
    return ParseFailure(NOT_TEXT, f"expected text, got {type(text).__name__}")


_TAG_START = r"<\s*RESULT[\s_]*START\s*>|\[\s*RESULT[\s_]*START\s*\]"
_TAG_END = r"<\s*/?\s*RESULT[\s_]*END\s*>|\[\s*RESULT[\s_]*END\s*\]|<\s*/\s*RESULT[\s_]*START\s*>"
_START_RE = re.compile(_TAG_START, re.IGNORECASE)
_END_RE = re.compile(_TAG_END, re.IGNORECASE)


def find_result_block(text: str) -> str | None:
    """The content of the last result block, or None.

    The last block wins because judges often quote the format while reasoning before writing the real answer.
    A final block with a start tag and no end tag (a truncated or sloppy answer) runs to the end of the text.
    """
    # Fast path for the canonical tags: string search instead of a regex scan of the (often long) reasoning.
    canonical = text.rfind("<RESULT_START>")
    if canonical >= 0:
        begin = canonical + 14
        close = text.find("<RESULT_END>", begin)
        # Every tag starts with "<" or "[": with neither in the block nor after its end tag (most answers), no
        # other tag can move the block, and the regex checks below would find nothing.
        if close >= 0 and _tag_free(text, begin, close) and _tag_free(text, close + 12, len(text)):
            return text[begin:close]
        if _START_RE.search(text, begin) is None:
            if close >= 0 and _END_RE.search(text, begin, close) is None:
                return text[begin:close]
            return _block_from(text, begin)
    starts = list(_START_RE.finditer(text))
    return _block_from(text, starts[-1].end()) if starts else None


def _block_from(text: str, begin: int) -> str:
    """From ``begin`` to the next end tag, or to the end of the text."""
    end = _END_RE.search(text, begin)
    return text[begin : end.start()] if end else text[begin:]


def _tag_free(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` holds neither "<" nor "[" (so no result tag)."""
    return text.find("<", start, end) < 0 and text.find("[", start, end) < 0


_THINK_OPEN_RE = re.compile(r"<\s*(think|thinking|reasoning)\s*>", re.IGNORECASE)
_THINK_CLOSE_RE = re.compile(r"<\s*/\s*(?:think|thinking|reasoning)\s*>", re.IGNORECASE)


def strip_hidden_reasoning(text: object) -> str:
    """The visible part of an answer: everything after the last closing ``</think>`` (also ``</thinking>``,
    ``</reasoning>``), as R-Align's ``remove_thinking_content`` does; an opened, never closed think block (an answer
    cut off while thinking) hides everything from its opening tag on. Non-text gives ``""``.

    A ``reasoning_content`` field never reaches this function: the judge pool reads only ``message.content``.
    """
    if not isinstance(text, str):
        return ""
    closes = list(_THINK_CLOSE_RE.finditer(text))
    visible = text[closes[-1].end() :] if closes else text
    opened = _THINK_OPEN_RE.search(visible)
    if opened is not None:
        visible = visible[: opened.start()]
    return visible.strip()
