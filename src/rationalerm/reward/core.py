"""The pieces of a GenRM training reward that need no judge: samples, settings, results, parsing and gating.

method.md section 6: hybrid R = AP x 1[outcome correct] (multiplicative, no weights), outcome-only R = 1[outcome
correct], R-Align R = 1[label correct] x 1[MetaRM says Correct]. The rationale part is never offered without the
outcome gate: alone it is hackable (verdicts stop following the reasons), so there is no "rationale" kind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from ..errors import ConfigError
from ..jsonfast import dumps_bytes
from ..parse import GENRM_STYLES, GenRMStyle, ParseFailure, parse_reasons, parse_verdict
from ..records import (
    HUMAN_CHECKLIST_KEY,
    Direction,
    RecordError,
    find_key,
    human_label_of,
    parse_direction,
    validate_checklist,
)
from .guards import GUARD_COUNTS, GuardConfig, Material, ScreenedReasons, screen_reasons

RewardKind = Literal["hybrid", "outcome", "ralign"]
REWARD_KINDS: tuple[RewardKind, ...] = ("hybrid", "outcome", "ralign")
DEFAULT_GOLDEN_FIELD = "gt_judgment"

# Result statuses: stable strings for logs and counts.
OK = "ok"
PARSE_FAILED = "parse_failed"  # the completion has no readable verdict (or no reasons where they are needed)
MATCH_FAILED = (
    "match_failed"  # the matcher could not score the reasons (LLM judge fault or unreadable answer)
)
METARM_FAILED = "metarm_failed"  # the MetaRM call failed or its answer had no verdict
BAD_SAMPLE = "bad_sample"  # the sample cannot be scored by this kind (e.g. no golden judgment for ralign)


def check_kind(kind: str) -> RewardKind:
    """``kind`` as a :data:`RewardKind`; a clear error for anything else, "rationale" included."""
    if kind == "rationale":
        raise ConfigError(
            "a rationale-only reward is not offered: without the outcome gate a policy learns reasons that no longer "
            "follow its verdicts (method.md section 6); use 'hybrid' (AP x outcome)"
        )
    if kind not in REWARD_KINDS:
        raise ConfigError(f"reward kind must be one of {', '.join(REWARD_KINDS)}, not {kind!r}")
    return kind  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class RewardSample:
    """What a completion is scored against: the human checklist and label, the judged material (for the copy guard
    and the MetaRM) and, for ``ralign``, the golden judgment."""

    human_checklist: tuple[str, ...]
    human_label: Direction
    context: tuple[Mapping[str, Any], ...] = ()
    response1: str = ""
    response2: str = ""
    golden: str | None = None
    id: str = ""
    _fingerprint: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.human_label not in (0, 1, 2):
            raise RecordError("label", f"the human label must be 1, 2 or 0 (tie), got {self.human_label!r}")

    @classmethod
    def from_row(cls, row: Mapping[str, Any], *, golden_field: str = DEFAULT_GOLDEN_FIELD) -> RewardSample:
        """From a HelpSteer3-Atomic row (``human-checklist``, ``label`` or ``overall_preference``, ``context``,
        ``response1``/``response2``) or a row of this package's RL layout (``human_checklist``, ``human_label``).
        Raises :class:`RecordError` naming the field when the row cannot be scored."""
        key = find_key(row, HUMAN_CHECKLIST_KEY) or find_key(row, "human_checklist")
        if key is None:
            raise RecordError(HUMAN_CHECKLIST_KEY, "missing")
        checklist = validate_checklist(_as_list(row[key]), key) or []
        label = (
            parse_direction(row["human_label"]) if row.get("human_label") is not None else human_label_of(row)
        )
        if label is None:
            raise RecordError("label", "no human label (human_label, label or overall_preference)")
        context = row.get("context")
        if isinstance(context, str):
            context = [{"role": "user", "content": context}]
        if context is None and isinstance(row.get("prompt"), str):
            context = [{"role": "user", "content": row["prompt"]}]
        golden = row.get(golden_field, row.get("golden"))
        return cls(
            human_checklist=tuple(checklist),
            human_label=label,
            context=tuple(dict(m) for m in _as_list(context or []) if isinstance(m, Mapping)),
            response1=str(row.get("response1") or ""),
            response2=str(row.get("response2") or ""),
            golden=golden if isinstance(golden, str) else None,
            id=str(row.get("id", row.get("index", ""))),
        )

    def material(self) -> Material:
        """The texts a reason must not copy."""
        texts = [str(m.get("content") or "") for m in self.context]
        return Material.of([*texts, self.response1, self.response2])

    def fingerprint(self) -> str:
        """A content hash: equal samples share cache entries whatever their ids. Computed once per sample (the
        scorer asks for it for every rollout of the sample)."""
        if self._fingerprint is not None:
            return self._fingerprint
        payload = dumps_bytes(
            [
                self.human_checklist,
                self.human_label,
                self.context,
                self.response1,
                self.response2,
                self.golden,
            ],
            default=str,
            sort_keys=True,
        )
        digest = hashlib.sha256(payload).hexdigest()[:24]
        object.__setattr__(self, "_fingerprint", digest)  # frozen: set once, a cache and not a field
        return digest


def _as_list(value: Any) -> list[Any]:
    """Lists arrive as lists, tuples or numpy arrays (parquet readers); anything else is left to validation."""
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


@dataclass(frozen=True, slots=True)
class RewardConfig:
    """How completions are scored. ``style`` is the GenRM answer format; ``match_all`` also computes the rationale
    score where it cannot change the reward (wrong verdicts, the outcome kind) so that training logs show the
    rationale curve of every run, outcome-only included (the paper's Figure 3)."""

    kind: RewardKind = "hybrid"
    style: GenRMStyle = "rationalerm"
    guards: GuardConfig = field(default_factory=GuardConfig)
    match_all: bool = False
    golden_field: str = DEFAULT_GOLDEN_FIELD

    def __post_init__(self) -> None:
        check_kind(self.kind)
        if self.style not in GENRM_STYLES:
            raise ConfigError(f"style must be one of {', '.join(GENRM_STYLES)}, not {self.style!r}")

    def fingerprint(self) -> str:
        payload = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(slots=True)
class RewardResult:
    """A reward and its parts. ``score`` is what the trainer gets; ``valid`` is False when the reward could not be
    computed for a reason outside the policy's control (judge fault, bad sample): trainers that can, skip those
    (TRL: None), the others get 0 with ``valid`` logged."""

    score: float
    kind: RewardKind
    status: str = OK
    reason: str | None = None
    verdict: Direction | None = None
    outcome: float = 0.0
    ap: float | None = None
    recall: float | None = None
    precision: float | None = None
    n_reasons: int = 0
    n_reasons_raw: int = 0
    duplicates: int = 0
    copied: int = 0
    injected: int = 0
    generic: int = 0
    over_cap: int = 0
    metarm: str | None = None
    cached: bool = False

    @property
    def parsed(self) -> bool:
        return self.status != PARSE_FAILED

    @property
    def valid(self) -> bool:
        return self.status in (OK, PARSE_FAILED)

    def metrics(self) -> dict[str, float]:
        """Numbers only, the same keys for every result (verl stacks them per key; a missing or text value would
        break its aggregation). Parts that were not computed are 0, flagged by ``rationale_scored``."""
        return {
            "score": float(self.score),
            "outcome": float(self.outcome),
            "ap": float(self.ap or 0.0),
            "recall": float(self.recall or 0.0),
            "precision": float(self.precision or 0.0),
            "rationale_scored": float(self.ap is not None),
            "n_reasons": float(self.n_reasons),
            "parsed": float(self.parsed),
            "valid": float(self.valid),
            **{name: float(getattr(self, name)) for name in GUARD_COUNTS},
            "metarm_correct": float(self.metarm == "Correct"),
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything (every field, in field order), for JSONL logs."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class ParsedCompletion:
    """A completion read and screened: its verdict and guarded reasons, or why it cannot be scored."""

    verdict: Direction | None
    screened: ScreenedReasons | None
    failure: ParseFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def completion_text(completion: Any) -> str:
    """The text of a completion: a string, or a conversational completion (a list of messages, or one message)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return str(completion.get("content") or "")
    if isinstance(completion, Sequence):
        return "".join(completion_text(part) for part in completion)
    return "" if completion is None else str(completion)


def read_completion(
    text: str, sample: RewardSample, config: RewardConfig, material: Material
) -> ParsedCompletion:
    """Parse the verdict (every kind) and the reasons (the kinds that score reasons) with the judge-side parsers,
    then screen the reasons through the guards. Hidden reasoning is ignored by the parsers."""
    verdict = parse_verdict(text, config.style)
    if isinstance(verdict, ParseFailure):
        return ParsedCompletion(None, None, verdict)
    if config.kind == "ralign" and not config.match_all:
        return ParsedCompletion(verdict, None)
    reasons = parse_reasons(text, config.style)
    if isinstance(reasons, ParseFailure):
        if config.kind == "hybrid":
            return ParsedCompletion(verdict, None, reasons)
        return ParsedCompletion(verdict, None)
    return ParsedCompletion(verdict, screen_reasons(reasons, material, config.guards))


def outcome_correct(verdict: Direction | None, sample: RewardSample) -> bool:
    """Direction decides (method.md section 5): A-side = response 1, B-side = response 2, A=B = tie."""
    return verdict is not None and verdict == sample.human_label


def base_result(config: RewardConfig, parsed: ParsedCompletion, sample: RewardSample) -> RewardResult:
    """The result before any judge: parse status, verdict, outcome and guard counts; score 0 for now."""
    if not parsed.ok:
        failure = parsed.failure
        return RewardResult(
            0.0, config.kind, PARSE_FAILED, failure.reason if failure else None, parsed.verdict
        )
    screened = parsed.screened
    result = RewardResult(0.0, config.kind, OK, None, parsed.verdict)
    result.outcome = float(outcome_correct(parsed.verdict, sample))
    if screened is not None:
        result.n_reasons = screened.considered
        result.n_reasons_raw = screened.raw
        for name, count in screened.counts().items():
            setattr(result, name, count)
    if config.kind == "outcome":
        result.score = result.outcome
    return result


__all__ = [
    "BAD_SAMPLE",
    "DEFAULT_GOLDEN_FIELD",
    "MATCH_FAILED",
    "METARM_FAILED",
    "OK",
    "PARSE_FAILED",
    "REWARD_KINDS",
    "ParsedCompletion",
    "RewardConfig",
    "RewardKind",
    "RewardResult",
    "RewardSample",
    "base_result",
    "check_kind",
    "completion_text",
    "outcome_correct",
    "read_completion",
]
