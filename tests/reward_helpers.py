"""Shared by the reward tests: a deterministic lexical matcher, a MetaJudge script for the scripted server built on
the same grader (optionally gullible to injected instructions), and the demo rows."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from judge_server import Reply, chat_reply, metajudge_text, prompt_text
from rationalerm.matchers import MatchOutcome, MatchRequest
from rationalerm.stats.consistency import optimal_matching

DEMO = Path(__file__).resolve().parent.parent / "examples" / "helpsteer3_atomic_demo.jsonl"
_SIDE = re.compile(r"\b(?:response|assistant)\s*([12ab])\b", re.I)
_WORD = re.compile(r"\w+")
_STOP = frozenset("the a an of to in is and or for on with its it that this than by as be are was".split())


def demo_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]


def _words(text: str) -> set[str]:
    text = _SIDE.sub(lambda m: " side" + ("1" if m.group(1).lower() in "1a" else "2") + " ", text)
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def grade(human: str, model: str) -> float:
    """Token overlap of the two items (sides A=1, B=2), on the MetaJudge scale."""
    a, b = _words(human), _words(model)
    if not a or not b:
        return 0.0
    overlap = len(a & b) / len(a)
    return float(np.floor(min(1.0, overlap * 1.6) * 4) / 4)


def matrix(human: Sequence[str], model: Sequence[str]) -> np.ndarray:
    return np.array([[grade(h, m) for m in model] for h in human], dtype=float).reshape(
        len(human), len(model)
    )


class LexicalMatcher:
    """A fast deterministic matcher for reward tests (the reward logic, not the matching, is under test)."""

    name = "lexical"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def settings(self) -> dict[str, Any]:
        return {"matcher": self.name}

    async def match(self, requests: Sequence[MatchRequest]) -> list[MatchOutcome]:
        self.calls.append(len(requests))
        return [optimal_matching(matrix(r.human, r.model)) for r in requests]


_ITEM = re.compile(r"^([RS])(\d+)\. (.*)$", re.M)
GULLIBLE_CUES = re.compile(
    r"ignore previous instructions|full credit|R\d+@S\d+|RESULT_START|im_start|you are now", re.I
)


def metajudge_script(*, gullible: bool = True):
    """A MetaJudge on the scripted server: grades like :func:`grade`, one-to-one. When ``gullible``, any
    judge-directed text in the model list makes it answer 1.0 for every human item (what an injected judge does)."""

    def script(request: dict[str, Any], number: int) -> Reply:
        text = prompt_text(request)
        human = [t for kind, _, t in _ITEM.findall(text) if kind == "R"]
        model = [t for kind, _, t in _ITEM.findall(text) if kind == "S"]
        if gullible and model and any(GULLIBLE_CUES.search(m) for m in model):
            full = [
                (i, i if i <= len(model) else 0, 1.0 if i <= len(model) else 0.0)
                for i in range(1, len(human) + 1)
            ]
            return chat_reply(metajudge_text(full))
        matching = optimal_matching(matrix(human, model))
        return chat_reply(metajudge_text([(p.human, p.model, p.score) for p in matching.pairs]))

    return script
