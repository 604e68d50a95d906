"""Reading and writing: JSONL in and out, atomic summaries, append-only resumable outputs.

Bad input never loses good input: readers yield a :class:`RowProblem` (file, line, field, message) for a bad row and
go on with the next one; the caller decides whether to stop (``--strict``) or count it.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import jsonfast


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that could not be used, and exactly where it is."""

    path: str
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: field {self.field!r}: {self.message}" if self.field else f"{where}: {self.message}"


class InputError(Exception):
    """Input that cannot be used at all (or, with ``strict``, the first bad row)."""

    def __init__(self, problem: RowProblem | str):
        super().__init__(str(problem))
        self.problem = problem


def collect_jsonl_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given; for a folder, every ``*.jsonl`` directly inside it, sorted. Missing paths are an error."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.glob("*.jsonl") if p.is_file())
            if not inside:
                raise InputError(RowProblem(str(path), 0, None, "folder has no *.jsonl file"))
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(RowProblem(str(path), 0, None, "no such file or folder"))
    return found


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """``(line number, row)`` for each non-blank line; a line that is not a JSON object yields a RowProblem.

    Lines are split, numbered and decoded as a UTF-8 text-mode reader (universal newlines, ``errors="replace"``)
    would, but read as bytes: valid UTF-8 goes to the JSON parser without being decoded and encoded again.
    A ``.gz`` file (HelpSteer3 publishes ``*.jsonl.gz``) is decompressed as it is read.
    """
    name = str(path)
    with open_binary(path) as handle:
        lines = _text_mode_lines(handle)
        if isinstance(handle, gzip.GzipFile):
            lines = _gzip_checked(lines, name)
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = jsonfast.loads_utf8(line)
            except json.JSONDecodeError as exc:
                if not line.decode("utf-8", "replace").strip():
                    continue  # blank but for non-ASCII white space (text mode strips that too)
                yield (
                    number,
                    RowProblem(name, number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"),
                )
                continue
            if not isinstance(row, dict):
                yield (
                    number,
                    RowProblem(name, number, None, f"expected a JSON object, got {type(row).__name__}"),
                )
                continue
            yield number, row


def open_binary(path: str | os.PathLike[str]) -> Any:
    """``path`` opened for reading bytes; a ``.gz`` file is decompressed transparently."""
    if str(path).lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _gzip_checked(lines: Iterator[bytes], name: str) -> Iterator[bytes]:
    """The lines of a gzip file; a corrupt or truncated one is an :class:`InputError` naming where it broke."""
    number = 0
    try:
        for line in lines:
            number += 1
            yield line
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(RowProblem(name, number + 1, None, f"not a readable gzip file ({exc})")) from None


def _text_mode_lines(handle: Iterable[bytes]) -> Iterator[bytes]:
    r"""The lines of a binary file as text mode reads them: a lone ``\r`` ends a line too, and every line ending
    (``\n``, ``\r\n``, ``\r``) becomes ``\n``."""
    for raw in handle:
        if b"\r" not in raw:
            yield raw
            continue
        for piece in raw.splitlines(keepends=True):
            yield piece.rstrip(b"\r\n") + b"\n" if piece.endswith((b"\r", b"\n")) else piece


def read_jsonl(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """All valid rows of a JSONL file and the problems of the others."""
    rows: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    for _, item in iter_jsonl(path):
        if isinstance(item, RowProblem):
            problems.append(item)
        else:
            rows.append(item)
    return rows, problems


def dumps_line(row: Any) -> str:
    """One JSONL line: compact UTF-8 JSON (see :mod:`rationalerm.jsonfast`) and a newline."""
    return jsonfast.dumps(row, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# --------------------------------------------------------------------------------------------------------------
# Atomic writes: a reader never sees a half-written summary.


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | Sequence[bytes | memoryview]) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``.

    ``data`` is the content, or a sequence of pieces written in order (gathered by ``os.writev`` where there is
    one: no joined copy of a large file is made). The file gets the permissions a plain ``open`` would give (0666
    less the umask), not mkstemp's private 0600.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes | bytearray | memoryview):
                handle.write(data)
            else:
                _write_pieces(handle, data)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_IOV_MAX = 1024  # the POSIX minimum of pieces one writev takes


def _write_pieces(handle: Any, pieces: Sequence[bytes | memoryview]) -> None:
    writev = getattr(os, "writev", None)
    if writev is None:  # Windows
        for piece in pieces:
            handle.write(piece)
        return
    handle.flush()
    fd = handle.fileno()
    for start in range(0, len(pieces), _IOV_MAX):
        batch = list(pieces[start : start + _IOV_MAX])
        while batch:
            written = writev(fd, batch)
            # A short write (a signal, a full pipe) is rare; go on from where it stopped.
            while batch and written >= len(batch[0]):
                written -= len(batch[0])
                batch.pop(0)
            if batch and written:
                batch[0] = memoryview(batch[0])[written:]


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once (a process-wide value, read once per write)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[Any]) -> None:
    atomic_write_text(path, "".join(dumps_line(row) for row in rows))


def write_csv(path: str | os.PathLike[str], rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(row.get(k)) for k in columns})
    atomic_write_text(path, buffer.getvalue())


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return value


# --------------------------------------------------------------------------------------------------------------
# Append-only resumable output


class JsonlAppender:
    """An append-only JSONL output that survives being killed at any moment.

    Each record is written as one ``write`` of a complete line and flushed; on open, a torn last line left by a
    killed process is cut off, so the file always holds whole records. Use :func:`read_completed` to resume.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_torn_tail(self.path)
        self._handle = open(self.path, "ab")
        self._fsync = fsync

    def write(self, row: Any) -> int:
        """Append ``row`` as one line; return the bytes written (the line's length, newline included)."""
        line = jsonfast.dumps_bytes(row, default=_json_default) + b"\n"
        self._handle.write(line)
        self._handle.flush()
        if self._fsync:
            os.fsync(self._handle.fileno())
        return len(line)

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def repair_torn_tail(path: Path) -> bool:
    """Cut an incomplete last line (no trailing newline, or not JSON) from ``path``. True when something was cut."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with open(path, "rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        read = min(size, 1 << 20)
        while True:
            handle.seek(size - read)
            tail = handle.read(read)
            cut = tail.rfind(b"\n", 0, len(tail) - 1 if tail.endswith(b"\n") else len(tail))
            if cut >= 0 or read == size:
                break
            read = min(size, read * 2)
        last_start = size - read + cut + 1 if cut >= 0 else 0
        last_line = tail[cut + 1 :] if cut >= 0 else tail
        complete = last_line.endswith(b"\n")
        if complete:
            try:
                json.loads(last_line)
                return False
            except ValueError:
                pass
        handle.truncate(last_start)
        return True


def read_completed(path: str | os.PathLike[str], key: str = "id") -> dict[str, dict[str, Any]]:
    """The last record per ``key`` in an output file (later lines supersede earlier ones for the same key)."""
    done: dict[str, dict[str, Any]] = {}
    if not Path(path).exists():
        return done
    for _, row in iter_jsonl(path):
        if isinstance(row, dict) and key in row:
            done[str(row[key])] = row
    return done


# Dataset loaders live in rationalerm.datasets (they build on this module); they are reachable from here too.
_DATASET_LOADERS = frozenset(
    {"load_rationalerm", "load_helpsteer3_preference", "load_judgebench", "load_rmbench", "iter_rows"}
)


def __getattr__(name: str) -> Any:
    if name in _DATASET_LOADERS:
        from . import datasets

        return getattr(datasets, name)
    raise AttributeError(f"module 'rationalerm.io' has no attribute {name!r}")
