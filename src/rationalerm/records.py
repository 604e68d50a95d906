"""Typed records: preference samples, model judgments, matchings and results.

The published HelpSteer3-Atomic layout (``Qwen/RationaleRM``) is read and written as it is: hyphenated keys
(``human-checklist``, ``{model}-checklist``, ``{model}-label``, ``{model}-generated_text``), model keys found
case-insensitively. Every record keeps the row it came from, so writers never drop fields they do not know.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from .errors import RecordError

# The status of an output row (a sample scored, judged or tagged): final statuses are not redone on resume.
OK = "ok"
PARSE_FAILED = "parse_failed"
SKIPPED = "skipped"
ERROR = "error"

HUMAN_CHECKLIST_KEY = "human-checklist"
CHECKLIST_SUFFIX = "-checklist"
LABEL_SUFFIX = "-label"
GENERATED_TEXT_SUFFIX = "-generated_text"

# Preference direction: 1 = response 1 (A) is better, 2 = response 2 (B) is better, 0 = tie.
Direction = Literal[0, 1, 2]
TIE: Direction = 0


# --------------------------------------------------------------------------------------------------------------
# Labels


_VERDICT_RE = re.compile(
    r"(?P<left>[AB12])\s*(?P<op>>>|»|>|=|<<|«|<)\s*(?P<right>[AB12])",
    re.IGNORECASE,
)


def parse_direction(value: Any) -> Direction | None:
    """Read a preference direction from any of the forms datasets and judges use.

    Accepts 1/2/0 (ints or strings), "A"/"B", "A>B", "A>>B", "A»B", "B>A", "A=B", "\\boxed{A>B}",
    "Response 1"/"Response 2", "tie", and HelpSteer3's ``overall_preference`` sign convention is *not* applied
    here (see :func:`direction_from_overall_preference`). Returns None when the value says nothing.
    """
    if value is None or isinstance(value, bool):
        return None
    common = _COMMON_DIRECTIONS.get(value) if isinstance(value, int | str) else None
    if common is not None:
        return common
    if isinstance(value, int | float):
        if value in (0, 1, 2):
            return int(value)  # type: ignore[return-value]
        return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    boxed = re.search(r"\\boxed\{([^{}]*)\}", text)
    if boxed:
        text = boxed.group(1).strip()
    lowered = text.lower()
    if lowered in {"0", "tie", "a=b", "b=a", "1=2", "2=1", "equal", "same"}:
        return 0
    if lowered in {"1", "a", "response 1", "response a", "response1", "responsea", "first"}:
        return 1
    if lowered in {"2", "b", "response 2", "response b", "response2", "responseb", "second"}:
        return 2
    match = _VERDICT_RE.search(text)
    if match:
        left = _side(match.group("left"))
        right = _side(match.group("right"))
        op = match.group("op")
        if left == right:
            return None
        if op == "=":
            return 0
        better = left if op in {">", ">>", "»"} else right
        return better
    return None


_COMMON_DIRECTIONS: dict[object, Direction] = {
    0: 0,
    1: 1,
    2: 2,
    "0": 0,
    "1": 1,
    "2": 2,
    "A>B": 1,
    "A>>B": 1,
    "B>A": 2,
    "B>>A": 2,
    "A=B": 0,
}


def _side(token: str) -> Direction:
    return 1 if token.upper() in {"A", "1"} else 2


def direction_from_overall_preference(value: Any) -> Direction | None:
    """HelpSteer3 ``overall_preference`` in -3..3: negative = response 1 better, positive = response 2."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value < 0:
        return 1
    if value > 0:
        return 2
    return 0


# --------------------------------------------------------------------------------------------------------------
# Samples and judgments


@dataclass(slots=True)
class Judgment:
    """One model's judgment of a sample: its ordered atomic reasons and its verdict."""

    model: str
    checklist: list[str] | None
    label: Direction | None = None
    raw_label: Any = None
    generated_text: str | None = None


@dataclass(slots=True)
class PreferenceSample:
    """A preference pair with the human's atomic reasons and any judged models."""

    id: str
    domain: str | None
    context: list[dict[str, Any]]
    response1: str
    response2: str
    human_checklist: list[str]
    human_label: Direction | None = None
    judgments: dict[str, Judgment] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        """The published layout, with every field of the source row kept."""
        row = dict(self.row)
        row.setdefault("id", self.id)
        if self.domain is not None:
            row["domain"] = self.domain
        row["context"] = self.context
        row["response1"] = self.response1
        row["response2"] = self.response2
        row[HUMAN_CHECKLIST_KEY] = list(self.human_checklist)
        for name, judgment in self.judgments.items():
            keys = model_keys(row, name)
            if judgment.checklist is not None:
                row[keys.checklist] = list(judgment.checklist)
            if judgment.raw_label is not None or judgment.label is not None:
                row[keys.label] = judgment.raw_label if judgment.raw_label is not None else judgment.label
            if judgment.generated_text is not None:
                row[keys.generated_text] = judgment.generated_text
        return row


@dataclass(frozen=True, slots=True)
class ModelKeys:
    checklist: str
    label: str
    generated_text: str


def find_key(row: Mapping[str, Any], key: str) -> str | None:
    """The row's own spelling of ``key``, compared case-insensitively (the published files mix cases)."""
    if key in row:
        return key
    lowered = key.lower()
    for candidate in row:
        if candidate.lower() == lowered:
            return candidate
    return None


def model_keys(row: Mapping[str, Any], model: str) -> ModelKeys:
    """The keys holding ``model``'s fields in ``row``: existing spellings win, new ones use ``model`` as given."""

    def key(suffix: str) -> str:
        return find_key(row, model + suffix) or model + suffix

    return ModelKeys(key(CHECKLIST_SUFFIX), key(LABEL_SUFFIX), key(GENERATED_TEXT_SUFFIX))


def discover_models(row: Mapping[str, Any]) -> list[str]:
    """Model names from the ``*-checklist`` keys of a row, in key order, without the human one."""
    names = []
    for key in row:
        if key.lower().endswith(CHECKLIST_SUFFIX) and key.lower() != HUMAN_CHECKLIST_KEY:
            names.append(key[: -len(CHECKLIST_SUFFIX)])
    return names


def validate_checklist(value: Any, field_name: str, *, allow_none: bool = False) -> list[str] | None:
    """A checklist must be a list of strings; anything else is a :class:`RecordError` naming the field."""
    if value is None:
        if allow_none:
            return None
        raise RecordError(field_name, "missing")
    if not isinstance(value, list):
        raise RecordError(field_name, f"must be a list of strings, got {type(value).__name__}")
    if all(type(item) is str for item in value):  # the common case, checked cheaply
        return value
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise RecordError(field_name, f"item {index + 1} must be a string, got {type(item).__name__}")
    return value


def stable_id(row: Mapping[str, Any]) -> str:
    """A content hash for rows without an id, so resumed runs find the same sample again."""
    payload = json.dumps(
        [row.get("context"), row.get("prompt"), row.get("response1"), row.get("response2")],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def sample_id_of(row: Mapping[str, Any]) -> str:
    """A row's sample id: ``id``, ``sample_id`` or ``pair_id``, else its content hash (:func:`stable_id`)."""
    sample_id = row.get("id", row.get("sample_id", row.get("pair_id")))
    return str(sample_id) if sample_id is not None else stable_id(row)


def invalid_label(row: Mapping[str, Any]) -> Any:
    """The row's ``label`` when it is there but says no direction (``"x"``, ``3``, NaN, ``true``); else None."""
    value = row.get("label")
    if value is None or parse_direction(value) is not None:
        return None
    return value


def invalid_labels_line(count: int) -> str | None:
    """The run summary's line for ``count`` rows whose ``label`` says no direction (None when there are none)."""
    if not count:
        return None
    rows = "1 row" if count == 1 else f"{count} rows"
    return f"{rows} without a valid label were left out of outcome accuracy"


def invalid_label_problem(source: str, line: int, value: Any) -> Any:
    """The :class:`~rationalerm.io.RowProblem` for a ``label`` that says no direction: reported with file and line,
    the row kept for rationale consistency."""
    from .io import RowProblem

    return RowProblem(
        source,
        line,
        "label",
        f"{value!r} is not a valid label (1, 2, 0 for a tie, or a verdict such as A>B): left out of outcome accuracy",
        "kept",
    )


def human_label_of(row: Mapping[str, Any]) -> Direction | None:
    """``label`` (1, 2, 0) when present, else the sign of HelpSteer3's ``overall_preference``."""
    if "label" in row and row["label"] is not None:
        return parse_direction(row["label"])
    if "overall_preference" in row:
        return direction_from_overall_preference(row["overall_preference"])
    return None


def sample_from_row(
    row: Mapping[str, Any], *, models: Iterable[str] | None = None, require_human: bool = True
) -> PreferenceSample:
    """Build a :class:`PreferenceSample` from a HelpSteer3-Atomic row.

    Raises :class:`RecordError` naming the field when the row cannot be used. A model whose checklist key is
    missing from the row gets a judgment with ``checklist=None`` so callers can count it as skipped.
    """
    if not isinstance(row, Mapping):
        raise RecordError("<row>", f"must be a JSON object, got {type(row).__name__}")
    human_key = find_key(row, HUMAN_CHECKLIST_KEY)
    if human_key is None:
        if require_human:
            raise RecordError(HUMAN_CHECKLIST_KEY, "missing")
        human: list[str] = []
    else:
        human = validate_checklist(row[human_key], human_key) or []
    context = row.get("context")
    if context is None and isinstance(row.get("prompt"), str):
        context = [{"role": "user", "content": row["prompt"]}]
    if context is None:
        context = []
    if isinstance(context, str):
        context = [{"role": "user", "content": context}]
    if not isinstance(context, list):
        raise RecordError("context", f"must be a list of chat messages, got {type(context).__name__}")
    judgments: dict[str, Judgment] = {}
    for name in models if models is not None else discover_models(row):
        keys = model_keys(row, name)
        checklist = validate_checklist(row.get(keys.checklist), keys.checklist, allow_none=True)
        raw_label = row.get(keys.label)
        text = row.get(keys.generated_text)
        judgments[name] = Judgment(
            model=name,
            checklist=checklist,
            label=parse_direction(raw_label),
            raw_label=raw_label,
            generated_text=text if isinstance(text, str) else None,
        )
    domain = row.get("domain")
    return PreferenceSample(
        id=sample_id_of(row),
        domain=str(domain) if domain is not None else None,
        context=list(context),
        response1=str(row.get("response1", row.get("response_A", "")) or ""),
        response2=str(row.get("response2", row.get("response_B", "")) or ""),
        human_checklist=list(human),
        human_label=human_label_of(row),
        judgments=judgments,
        row=dict(row),
    )


# --------------------------------------------------------------------------------------------------------------
# The released MetaJudge inference output layout


def read_metajudge_row(row: Mapping[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
    """``(metadata, answer text, prompt)`` of a row in the released inference output layout (``metadata``,
    ``samples[0].generated_text``, ``prompt``); a text or prompt that is not a string reads as None. Raises
    :class:`RecordError` when ``metadata`` is not an object."""
    metadata = row.get("metadata")
    if not isinstance(metadata, dict):
        raise RecordError("metadata", "missing or not an object (expected the judged input row)")
    samples = row.get("samples")
    text = None
    if isinstance(samples, list) and samples and isinstance(samples[0], dict):
        value = samples[0].get("generated_text")
        text = value if isinstance(value, str) else None
    prompt = row.get("prompt")
    return metadata, text, prompt if isinstance(prompt, str) else None


@dataclass(slots=True)
class MetaJudgeRecord:
    """One row of a MetaJudge run: ``prompt``, ``samples[0].generated_text``, ``status``, ``metadata`` (the input
    row), plus the ``rationalerm`` block this package writes (absent in files from the released scripts)."""

    prompt: str | None
    generated_text: str | None
    status: str | None
    metadata: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rationalerm(self) -> dict[str, Any]:
        block = self.extra.get("rationalerm")
        return block if isinstance(block, dict) else {}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> MetaJudgeRecord:
        if not isinstance(row, Mapping):
            raise RecordError("<row>", f"must be a JSON object, got {type(row).__name__}")
        metadata, text, prompt = read_metajudge_row(row)
        status = row.get("status")
        extra = {k: v for k, v in row.items() if k not in {"prompt", "samples", "status", "metadata"}}
        extra["samples"] = row.get("samples")
        return cls(
            prompt=prompt,
            generated_text=text,
            status=status if isinstance(status, str) else None,
            metadata=metadata,
            extra=extra,
        )

    def to_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"prompt": self.prompt}
        samples = self.extra.get("samples")
        if samples is None:
            samples = [{"generated_text": self.generated_text}] if self.generated_text is not None else []
        row["samples"] = samples
        row["status"] = self.status
        row["metadata"] = self.metadata
        row.update({k: v for k, v in self.extra.items() if k != "samples"})
        return row


# --------------------------------------------------------------------------------------------------------------
# Matchings and results


class Match(NamedTuple):
    """Human item ``human`` (1-based) matched to model item ``model`` (1-based; 0 = no match) with ``score``.

    A named tuple rather than a frozen dataclass: analyze builds millions of them and tuples are cheap to make."""

    human: int
    model: int
    score: float


@dataclass(frozen=True, slots=True)
class Matching:
    """A matching between a human list (n_human items) and a model list (n_model items as the matcher saw it)."""

    pairs: tuple[Match, ...]
    n_human: int
    n_model: int

    def triples(self) -> list[list[float | int]]:
        """``[human index, model index or 0, score]`` triples, the layout of ``samples.jsonl``."""
        return [[p.human, p.model, p.score] for p in self.pairs]

    @classmethod
    def from_triples(cls, triples: Iterable[Iterable[float]], n_human: int, n_model: int) -> Matching:
        pairs = tuple(Match(int(h), int(m), float(s)) for h, m, s in triples)
        return cls(pairs=pairs, n_human=n_human, n_model=n_model)


METRIC_NAMES = ("precision", "recall", "f1", "average_precision")


@dataclass(frozen=True, slots=True)
class SampleMetrics:
    precision: float
    recall: float
    f1: float
    average_precision: float

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in METRIC_NAMES}


@dataclass(slots=True)
class SampleResult:
    """One sample scored for one model."""

    id: str
    model: str
    domain: str | None
    metrics: SampleMetrics | None
    matching: Matching | None = None
    outcome_correct: bool | None = None
    status: str = "ok"  # ok | parse_failed | skipped | error
    reason: str | None = None

    def to_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "domain": self.domain,
            "status": self.status,
        }
        row["matching"] = self.matching.triples() if self.matching is not None else None
        if self.metrics is not None:
            row.update(self.metrics.as_dict())
        else:
            row.update(dict.fromkeys(METRIC_NAMES))
        row["outcome_correct"] = self.outcome_correct
        if self.reason:
            row["reason"] = self.reason
        return row


@dataclass(slots=True)
class MetricSummary:
    """Means of the four metrics over the samples that count, with 95% bootstrap intervals."""

    n: int
    precision: float
    recall: float
    f1: float
    average_precision: float
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "average_precision": self.average_precision,
            "ci": {k: [lo, hi] for k, (lo, hi) in self.ci.items()},
        }


@dataclass(slots=True)
class ModelResult:
    """One model over a dataset: metric means, counts of what counted, failed and was skipped (with reasons)."""

    model: str
    mode: str
    summary: MetricSummary
    valid: int
    parse_failed: int
    skipped: int
    skip_reasons: dict[str, int] = field(default_factory=dict)
    failure_reasons: dict[str, int] = field(default_factory=dict)
    by_domain: dict[str, MetricSummary] = field(default_factory=dict)
    outcome_accuracy: float | None = None
    outcome_n: int = 0
    outcome_ci: tuple[float, float] | None = None
    sources: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.summary.precision

    @property
    def recall(self) -> float:
        return self.summary.recall

    @property
    def rationale_consistency(self) -> float:
        return self.summary.recall

    @property
    def f1(self) -> float:
        return self.summary.f1

    @property
    def average_precision(self) -> float:
        return self.summary.average_precision

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "mode": self.mode,
            "precision": self.summary.precision,
            "recall": self.summary.recall,
            "f1": self.summary.f1,
            "average_precision": self.summary.average_precision,
            "valid": self.valid,
            "parse_failed": self.parse_failed,
            "skipped": self.skipped,
            "skip_reasons": dict(self.skip_reasons),
            "failure_reasons": dict(self.failure_reasons),
            "ci": {k: [lo, hi] for k, (lo, hi) in self.summary.ci.items()},
            "outcome_accuracy": self.outcome_accuracy,
            "outcome_n": self.outcome_n,
            "outcome_ci": list(self.outcome_ci) if self.outcome_ci else None,
            "by_domain": {d: s.as_dict() for d, s in sorted(self.by_domain.items())},
            "sources": list(self.sources),
        }
