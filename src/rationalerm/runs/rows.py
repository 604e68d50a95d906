"""The row layouts the judge-side runs read: a conversation and two responses from HelpSteer3, HelpSteer3-Atomic,
JudgeBench, R-Align or plain ``prompt`` rows, and the key a run resumes by."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..records import RecordError, stable_id


@dataclass(frozen=True, slots=True)
class PairInput:
    """A conversation (chat messages, last one from the user) and the two responses to compare (A = 1, B = 2)."""

    context: list[dict[str, Any]]
    response_a: str
    response_b: str


_RESPONSE_KEYS = (("response1", "response2"), ("response_A", "response_B"), ("response_a", "response_b"))


def conversation_of(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The chat messages of a row: ``context`` (a list, or a string), ``conversations`` (R-Align), ``prompt`` or
    ``question`` (JudgeBench). Raises :class:`RecordError` naming the field when there is none."""
    for key in ("context", "conversations", "messages"):
        value = row.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            return [{"role": "user", "content": value}]
        if not isinstance(value, list) or not all(isinstance(m, Mapping) for m in value):
            raise RecordError(key, f"must be a list of chat messages, got {type(value).__name__}")
        if not value:
            raise RecordError(key, "is an empty conversation")
        return [dict(m) for m in value]
    for key in ("prompt", "question", "instruction"):
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return [{"role": "user", "content": value}]
    raise RecordError("context", "missing (no context, conversations, prompt or question field)")


def pair_of(row: Mapping[str, Any]) -> PairInput:
    """The conversation and the two responses of a row (``response1``/``response2``, ``response_A``/``response_B``)."""
    context = conversation_of(row)
    for first, second in _RESPONSE_KEYS:
        if first in row or second in row:
            for key in (first, second):
                value = row.get(key)
                if not isinstance(value, str):
                    reason = "missing" if value is None else f"must be a string, got {type(value).__name__}"
                    raise RecordError(key, reason)
            return PairInput(context, row[first], row[second])
    raise RecordError("response1", "missing (no response1/response2 or response_A/response_B fields)")


def row_key(row: Mapping[str, Any]) -> str:
    """The key a run resumes by: ``id``, ``sample_id`` or ``pair_id``; else the content hash downstream readers
    use (:func:`rationalerm.records.stable_id`) when the row has a conversation or responses; else a hash of the
    whole row."""
    for name in ("id", "sample_id", "pair_id"):
        value = row.get(name)
        if value is not None and not isinstance(value, dict | list):
            return str(value)
    if any(row.get(k) is not None for k in ("context", "prompt", "response1", "response2")):
        return stable_id(row)
    payload = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


__all__ = ["PairInput", "conversation_of", "pair_of", "row_key"]
