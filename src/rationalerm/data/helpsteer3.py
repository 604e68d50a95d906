"""HelpSteer3-Atomic (``Qwen/RationaleRM``) and HelpSteer3 preference (``nvidia/HelpSteer3``) rows and records.

HelpSteer3-Atomic rows carry no human preference. :func:`read_rationalerm` joins it from HelpSteer3 preference rows
(train and validation) by a content hash of the conversation and both responses (:func:`preference_key`), and
reports how many rows matched in a :class:`LabelJoin`; rows left without a label are counted and named there.
:func:`read_samples` turns the rows into the samples ``evaluate`` scores (ids kept unique: repeats get ``#2`` ...).

Sources are those of :func:`~rationalerm.data.hub.resolve_split` (a data file, a snapshot folder, the Hub id, the hub
cache when offline). Bad rows never pass silently: each becomes a :class:`~rationalerm.io.RowProblem` (file, line or
element, field) sent to ``on_problem``, or an :class:`~rationalerm.errors.InputError` when no ``on_problem`` is
given.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, RecordError
from ..io import Dedupe, RowProblem
from ..records import (
    PreferenceSample,
    discover_models,
    human_label_of,
    invalid_label,
    invalid_label_problem,
    sample_from_row,
    sample_id_of,
    stable_id,
)
from .hub import (
    HELPSTEER3,
    HELPSTEER3_HUB,
    RATIONALERM,
    RATIONALERM_HUB,
    SplitSource,
    cached_snapshot,
    hub_offline,
    resolve_split,
)
from .rows import ProblemSink, Row, at_line, build_rows, collecting, raise_problem

# --------------------------------------------------------------------------------------------------------------
# Human labels joined from HelpSteer3


def _turns(context: Any) -> Any:
    if isinstance(context, list):
        return [
            {"role": turn.get("role"), "content": turn.get("content")} if isinstance(turn, Mapping) else turn
            for turn in context
        ]
    return context


def preference_key(context: Any, response1: Any, response2: Any) -> str:
    """The content hash that joins a HelpSteer3-Atomic row to its HelpSteer3 preference row: SHA-256 of the
    canonical JSON (sorted keys, no spaces, UTF-8) of ``[turns, response1, response2]``, where ``turns`` keeps each
    chat turn's ``role`` and ``content`` only."""
    payload = json.dumps(
        [_turns(context), response1, response2], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class PreferenceIndex:
    """HelpSteer3 ``overall_preference`` by :func:`preference_key`; keys whose rows disagree are ``conflicts``."""

    source: str
    preferences: dict[str, int | float] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)
    rows: int = 0
    bad_rows: int = 0


def load_preference_index(
    source: str | os.PathLike[str] = HELPSTEER3_HUB,
    *,
    splits: Iterable[str] = ("train", "validation"),
    hub_cache: str | None = None,
    name: str | None = None,
) -> PreferenceIndex:
    """Every HelpSteer3 preference row of ``splits`` (a data file is read whole) indexed by content hash;
    ``name`` names the source in reports (default: the file, or the source and its splits)."""
    sources = []
    path = Path(source)
    if path.is_file():
        sources.append(resolve_split(path, HELPSTEER3, hub_cache=hub_cache))
    else:
        sources.extend(resolve_split(source, HELPSTEER3, split=s, hub_cache=hub_cache) for s in splits)
    if name is None and len(sources) == 1:
        name = sources[0].name
    elif name is None:
        name = f"{source} ({' + '.join(str(s.split) for s in sources)}, {sources[0].origin})"
    index = PreferenceIndex(source=name)
    for split_source in sources:
        for _, row in split_source.rows():
            if isinstance(row, RowProblem):
                index.bad_rows += 1
                continue
            value = row.get("overall_preference")
            if isinstance(value, bool) or not isinstance(value, int | float) or not -3 <= value <= 3:
                index.bad_rows += 1
                continue
            index.rows += 1
            key = preference_key(row.get("context"), row.get("response1"), row.get("response2"))
            known = index.preferences.get(key)
            if known is None:
                index.preferences[key] = value
            elif _sign(known) != _sign(value):
                index.conflicts.add(key)
    return index


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


@dataclass(slots=True)
class LabelJoin:
    """What happened to the human labels of a HelpSteer3-Atomic split.

    ``in_data``: rows that carried a label; ``matched``: rows that got one from ``source`` (``swapped`` of them
    matched with response 1 and 2 exchanged, their preference turned around); ``ambiguous``: rows whose content
    hash has preferences of both signs in ``source`` (left without a label); ``unlabelled``: (position, row id) of
    every row left without a label. ``note`` says why no join ran, when none did.
    """

    requested: str
    source: str | None = None
    rows: int = 0
    in_data: int = 0
    matched: int = 0
    swapped: int = 0
    ambiguous: int = 0
    unlabelled: list[tuple[int, str]] = field(default_factory=list)
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "source": self.source,
            "rows": self.rows,
            "labelled_in_data": self.in_data,
            "matched": self.matched,
            "matched_swapped": self.swapped,
            "ambiguous": self.ambiguous,
            "unlabelled": len(self.unlabelled),
            "unlabelled_rows": [{"position": p, "id": i} for p, i in self.unlabelled],
            "note": self.note,
        }

    def summary_line(self) -> str:
        parts = [f"{self.in_data} of {self.rows} rows carried a human label"]
        if self.source is not None:
            joined = f"{self.matched} joined from {self.source}"
            if self.swapped:
                joined += f" ({self.swapped} with the responses swapped)"
            parts.append(joined)
        if self.ambiguous:
            parts.append(f"{self.ambiguous} ambiguous (preferences of both signs)")
        parts.append(f"{len(self.unlabelled)} left without one")
        line = "human labels: " + ", ".join(parts)
        return line + (f" ({self.note})" if self.note else "")


LABELS_OFF = ("none", "off", "no", "false")


def join_labels(
    rows: list[tuple[int, Row]],
    labels_from: str | os.PathLike[str] | None = "auto",
    *,
    input_origin: str = "file",
    hub_cache: str | None = None,
) -> LabelJoin:
    """Give rows without a human label the preference of their HelpSteer3 row, in place.

    ``labels_from``: ``auto`` (default: used when some row lacks a label and ``nvidia/HelpSteer3`` is reachable
    without a surprise download: in the hub cache, or from the Hub when the rows themselves came from the Hub), a
    Hub id, a snapshot folder or a data file of HelpSteer3 preference rows, or ``none``. A matched row gets
    ``overall_preference`` (turned around when it matched with the responses swapped); no other field changes.
    An explicit source that cannot be read is an :class:`InputError`.
    """
    requested = "none" if labels_from is None else str(labels_from)
    report = LabelJoin(requested=requested, rows=len(rows))
    missing = [(position, row) for position, row in rows if human_label_of(row) is None]
    report.in_data = len(rows) - len(missing)
    if not missing:
        return report
    index = None
    if requested.lower() in LABELS_OFF:
        report.note = "--labels-from none"
    elif requested == "auto":
        index, report.note = _auto_index(input_origin, hub_cache)
    else:
        index = load_preference_index(requested, hub_cache=hub_cache)
    if index is not None:
        report.source = index.source
        for _, row in missing:
            context, first, second = row.get("context"), row.get("response1"), row.get("response2")
            key = preference_key(context, first, second)
            swapped = False
            if key not in index.preferences:
                key = preference_key(context, second, first)
                swapped = True
            if key not in index.preferences:
                continue
            if key in index.conflicts:
                report.ambiguous += 1
                continue
            value = index.preferences[key]
            row["overall_preference"] = -value if swapped else value
            report.matched += 1
            report.swapped += swapped
    for position, row in missing:
        if human_label_of(row) is None:
            report.unlabelled.append((position, _row_id(row)))
    return report


def _row_id(row: Mapping[str, Any]) -> str:
    value = row.get("id", row.get("sample_id", row.get("pair_id")))
    return str(value) if value is not None else stable_id(row)


def _auto_index(input_origin: str, hub_cache: str | None) -> tuple[PreferenceIndex | None, str | None]:
    files = list(HELPSTEER3.splits.values())
    try:
        folder = cached_snapshot(HELPSTEER3_HUB, files=files, hub_cache=hub_cache)
    except ImportError:
        folder = None
    if folder is not None and all((folder / f).is_file() for f in files):
        name = f"{HELPSTEER3_HUB} (train + validation, hub cache {folder})"
        return load_preference_index(folder, name=name), None
    if input_origin == "hub" and not hub_offline():
        try:
            return load_preference_index(HELPSTEER3_HUB), None
        except (InputError, ImportError) as exc:  # auto: no labels is reported, not fatal
            return None, f"{HELPSTEER3_HUB} could not be read: {exc}"
    return None, (
        f"{HELPSTEER3_HUB} is not in the hub cache: pass --labels-from {HELPSTEER3_HUB} to fetch it, "
        "or --labels-from a snapshot folder or data file of it"
    )


# --------------------------------------------------------------------------------------------------------------
# HelpSteer3-Atomic and HelpSteer3 preference


def _records(
    rows: Iterable[tuple[int, Row | RowProblem]],
    source: str,
    build: Callable[[Row], PreferenceSample],
    on_problem: ProblemSink | None,
) -> list[PreferenceSample]:
    return build_rows(rows, build, on_problem, lambda position, exc: at_line(source, position, exc))


@dataclass(slots=True)
class AtomicRows:
    """The rows of one HelpSteer3-Atomic split, its source and what happened to its human labels."""

    source: SplitSource
    rows: list[tuple[int, Row]]
    labels: LabelJoin
    problems: list[RowProblem] = field(default_factory=list)


def read_rationalerm(
    name_or_path: str | os.PathLike[str] = RATIONALERM_HUB,
    *,
    split: str | None = None,
    labels_from: str | os.PathLike[str] | None = "auto",
    hub_cache: str | None = None,
    on_problem: ProblemSink | None = None,
) -> AtomicRows:
    """The rows of a HelpSteer3-Atomic split (``test`` by default; ``full``), with human labels joined.

    ``name_or_path``: ``Qwen/RationaleRM``, a snapshot folder of it, or a data file of rows in its layout. Rows
    that are not JSON objects go to ``on_problem`` (or raise); see :func:`join_labels` for ``labels_from``.
    """
    source = resolve_split(name_or_path, RATIONALERM, split=split, hub_cache=hub_cache)
    report = on_problem or raise_problem
    rows: list[tuple[int, Row]] = []
    problems: list[RowProblem] = []
    for position, row in source.rows():
        if isinstance(row, RowProblem):
            problems.append(row)
            report(row)
        else:
            rows.append((position, row))
    labels = join_labels(rows, labels_from, input_origin=source.origin, hub_cache=hub_cache)
    return AtomicRows(source=source, rows=rows, labels=labels, problems=problems)


def load_rationalerm(
    name_or_path: str | os.PathLike[str] = RATIONALERM_HUB,
    *,
    split: str | None = None,
    labels_from: str | os.PathLike[str] | None = "auto",
    hub_cache: str | None = None,
    require_human: bool = True,
    on_problem: ProblemSink | None = None,
) -> list[PreferenceSample]:
    """HelpSteer3-Atomic rows as :class:`PreferenceSample` records, every judged model found in the rows.

    ``name_or_path``: ``Qwen/RationaleRM`` (split ``test``, the default, or ``full``), a snapshot folder of it, or a
    local data file. Human labels are joined from HelpSteer3 as :func:`read_rationalerm` says; use
    :func:`read_rationalerm` to see how many matched.
    """
    data = read_rationalerm(
        name_or_path, split=split, labels_from=labels_from, hub_cache=hub_cache, on_problem=on_problem
    )
    return _records(
        data.rows, data.source.name, lambda r: sample_from_row(r, require_human=require_human), on_problem
    )


def select_models(rows: Sequence[dict[str, Any]], wanted: Sequence[str] | None) -> list[str]:
    """Every ``*-checklist`` model over the rows in first-seen order, or the ``wanted`` ones (case-insensitive,
    spelled as the file spells them)."""
    seen: dict[str, str] = {}
    for row in rows:
        for name in discover_models(row):
            seen.setdefault(name.lower(), name)
    if not wanted:
        return list(seen.values())
    missing = [w for w in wanted if w.lower() not in seen]
    if missing:
        known = ", ".join(seen.values()) or "none"
        raise InputError(f"no '<model>-checklist' key for {', '.join(missing)} (models in the file: {known})")
    return [seen[w.lower()] for w in wanted]


@dataclass
class LoadedSamples:
    """Samples read for evaluation, with where they came from and what happened to their human labels."""

    samples: list[PreferenceSample]
    models: list[str]
    problems: list[RowProblem]
    source: SplitSource
    labels: LabelJoin
    invalid_labels: int = 0


def read_samples(
    path: str | os.PathLike[str],
    *,
    models: Sequence[str] | None = None,
    split: str | None = None,
    labels_from: str | os.PathLike[str] | None = "auto",
    hub_cache: str | None = None,
    strict: bool = False,
    on_problem: Callable[[RowProblem], None] | None = None,
    dedupe: str = "error",
) -> LoadedSamples:
    """Read HelpSteer3-Atomic-layout rows into samples with the chosen models' judgments.

    ``path`` is a local .jsonl/.json/.parquet file (``.gz`` too), a snapshot folder of ``Qwen/RationaleRM`` (or a
    folder holding ``helpsteer3_test_1000.jsonl``), or the Hub id ``Qwen/RationaleRM`` (split ``test`` by default,
    or ``full``; see :func:`~rationalerm.data.hub.resolve_split`). Rows without a human label get one joined from
    HelpSteer3 (``labels_from``, see :func:`join_labels`). A ``label`` that says no direction
    is reported (file, line, field ``label``, action "kept": the row still counts for rationale consistency) and
    counted in ``invalid_labels``; with ``strict`` it stops the run. Rows sharing an id follow the input policy
    of every command (:class:`rationalerm.io.Dedupe`): an error naming both lines, or with ``dedupe`` ``first`` /
    ``last`` one row used and the others reported as left out.
    """
    problems: list[RowProblem] = []
    report = collecting(problems, strict, on_problem)
    data = read_rationalerm(
        path, split=split, labels_from=labels_from, hub_cache=hub_cache, on_problem=report
    )
    name = data.source.name
    rows = data.rows
    if not rows:
        raise InputError(RowProblem(name, 0, None, "no usable rows (empty file?)"))
    chosen = select_models([r for _, r in rows], models)
    duplicates = Dedupe(name, dedupe)
    duplicates.scan((line, sample_id_of(row)) for line, row in rows)
    samples: list[PreferenceSample] = []
    invalid = 0
    for line, row in rows:
        left_out = duplicates.check(sample_id_of(row), line)
        if left_out is not None:  # the user chose --dedupe first|last: reported, never a --strict stop
            problems.append(left_out)
            if on_problem is not None:
                on_problem(left_out)
            continue
        try:
            sample = sample_from_row(row, models=chosen)
        except RecordError as exc:
            report(RowProblem(name, line, exc.field, exc.message))
            continue
        bad_label = invalid_label(row)
        if bad_label is not None:
            invalid += 1
            report(invalid_label_problem(name, line, bad_label))
        samples.append(sample)
    return LoadedSamples(samples, chosen, problems, data.source, data.labels, invalid)


def load_samples(
    path: str | os.PathLike[str],
    *,
    models: Sequence[str] | None = None,
    strict: bool = False,
    on_problem: Callable[[RowProblem], None] | None = None,
    split: str | None = None,
    labels_from: str | os.PathLike[str] | None = "auto",
) -> tuple[list[PreferenceSample], list[str], list[RowProblem]]:
    """``(samples, models, bad rows)``: :func:`read_samples` without the source and label report."""
    loaded = read_samples(
        path, models=models, split=split, labels_from=labels_from, strict=strict, on_problem=on_problem
    )
    return loaded.samples, loaded.models, loaded.problems


def helpsteer3_sample(row: Mapping[str, Any]) -> PreferenceSample:
    """A HelpSteer3 preference row as a record: the human label from ``overall_preference`` (negative: response 1
    better), an empty human checklist until ``rationalerm decompose`` writes one (``human-checklist`` is read when
    present), and the annotators' free text kept in ``row['individual_preference']``."""
    for key in ("context", "response1", "response2", "overall_preference"):
        if row.get(key) is None:
            raise RecordError(key, "missing")
    preference = row["overall_preference"]
    if isinstance(preference, bool) or not isinstance(preference, int | float) or not -3 <= preference <= 3:
        raise RecordError("overall_preference", f"must be a number in -3..3, got {preference!r}")
    individual = row.get("individual_preference")
    if individual is not None and not isinstance(individual, list):
        raise RecordError("individual_preference", f"must be a list, got {type(individual).__name__}")
    sample = sample_from_row(row, require_human=False)
    if sample.human_label is None:
        raise RecordError("overall_preference", "gives no preference direction")
    return sample


def load_helpsteer3_preference(
    name_or_path: str | os.PathLike[str] = HELPSTEER3_HUB,
    *,
    split: str | None = None,
    config: str | None = None,
    hub_cache: str | None = None,
    on_problem: ProblemSink | None = None,
) -> list[PreferenceSample]:
    """HelpSteer3 preference rows (``context``, ``response1``, ``response2``, ``overall_preference`` in -3..3,
    ``individual_preference[{score, reasoning}]``) as records.

    ``name_or_path``: ``nvidia/HelpSteer3`` (config ``preference``, split ``validation`` by default, or ``train``;
    files ``preference/{split}.jsonl.gz``), a snapshot folder of it, or a local data file (``.jsonl.gz`` too).
    """
    source = resolve_split(name_or_path, HELPSTEER3, split=split, config=config, hub_cache=hub_cache)
    return _records(source.rows(), source.name, helpsteer3_sample, on_problem)


def annotator_rationales(row: Mapping[str, Any]) -> list[str]:
    """The non-empty ``individual_preference[].reasoning`` texts of a HelpSteer3 preference row, in order."""
    individual = row.get("individual_preference")
    if not isinstance(individual, list):
        return []
    texts = [entry.get("reasoning") for entry in individual if isinstance(entry, Mapping)]
    return [text.strip() for text in texts if isinstance(text, str) and text.strip()]
