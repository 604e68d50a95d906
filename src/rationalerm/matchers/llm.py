"""The LLM matcher: the MetaJudge prompt on an OpenAI-compatible judge, through a :class:`~rationalerm.llm.JudgePool`.

Every answer is validated by :func:`rationalerm.parse.parse_metajudge` (exactly one line per human item, indices
and scores in range) and asked again when it fails, so a sample is either a valid matching or an explicit parse
failure, never a silent 0. In structured mode the judge is constrained to a JSON schema; the JSON is turned into
the same result lines and goes through the same validation, and the text kept for outputs is the canonical tagged
form, so ``rationalerm analyze`` reads both modes alike.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..aio import map_bounded
from ..llm import Completion, JsonSchema, JudgePool
from ..parse import ParseFailure, parse_metajudge
from ..prompts import METAJUDGE_PROMPT, Prompt, RenderedPrompt, load_prompt, render_metajudge
from ..records import Match, Matching
from ..stats.consistency import resolve_one_to_one
from . import MatchOutcome, MatchRequest

VerdictStatus = Literal["ok", "parse_failed", "error"]

# Reasons for failures that happen before or instead of a judge answer.
EMPTY_HUMAN_LIST = "empty_human_list"
ITEM_TOO_LONG = "item_too_long"
INVALID_JSON = "invalid_json"
SCHEMA_MISMATCH = "schema_mismatch"

METAJUDGE_SCHEMA = JsonSchema(
    name="metajudge_matching",
    schema={
        "type": "object",
        "properties": {
            "reasoning": {"type": "string"},
            "matches": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "human": {"type": "integer", "minimum": 1},
                        "model": {"type": "integer", "minimum": 0},
                        "score": {"type": "number", "enum": [0, 0.25, 0.5, 0.75, 1]},
                    },
                    "required": ["human", "model", "score"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["reasoning", "matches"],
        "additionalProperties": False,
    },
)


def result_block(matches: Sequence[tuple[int, int, float]], reasoning: str = "") -> str:
    """The canonical tagged answer for ``matches``: what a well-formed free-text reply ends with."""
    lines = "\n".join(f"- R{h}@S{m}: {s:g}" for h, m, s in matches)
    head = f"{reasoning.strip()}\n" if reasoning.strip() else ""
    return f"{head}<RESULT_START>\n{lines}\n<RESULT_END>"


@dataclass(frozen=True, slots=True)
class StructuredAnswer:
    """A validated structured answer: the matching and its canonical tagged text."""

    matching: Matching
    text: str


def parse_structured(text: str, n_human: int, n_model: int) -> StructuredAnswer | ParseFailure:
    """Validate a JSON answer against the list sizes, exactly as a tagged one would be."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return ParseFailure(INVALID_JSON, f"not valid JSON ({exc})")
    matches = data.get("matches") if isinstance(data, dict) else None
    if not isinstance(matches, list):
        return ParseFailure(SCHEMA_MISMATCH, "no 'matches' array")
    triples: list[tuple[int, int, float]] = []
    for entry in matches:
        if not isinstance(entry, dict):
            return ParseFailure(SCHEMA_MISMATCH, "a 'matches' entry is not an object")
        h, m, s = entry.get("human"), entry.get("model"), entry.get("score")
        if not (_is_int(h) and _is_int(m) and isinstance(s, int | float) and not isinstance(s, bool)):
            return ParseFailure(
                SCHEMA_MISMATCH, "each match needs integer 'human', 'model' and a number 'score'"
            )
        triples.append((int(h), int(m), float(s)))  # type: ignore[arg-type]
    reasoning = data.get("reasoning") if isinstance(data.get("reasoning"), str) else ""
    canonical = result_block(triples, reasoning)
    parsed = parse_metajudge(canonical, n_human, n_model)
    if isinstance(parsed, ParseFailure):
        return parsed
    return StructuredAnswer(parsed, canonical)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(slots=True)
class MatchVerdict:
    """Everything one MetaJudge call produced: the outcome, the prompt sent, the answer text and the call's cost.

    ``text`` is the answer as it should be stored (the canonical tagged form in structured mode); ``raw_text``
    the answer exactly as received when it differs. ``completion`` is None when no request was needed.
    """

    key: str
    status: VerdictStatus
    outcome: MatchOutcome
    prompt: RenderedPrompt
    text: str | None = None
    raw_text: str | None = None
    completion: Completion | None = None

    @property
    def matching(self) -> Matching | None:
        return self.outcome if isinstance(self.outcome, Matching) else None

    @property
    def reason(self) -> str | None:
        return self.outcome.reason if isinstance(self.outcome, ParseFailure) else None

    @property
    def detail(self) -> str | None:
        return self.outcome.detail if isinstance(self.outcome, ParseFailure) else None


class _Validator:
    """``parse(text, n_human, n_model)`` as a one-argument validator: one object per request in flight, where a
    closure would be a function and two cells."""

    __slots__ = ("n_human", "n_model", "parse")

    def __init__(self, parse: Any, n_human: int, n_model: int):
        self.parse, self.n_human, self.n_model = parse, n_human, n_model

    def __call__(self, text: str) -> Any:
        return self.parse(text, self.n_human, self.n_model)


class LLMMatcher:
    """MetaJudge matching with an LLM judge (implements :class:`rationalerm.matchers.Matcher`).

    ``pool`` carries the judge model, endpoints, retries and cache; this class owns the prompt, the sampling
    settings and the validation. Matchings returned are strictly one-to-one: when the judge gives one model item to
    several human items, the highest score keeps it.
    """

    name = "llm"

    def __init__(
        self,
        pool: JudgePool,
        *,
        prompt: str | Prompt = METAJUDGE_PROMPT,
        structured: bool = False,
        temperature: float | None = 0.6,
        max_tokens: int | None = 8192,
        seed: int | None = None,
        max_format_retries: int = 2,
        max_item_chars: int | None = None,
    ):
        if max_item_chars is not None and max_item_chars < 1:
            raise ValueError("max_item_chars must be at least 1 (or None for no cap)")
        self.pool = pool
        self.prompt = load_prompt(prompt) if isinstance(prompt, str) else prompt
        self.structured = structured
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.seed = seed
        self.max_format_retries = max_format_retries
        self.max_item_chars = max_item_chars

    async def __aenter__(self) -> LLMMatcher:
        """Open the pool's connections in the running event loop (``async with matcher: ...``)."""
        await self.pool.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.pool.aclose()

    def settings(self) -> dict[str, Any]:
        return {
            "matcher": self.name,
            "judge_model": self.pool.model,
            "base_urls": self.pool.base_urls,
            "prompt_version": self.prompt.version,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "structured": self.structured,
            "max_format_retries": self.max_format_retries,
            "max_item_chars": self.max_item_chars,
        }

    def render(self, request: MatchRequest) -> RenderedPrompt:
        return render_metajudge(self.prompt, request.human, request.model)

    async def match(self, requests: Sequence[MatchRequest]) -> list[MatchOutcome]:
        # At most 4x the pool's slots in progress, one per slot first: a large batch does not render every
        # prompt before the first answer is read (rationalerm.aio).
        concurrency = self.pool.concurrency
        verdicts = await map_bounded(requests, self.judge, limit=4 * concurrency, start=concurrency)
        return [v.outcome for v in verdicts]

    async def match_one(self, request: MatchRequest) -> MatchOutcome:
        """One request's outcome, as :meth:`match` gives it, for a caller that sends requests as they become ready
        (:class:`~rationalerm.matchers.RequestMatcher`)."""
        return (await self.judge(request)).outcome

    async def judge(self, request: MatchRequest) -> MatchVerdict:
        """Judge one pair of lists. Never raises for judge or server faults: they become the verdict's status."""
        rendered = self.render(request)
        n_human, n_model = len(request.human), len(request.model)
        if n_human == 0:
            failure = ParseFailure(EMPTY_HUMAN_LIST, "the human list is empty: nothing to match")
            return MatchVerdict(request.key, "error", failure, rendered)
        if n_model == 0:
            # Every human item is unmatched; asking a judge would only cost tokens.
            matching = Matching(tuple(Match(h, 0, 0.0) for h in range(1, n_human + 1)), n_human, 0)
            text = result_block([(h, 0, 0.0) for h in range(1, n_human + 1)], "The judge list is empty.")
            return MatchVerdict(request.key, "ok", matching, rendered, text=text)
        oversized = self._oversized(request)
        if oversized is not None:
            return MatchVerdict(request.key, "error", oversized, rendered)

        completion = await self.pool.complete(
            [{"role": "user", "content": rendered.text}],
            validate=_Validator(parse_structured if self.structured else parse_metajudge, n_human, n_model),
            structured=METAJUDGE_SCHEMA if self.structured else None,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            seed=self.seed,
            max_format_retries=self.max_format_retries,
        )
        if completion.status == "error":
            failure = ParseFailure(completion.reason or "error", completion.detail or "")
            return MatchVerdict(request.key, "error", failure, rendered, completion.text, None, completion)
        if completion.status == "invalid":
            failure = ParseFailure(completion.reason or "invalid", completion.detail or "")
            return MatchVerdict(
                request.key, "parse_failed", failure, rendered, completion.text, None, completion
            )
        value = completion.value
        if isinstance(value, StructuredAnswer):
            matching, text, raw = value.matching, value.text, completion.text
        else:
            matching, text, raw = value, completion.text, None
        resolved = Matching(tuple(resolve_one_to_one(matching.pairs, n_model)), n_human, n_model)
        return MatchVerdict(request.key, "ok", resolved, rendered, text, raw, completion)

    def _oversized(self, request: MatchRequest) -> ParseFailure | None:
        """Why ``request`` is not sent when one of its items is over ``max_item_chars`` (None when none is)."""
        cap = self.max_item_chars
        if cap is None:
            return None
        for side, items in (("human", request.human), ("model", request.model)):
            for index, item in enumerate(items, 1):
                if len(item) > cap:
                    return ParseFailure(
                        ITEM_TOO_LONG,
                        f"{side} item {index} has {len(item):,} characters, over the cap of {cap:,}: not sent",
                    )
        return None


__all__ = [
    "METAJUDGE_SCHEMA",
    "LLMMatcher",
    "MatchVerdict",
    "StructuredAnswer",
    "parse_structured",
    "result_block",
]
