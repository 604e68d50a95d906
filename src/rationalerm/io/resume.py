"""The one resume mechanism: an output of keyed rows that a run appends to, a killed run leaves whole, and the next
run picks up. Every command that writes rows (``judge``, ``tag``, ``generate``, ``decompose``, ``golden``,
``metarm``, ``bench``) goes through :class:`ResumableOutput`, and counts what it did in a :class:`RunSummary`.

Invariants, at every moment (a ``SIGKILL`` included):

* the file holds only whole rows: each is appended as one flushed line, and a torn last line is cut when the file is
  next opened (:func:`~rationalerm.io.jsonl.repair_torn_tail`);
* after :meth:`ResumableOutput.prepare`, at most one row per key: rows of this run's kind (``key`` is not None) that
  did not end in a final status are dropped (they are about to be retried), a repeated key keeps its last row, and
  a row written with other settings (any of ``resume_keys`` in its provenance differs) is an :class:`InputError`
  naming file, line and field, since one file mixing two judges would make its figures meaningless;
* :meth:`ResumableOutput.compact` rewrites the file atomically, this run's rows in input order, then the rest as they
  were. Lines are moved as written, never re-encoded; only their keys are read.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..errors import InputError
from ..jsonfast import loads as fast_loads
from .jsonl import JsonlAppender, RowProblem, atomic_write_bytes, iter_jsonl, repair_torn_tail, write_jsonl

# Row statuses: ``ok`` (done), ``skipped`` (nothing to do: done too where a run says so), ``parse_failed`` (answers
# came but could not be read) and ``error`` (no usable answer, or a bad row). Runs retry what is not final.
OK, PARSE_FAILED, ERROR, SKIPPED = "ok", "parse_failed", "error", "skipped"

RowKey = Callable[[Mapping[str, Any]], "str | None"]
LineKey = Callable[[str], "str | RowProblem | None"]


def field_at(row: Mapping[str, Any], path: Sequence[str]) -> Any:
    """The value at ``path`` (keys, outer first) in nested mappings; None where a step is missing."""
    value: Any = row
    for name in path:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value


class ResumableOutput:
    """An output file of rows keyed by ``key(row)`` (None: a row of another run kind, e.g. another model's, kept
    as it is). ``status_at`` and ``provenance_at`` say where a row keeps its status and its provenance; rows whose
    status is in ``final`` are done and reused; ``resume_keys`` are the provenance settings that must agree.
    ``line_key`` reads a key from a line's text without decoding it all (it must agree with ``key``)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        key: RowKey,
        status_at: Sequence[str],
        provenance_at: Sequence[str],
        resume_keys: Sequence[str] = ("judge_model", "prompt_version"),
        final: Sequence[str] = (OK,),
        line_key: LineKey | None = None,
    ):
        self.path = Path(path)
        self.key = key
        self.status_at, self.provenance_at = tuple(status_at), tuple(provenance_at)
        self.resume_keys, self.final = tuple(resume_keys), tuple(final)
        self.line_key = line_key or self._decoded_key
        self._out: JsonlAppender | None = None
        self._offset = 0
        self._written: list[tuple[str, int]] = []

    def prepare(self, provenance: Mapping[str, Any], *, resume: bool = True) -> dict[str, dict[str, Any]]:
        """Make the file ready to append to and return its finished rows by key (see the module docstring). Without
        ``resume`` the file is removed: the run starts afresh."""
        if not resume:
            self.path.unlink(missing_ok=True)
            return {}
        if not self.path.exists():
            return {}
        repair_torn_tail(self.path)
        kept: list[dict[str, Any]] = []
        index: dict[str, int] = {}
        changed = False
        for line, row in iter_jsonl(self.path):
            if isinstance(row, RowProblem):
                raise InputError(
                    RowProblem(str(self.path), line, None, f"existing output is damaged: {row.message}")
                )
            key = self.key(row)
            if key is None:
                kept.append(row)
                continue
            if field_at(row, self.status_at) not in self.final:
                changed = True
                continue
            self._check_provenance(row, line, provenance)
            if key in index:
                kept[index[key]] = row
                changed = True
            else:
                index[key] = len(kept)
                kept.append(row)
        if changed:
            write_jsonl(self.path, kept)
        return {key: kept[at] for key, at in index.items()}

    def _check_provenance(self, row: Mapping[str, Any], line: int, provenance: Mapping[str, Any]) -> None:
        recorded = field_at(row, self.provenance_at)
        recorded = recorded if isinstance(recorded, Mapping) else {}
        for name in self.resume_keys:
            if name in recorded and recorded[name] != provenance.get(name):
                raise InputError(
                    RowProblem(
                        str(self.path),
                        line,
                        ".".join((*self.provenance_at, name)),
                        f"the existing output was written with {name}={recorded[name]!r}, this run uses "
                        f"{provenance.get(name)!r}; write to another --output or pass --restart",
                    )
                )

    # ----------------------------------------------------------------------------------------------------------
    # Appending

    def __enter__(self) -> ResumableOutput:
        self._out = JsonlAppender(self.path)
        self._offset = self.path.stat().st_size  # after any torn tail is cut: this run's lines start here
        self._written = []
        return self

    def write(self, row: Mapping[str, Any]) -> int:
        """Append ``row`` as one flushed line; return its length in bytes."""
        assert self._out is not None, "enter the output (with ...) before writing"
        length = self._out.write(row)
        key = self.key(row)
        if key is not None:
            self._written.append((key, length))
        return length

    def __exit__(self, *exc: object) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    # ----------------------------------------------------------------------------------------------------------
    # Compaction

    def _decoded_key(self, line: str) -> str | RowProblem | None:
        row = decode_line(line)
        return row if isinstance(row, RowProblem) else self.key(row)

    def compact(
        self, order: Sequence[str], appended: tuple[int, Sequence[tuple[str, int]]] | None = None
    ) -> None:
        """Rewrite the file atomically: rows of ``order``'s keys in that order, the other keyed rows after them,
        then every unkeyed row as it was; lines that are not JSON objects are dropped.

        ``appended`` is ``(offset, [(key, line length)...])`` for lines appended, in that order, from byte
        ``offset`` on (by default those this object wrote): they need no decoding and move as slices of the old
        file. Where the file does not end with exactly those lines, every line is read instead.
        """
        if not self.path.exists():
            return
        if appended is None:
            appended = (self._offset, self._written)
        data = self.path.read_bytes()
        offset, lines = appended
        tail = _as_written(data, offset, lines)
        head = data[:offset] if tail is not None else data
        mine: dict[str, bytes | memoryview] = {}
        others: list[bytes | memoryview] = []
        for raw in head.split(b"\n"):
            if not raw.strip():
                continue
            key = self.line_key(raw.decode("utf-8", errors="replace"))
            if isinstance(key, RowProblem):
                continue
            if key is None:
                others.append(raw + b"\n")
            else:
                mine[key] = raw + b"\n"
        for key, piece in tail or ():
            mine[key] = piece
        pieces = [mine.pop(key) for key in order if key in mine]
        pieces.extend(mine.values())
        pieces.extend(others)
        atomic_write_bytes(self.path, pieces)


def decode_line(line: str) -> dict[str, Any] | RowProblem:
    """One output line decoded; a RowProblem when it is not a JSON object."""
    try:
        row = fast_loads(line)
    except ValueError:
        return RowProblem("", 0, None, "not valid JSON")
    return row if isinstance(row, dict) else RowProblem("", 0, None, "not a JSON object")


def _as_written(
    data: bytes, offset: int, lines: Sequence[tuple[str, int]]
) -> list[tuple[str, memoryview]] | None:
    """``(key, line)`` for the lines from ``offset`` to the end when they are exactly ``lines``; else None."""
    if not 0 <= offset <= len(data) or (offset and data[offset - 1 : offset] != b"\n"):
        return None
    view, at, tail = memoryview(data), offset, []
    for key, length in lines:
        end = at + length
        if length <= 0 or end > len(data) or data[end - 1] != 0x0A:
            return None
        tail.append((key, view[at:end]))
        at = end
    return tail if at == len(data) else None


# --------------------------------------------------------------------------------------------------------------
# What a run did


@dataclass(slots=True)
class RunSummary:
    """What a run that writes rows did. ``already_done`` rows were kept from an earlier run without new calls;
    ``processed`` rows were written now, counted by status (``skipped`` rows had nothing to do and are final).
    ``usage`` and ``pool`` are the judge's token counter and pool statistics (anything with ``add``/``as_dict``).

    :meth:`as_dict` writes the fields named in ``LAYOUT``; the views below keep the layouts commands wrote before
    (``judge``: ``model``, ``already_ok``, ``judged``; ``tag``: ``already_done``, ``tagged``, ``failed``)."""

    input: str
    output: str
    task: str
    usage: Any = None
    pool: Any = None
    total: int = 0
    already_done: int = 0
    processed: int = 0
    ok: int = 0
    parse_failed: int = 0
    error: int = 0
    skipped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    problems: list[RowProblem] = field(default_factory=list)
    cached: int = 0
    wall_s: float = 0.0

    LAYOUT: ClassVar[tuple[str, ...]] = (
        "input", "output", "task", "total", "already_ok", "processed", "ok", "parse_failed", "error", "reasons",
        "tags", "problems", "usage", "cached", "wall_s", "pool",
    )  # fmt: skip

    # The names earlier layouts used: already_ok (judge, generate), model (judge, tag), judged and tagged.
    already_ok = property(lambda self: self.already_done)
    model = property(lambda self: self.task)
    judged = tagged = property(lambda self: self.processed)

    @property
    def failed(self) -> int:
        return self.parse_failed + self.error

    def add(
        self, status: str, reason: str | None = None, *, calls: Iterable[Any] = (), tags: Iterable[str] = ()
    ) -> None:
        """Count one row written now: its status, why it is not ``ok``, the judge calls it made (their ``usage`` and
        ``cached``) and extra counts (``tags``)."""
        self.processed += 1
        name = status if status in (OK, PARSE_FAILED, SKIPPED) else ERROR
        setattr(self, name, getattr(self, name) + 1)
        if reason and status != OK:
            self.reasons[reason] += 1
        self.tags.update(tags)
        for call in calls:
            if self.usage is not None:
                self.usage.add(call.usage)
            self.cached += int(call.cached)

    def as_dict(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in self.LAYOUT}


def _plain(value: Any) -> Any:
    if isinstance(value, Counter):
        return dict(value)
    if isinstance(value, list):
        return [str(item) for item in value]
    return value.as_dict() if hasattr(value, "as_dict") else value


class JudgeRunSummary(RunSummary):
    """A :class:`RunSummary` in the layout ``rationalerm judge`` writes (``task`` is the judged model)."""

    __slots__ = ()
    LAYOUT = (
        "input", "output", "model", "total", "already_ok", "judged", "ok", "parse_failed", "error", "reasons",
        "problems", "usage", "cached", "wall_s", "pool",
    )  # fmt: skip


class TagRunSummary(RunSummary):
    """A :class:`RunSummary` in the layout ``rationalerm tag`` writes (``task`` is the tagged model)."""

    __slots__ = ()
    LAYOUT = (
        "input", "output", "model", "total", "already_done", "tagged", "ok", "skipped", "failed", "reasons",
        "problems", "usage", "wall_s", "pool",
    )  # fmt: skip


__all__ = [
    "ERROR",
    "OK",
    "PARSE_FAILED",
    "SKIPPED",
    "JudgeRunSummary",
    "ResumableOutput",
    "RunSummary",
    "TagRunSummary",
    "decode_line",
    "field_at",
]
