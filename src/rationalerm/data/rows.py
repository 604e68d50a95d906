"""Rows from local data files, and the turning of rows into records with every bad row located.

:func:`iter_rows` reads JSON Lines, a JSON array (or an object holding one list of rows) and parquet, a ``.gz`` file
decompressed as it is read; each row comes with its position (line, element or row). :func:`build_rows` turns rows
into records: a row that cannot become one is a :class:`~rationalerm.io.RowProblem` (file, position, field) sent to
``on_problem``, or an :class:`~rationalerm.errors.InputError` when no ``on_problem`` is given. Nothing is dropped
silently: a skipped row would change the denominator of every figure computed from the rows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from ..errors import InputError, RecordError
from ..io import RowProblem, iter_jsonl, open_binary

T = TypeVar("T")
ProblemSink = Callable[[RowProblem], None]
Row = dict[str, Any]
DATA_SUFFIXES = (".jsonl", ".json", ".parquet")


def raise_problem(problem: RowProblem) -> None:
    """The default problem sink: a bad row stops the load."""
    raise InputError(problem)


def at_line(path: str, line: int, error: RecordError) -> RowProblem:
    """The problem of a bad row at ``line`` of ``path`` (0 when the row has no line)."""
    return RowProblem(path, line, error.field, error.message)


def at_element(path: str, element: int, error: RecordError) -> RowProblem:
    """The problem of a bad row of a JSON array (or of rows in memory), which has no line: ``element`` is 1-based."""
    return RowProblem(path, 0, error.field, f"element {element}: {error.message}")


def row_problem(path: str, line: int, error: RecordError, *, element: int | None = None) -> RowProblem:
    """A :class:`RowProblem` for a bad row; ``element`` (1-based) locates rows of a JSON array, which have no line."""
    return at_line(path, line, error) if element is None else at_element(path, element, error)


def collecting(problems: list[RowProblem], strict: bool, on_problem: ProblemSink | None) -> ProblemSink:
    """A problem sink that raises the first problem with ``strict``, else appends it to ``problems`` and passes it
    on to ``on_problem``."""

    def report(problem: RowProblem) -> None:
        if strict:
            raise InputError(problem)
        problems.append(problem)
        if on_problem is not None:
            on_problem(problem)

    return report


def build_rows(
    rows: Iterable[tuple[int, Row | RowProblem]],
    build: Callable[[Row], T],
    on_problem: ProblemSink | None,
    locate: Callable[[int, RecordError], RowProblem],
) -> list[T]:
    """``build(row)`` for every row; a problem row, or a row whose build raises :class:`RecordError` (placed by
    ``locate(position, error)``), goes to ``on_problem`` (default: raise) and is left out."""
    report = on_problem or raise_problem
    built: list[T] = []
    for position, row in rows:
        if isinstance(row, RowProblem):
            report(row)
            continue
        try:
            built.append(build(row))
        except RecordError as exc:
            report(locate(position, exc))
    return built


def build_jsonl(
    path: str | os.PathLike[str], build: Callable[[Row], T], on_problem: ProblemSink | None
) -> list[T]:
    """:func:`build_rows` over the lines of a JSONL file that must exist."""
    require_file(path)
    name = str(path)
    return build_rows(iter_jsonl(path), build, on_problem, lambda line, exc: at_line(name, line, exc))


def require_str(row: Mapping[str, Any], key: str, *, allow_empty: bool = True) -> str:
    """``row[key]`` as a string; numbers (ids written as ints in some files) are accepted and turned to text."""
    if key not in row or row[key] is None:
        raise RecordError(key, "missing")
    value = row[key]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(key, f"must be a string, got {type(value).__name__}")
    text = str(value)
    if not allow_empty and not text.strip():
        raise RecordError(key, "must not be empty")
    return text


def require_file(path: str | os.PathLike[str]) -> None:
    """An :class:`~rationalerm.errors.InputError` (not a traceback) for an input file that is not there."""
    if not Path(path).is_file():
        raise InputError(RowProblem(str(path), 0, None, "no such file"))


def data_suffix(path: Path) -> str:
    """``.jsonl``, ``.json``, ``.parquet`` (a trailing ``.gz`` looked through), lower case."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def iter_rows(path: str | os.PathLike[str]) -> Iterator[tuple[int, Row | RowProblem]]:
    """``(position, row or problem)`` for every row of a local file: JSONL (position = line), a JSON array or an
    object holding one list of rows (position = 1-based element), or parquet (position = 1-based row). A ``.gz``
    file is decompressed as it is read."""
    source = Path(path)
    name = str(source)
    require_file(source)
    suffix = data_suffix(source)
    if suffix == ".parquet":
        yield from _iter_parquet(source)
        return
    if suffix != ".json":
        yield from iter_jsonl(source)
        return
    try:
        with open_binary(source) as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        yield from iter_jsonl(source)  # JSON Lines saved as .json
        return
    except (OSError, EOFError) as exc:
        raise InputError(RowProblem(name, 0, None, f"cannot be read ({exc})")) from None
    if isinstance(data, Mapping):
        lists = [value for value in data.values() if isinstance(value, list)]
        if len(lists) != 1:
            raise InputError(RowProblem(name, 0, None, "a JSON object must hold exactly one list of rows"))
        data = lists[0]
    yield from array_rows(
        name, data, lambda index, _: RowProblem(name, index, None, f"element {index}: expected a JSON object")
    )


def array_rows(
    name: str, data: Any, not_object: Callable[[int, Any], RowProblem]
) -> Iterator[tuple[int, Row | RowProblem]]:
    """``(element, row or problem)`` for the rows of a parsed JSON array (1-based elements); an element that is not
    an object is ``not_object(element, value)``, data that is not an array an :class:`InputError`."""
    if not isinstance(data, list):
        raise InputError(
            RowProblem(name, 0, None, f"expected a JSON array of rows, got {type(data).__name__}")
        )
    for index, row in enumerate(data, start=1):
        yield index, row if isinstance(row, dict) else not_object(index, row)


def _iter_parquet(path: Path) -> Iterator[tuple[int, Row | RowProblem]]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow ships with the hub and test extras
        raise ImportError("reading parquet needs pyarrow: pip install 'rationalerm[hub]'") from exc
    table = pq.read_table(path)
    yield from enumerate(table.to_pylist(), start=1)


def count_rows(path: str | os.PathLike[str]) -> int:
    """The number of rows :func:`iter_rows` will yield (non-blank lines for JSONL, without parsing them)."""
    source = Path(path)
    if data_suffix(source) in (".json", ".parquet"):
        return sum(1 for _ in iter_rows(source))
    with open_binary(source) as handle:
        return sum(1 for line in handle if line.strip())


def is_local(name_or_path: str | os.PathLike[str]) -> bool:
    """A path that exists, or one that names a local file by its suffix (so a typo gives "no such file", not a hub
    lookup)."""
    path = Path(name_or_path)
    return path.exists() or data_suffix(path) in DATA_SUFFIXES


# --------------------------------------------------------------------------------------------------------------
# Types normalised the same way from every source


def _without_nulls(value: Any) -> Any:
    return {k: v for k, v in value.items() if v is not None} if isinstance(value, Mapping) else value


def normalise_row(row: Mapping[str, Any]) -> Row:
    """A row as every source gives it: inside chat turns (``context``) and HelpSteer3's ``individual_preference``
    entries, keys that are null are dropped (``datasets`` gives every struct the union of the keys of the file,
    filled with null; a JSON file simply lacks them). Top-level keys are kept as they are."""
    out = dict(row)
    for key in ("context", "individual_preference"):
        value = out.get(key)
        if isinstance(value, list):
            out[key] = [_without_nulls(item) for item in value]
    return out


def id_as_text(key: str) -> Callable[[Mapping[str, Any]], Row]:
    """A normaliser that also writes the integer ``key`` as text (JudgeBench's ``original_id`` and RM-Bench's
    ``id``: the Hub's files write them as strings, the GitHub files as numbers)."""

    def normalise(row: Mapping[str, Any]) -> Row:
        out = normalise_row(row)
        value = out.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            out[key] = str(value)
        return out

    return normalise
