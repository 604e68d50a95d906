"""Reading and writing JSONL: rows in, rows out, atomic writes, an append-only output that survives a kill (its torn
last line is cut on reopening), and the input policy every command shares.

Bad input never loses good input: readers yield a :class:`RowProblem` (file, line, field, message) for a bad row and
go on with the next one; the caller decides whether to stop (``--strict``) or count it.

What cannot be read as rows at all is an :class:`InputError` naming what was found and what is expected: a line that
is not valid UTF-8 (unless :func:`encoding_policy` says ``replace``: the line is read with U+FFFD in place of the bad
bytes and reported), a JSON array where JSON Lines are expected, an input with no row. Two rows with the same id in
an input whose outputs are keyed by id (``judge``, ``generate``, the judge-side runners) are an error naming both
lines unless the user chose which to keep (:class:`Dedupe`, ``--dedupe first|last``).
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from ..jsonfast import dumps as fast_dumps
from ..jsonfast import dumps_bytes, loads_utf8


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that could not be used, and exactly where it is."""

    path: str
    line: int
    field: str | None
    message: str
    # What became of the row: "skipped" (a bad row), or for a row that is not an error but is reported, what was
    # done ("replaced": bad bytes read as U+FFFD; "left out": a duplicate the user chose to drop; "kept": used, but
    # left out of a figure). Only "skipped" rows stop a --strict run.
    action: str = "skipped"

    @property
    def is_note(self) -> bool:
        return self.action != "skipped"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: field {self.field!r}: {self.message}" if self.field else f"{where}: {self.message}"


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


ENCODING_ERRORS = ("strict", "replace")
_ENCODING: ContextVar[tuple[str, Callable[[RowProblem], None] | None]] = ContextVar(
    "rationalerm_encoding_errors", default=("strict", None)
)


@contextlib.contextmanager
def encoding_policy(
    errors: str | None = None, on_replaced: Callable[[RowProblem], None] | bool | None = True
) -> Iterator[None]:
    """Within the block, :func:`iter_jsonl` treats a line that is not valid UTF-8 as ``errors`` says: ``strict``
    (the default outside any block: an :class:`InputError` naming the line) or ``replace`` (read with U+FFFD in
    place of the bad bytes, and reported to ``on_replaced`` as a RowProblem with action "replaced"). ``errors``
    None keeps the current mode; ``on_replaced`` True keeps the current callback, None silences it."""
    mode, callback = _ENCODING.get()
    mode = errors or mode
    if mode not in ENCODING_ERRORS:
        raise ConfigError(f"encoding errors must be strict or replace, not {mode!r}")
    token = _ENCODING.set((mode, callback if on_replaced is True else on_replaced))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _ENCODING.reset(token)


def _check_utf8(line: bytes, name: str, number: int) -> None:
    try:
        line.decode("utf-8")
        return
    except UnicodeDecodeError as exc:
        where = f"not valid UTF-8 (byte 0x{line[exc.start]:02x} at byte {exc.start + 1} of the line)"
    mode, callback = _ENCODING.get()
    if mode == "strict":
        raise InputError(
            RowProblem(
                name,
                number,
                None,
                f"{where}; expected UTF-8 text: fix the file's encoding, or pass --encoding-errors replace to "
                "read such lines with U+FFFD in place of the bad bytes",
            )
        )
    if callback is not None:
        callback(
            RowProblem(name, number, None, f"{where}; read with U+FFFD in place of the bad bytes", "replaced")
        )


def _not_jsonl(name: str, number: int) -> InputError:
    return InputError(
        RowProblem(
            name,
            number,
            None,
            "found a JSON array where JSON Lines are expected (one JSON object a line); save the array in a .json "
            "file, which is read as an array, or write one object a line",
        )
    )


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """``(line number, row)`` for each non-blank line; a line that is not a JSON object yields a RowProblem.

    Lines are split, numbered and decoded as a UTF-8 text-mode reader (universal newlines) would, but read as
    bytes: valid UTF-8 goes to the JSON parser without being decoded and encoded again. A line that is not valid
    UTF-8 is an :class:`InputError` unless :func:`encoding_policy` says ``replace``; a file whose first line opens
    a JSON array is an :class:`InputError` (a JSON array given as JSONL). A ``.gz`` file (HelpSteer3 publishes
    ``*.jsonl.gz``) is decompressed as it is read.
    """
    name = str(path)
    first = True
    with open_binary(path) as handle:
        lines = _text_mode_lines(handle)
        if isinstance(handle, gzip.GzipFile):
            lines = _gzip_checked(lines, name)
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if not line.isascii():
                _check_utf8(line, name, number)
            if first:
                first = False
                if line.lstrip(b" \t\xef\xbb\xbf").startswith(b"["):
                    raise _not_jsonl(name, number)
            try:
                row = loads_utf8(line)
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
    return fast_dumps(row, default=_json_default) + "\n"


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
    killed process is cut off, so the file always holds whole records. :class:`rationalerm.io.resume.ResumableOutput` resumes from it.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_torn_tail(self.path)
        self._handle = open(self.path, "ab")
        self._fsync = fsync

    def write(self, row: Any) -> int:
        """Append ``row`` as one line; return the bytes written (the line's length, newline included)."""
        line = dumps_bytes(row, default=_json_default) + b"\n"
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


# --------------------------------------------------------------------------------------------------------------
# Duplicate ids in an input whose outputs are keyed by id

DEDUPE_MODES = ("error", "first", "last")


class Dedupe:
    """What to do with rows sharing an id: ``error`` (an :class:`InputError` naming both lines), ``first`` or
    ``last`` (that row is used, the others are reported with action "left out").

    :meth:`scan` reads every ``(line, key)`` of the input first (keys only), so a duplicate stops the run before
    any row is processed and ``last`` knows which line wins; :meth:`check` then says, row by row, whether to use
    it. Without a scan, :meth:`check` still raises at the second occurrence (``error``) or keeps the first.
    """

    def __init__(self, source: str, mode: str = "error", field: str = "id"):
        if mode not in DEDUPE_MODES:
            raise ConfigError(f"--dedupe must be one of {', '.join(DEDUPE_MODES)}, not {mode!r}")
        self.source, self.mode, self.field = source, mode, field
        self.chosen: dict[str, int] | None = None
        self._first: dict[str, int] = {}
        self.left_out = 0

    def _duplicate(self, key: str, first: int, line: int) -> RowProblem:
        return RowProblem(
            self.source,
            line,
            self.field,
            f"duplicate id {key!r}: lines {first} and {line} hold the same id, and outputs are keyed by it; make the "
            "ids unique, or pass --dedupe first or --dedupe last to keep one of the rows",
        )

    def scan(self, keys: Iterable[tuple[int, str]]) -> int:
        """Read every key once; raise at the first duplicate in ``error`` mode. Returns the number of keys read."""
        chosen: dict[str, int] = {}
        count = 0
        for line, key in keys:
            count += 1
            if key in chosen:
                if self.mode == "error":
                    raise InputError(self._duplicate(key, chosen[key], line))
                if self.mode == "first":
                    continue
            chosen[key] = line
        self.chosen = chosen
        return count

    def check(self, key: str, line: int) -> RowProblem | None:
        """None to use the row at ``line``; a RowProblem (action "left out") when another row with its id is used.
        Raises :class:`InputError` for a duplicate in ``error`` mode."""
        first = self._first.setdefault(key, line)
        if self.chosen is not None:
            keep = self.chosen.get(key, line)
        elif first != line and self.mode == "error":
            raise InputError(self._duplicate(key, first, line))
        else:
            keep = first
        if keep == line:
            return None
        self.left_out += 1
        return RowProblem(
            self.source,
            line,
            self.field,
            f"duplicate id {key!r}: line {keep} is used (--dedupe {self.mode})",
            "left out",
        )


def scan_input(
    source: str,
    rows: Callable[[], Iterable[tuple[int, Any]]],
    key: Callable[[dict[str, Any]], str],
    dedupe: str = "error",
) -> Dedupe:
    """Read ``rows()`` once, keys only, before anything is processed: raise :func:`no_rows` for an input with no
    row, and the duplicate-id error when ``dedupe`` is ``error``. Returns the :class:`Dedupe` the processing pass
    checks each row against. Replaced bytes are not reported here: the pass that processes reports them."""
    duplicates = Dedupe(source, dedupe)
    read = 0

    def keys() -> Iterator[tuple[int, str]]:
        nonlocal read
        for line, row in rows():
            read += 1
            if isinstance(row, dict):
                yield line, key(row)

    with encoding_policy(on_replaced=None):
        duplicates.scan(keys())
    if not read:
        raise no_rows(source)
    return duplicates


def no_rows(source: str, found: int = 0) -> InputError:
    """The error for an input that holds no row to process."""
    what = f"{found} lines, none a usable row" if found else "no row (an empty file?)"
    return InputError(
        RowProblem(source, 0, None, f"found {what}; expected JSON Lines, one JSON object a line")
    )
