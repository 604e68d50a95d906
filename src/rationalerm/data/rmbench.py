"""RM-Bench (``THU-KEG/RM-Bench``) prompts, read as the benchmark publishes them.

Each prompt has 3 chosen and 3 rejected responses in the styles concise, detailed plain and detailed markdown
(indexes 0, 1, 2). Sources: the Hub id (split ``train``: ``total_dataset.json``, every row with its ``domain``), a
snapshot folder of it, a folder of the GitHub per-domain files (``chat_filtered.json``...), or one data file (a JSON
array or JSON Lines; without a ``domain`` column the domain comes from the file name). A bad row is an
:class:`~rationalerm.errors.InputError` naming the file, the array element (or JSONL line) and the field, unless
the caller asks to hear about it. Scoring lives in :mod:`rationalerm.bench.rmbench`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, RecordError
from ..io import RowProblem, iter_jsonl
from .hub import (
    RMBENCH,
    RMBENCH_HUB,
    build_split,
    check_split,
    missing_in_folder,
    resolve_split,
    snapshot_file,
)
from .rows import (
    ProblemSink,
    T,
    array_rows,
    at_element,
    at_line,
    build_rows,
    id_as_text,
    require_file,
    require_str,
)

STYLES = ("concise", "detailed_plain", "detailed_markdown")
N_STYLES = len(STYLES)
DOMAINS = ("chat", "code", "math", "safety")
# The published files and the hub's ``domain`` column split safety in two; the leaderboard pools them.
SOURCE_DOMAINS = {**{name: name for name in DOMAINS}, "safety-refuse": "safety", "safety-response": "safety"}
DATA_FILES = tuple(
    f"{name}_filtered.json" for name in ("chat", "code", "math", "safety-refuse", "safety-response")
)


def domain_of(name: str) -> str:
    """The leaderboard domain of a domain name as written in the data (``safety-refuse`` -> ``safety``); an unknown
    name is an :class:`InputError` (a ValueError)."""
    try:
        return SOURCE_DOMAINS[name]
    except KeyError:
        raise InputError(
            f"unknown RM-Bench domain {name!r} (expected one of {', '.join(SOURCE_DOMAINS)})"
        ) from None


_FILE_DOMAIN_RE = re.compile(r"^(safety-refuse|safety-response|chat|code|math)(?:_|\.|$)")


def source_domain_from_filename(path: str | os.PathLike[str]) -> str | None:
    """The domain a file name starts with: ``chat_filtered.json``, and the official result files named after their
    data file (``code_filtered_<model>_REWORD_MODEL_<time>.json``); None for e.g. ``total_dataset.json``."""
    match = _FILE_DOMAIN_RE.match(Path(path).name)
    return match.group(1) if match else None


# --------------------------------------------------------------------------------------------------------------
# Reading rows: a JSON array (the published layout) or JSON Lines, bad rows located by line or array element


def _iter_array(name: str, path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """``(element, row or problem)`` for the rows of a JSON array file (1-based elements)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise InputError(RowProblem(name, exc.lineno, None, f"not valid JSON ({exc.msg})")) from None
    yield from array_rows(
        name,
        data,
        lambda index, row: RowProblem(
            name, 0, None, f"element {index}: expected a JSON object, got {type(row).__name__}"
        ),
    )


def load_rows(
    path: str | os.PathLike[str], build: Callable[..., T], on_problem: ProblemSink | None
) -> list[T]:
    """``build(row, file_domain=...)`` for each row of ``path`` (JSONL rows have a line, rows of a JSON array a
    1-based element); bad rows go to ``on_problem`` or raise."""
    name = str(path)
    require_file(path)
    file_domain = source_domain_from_filename(path)
    if Path(path).suffix == ".jsonl":
        rows, place = iter_jsonl(path), at_line
    else:
        rows, place = _iter_array(name, path), at_element
    return build_rows(
        rows,
        lambda row: build(row, file_domain=file_domain),
        on_problem,
        lambda position, exc: place(name, position, exc),
    )


def row_domain(row: Mapping[str, Any], file_domain: str | None) -> str:
    """The row's ``domain`` (the hub and ``total_dataset.json`` have one), else the file's."""
    value = row.get("domain", file_domain)
    if value is None:
        raise RecordError("domain", "missing (and the file name does not start with a domain)")
    if not isinstance(value, str) or value not in SOURCE_DOMAINS:
        raise RecordError("domain", f"must be one of {', '.join(SOURCE_DOMAINS)}, got {value!r}")
    return value


def style_triple(
    row: Mapping[str, Any], key: str, kind: Callable[[Any], Any], what: str, valid: str | None = None
) -> tuple[Any, ...]:
    """``kind(item)`` of the 3 items of ``row[key]`` (one per style); ``kind`` raises TypeError on a bad item, which
    the error names as not ``valid`` (default: ``what``)."""
    value = row.get(key)
    if not isinstance(value, list) or len(value) != N_STYLES:
        raise RecordError(
            key, f"must be a list of {N_STYLES} {what} (concise, detailed plain, detailed markdown)"
        )
    try:
        return tuple(kind(item) for item in value)
    except TypeError:
        raise RecordError(key, f"must be a list of {N_STYLES} {valid or what}") from None


# --------------------------------------------------------------------------------------------------------------
# Prompts


@dataclass(frozen=True, slots=True)
class RMBenchItem:
    """One RM-Bench prompt with its 3 chosen and 3 rejected responses (index = style, see :data:`STYLES`)."""

    id: str
    source_domain: str  # as in the data: chat, code, math, safety-refuse, safety-response
    prompt: str
    chosen: tuple[str, str, str]
    rejected: tuple[str, str, str]
    subset: str | None = None

    @property
    def domain(self) -> str:
        return domain_of(self.source_domain)

    def comparisons(self) -> Iterator[tuple[int, int, str, str]]:
        """The 9 ``(chosen index, rejected index, chosen text, rejected text)`` pairs a judge must decide."""
        for i in range(N_STYLES):
            for j in range(N_STYLES):
                yield i, j, self.chosen[i], self.rejected[j]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def item_from_row(row: Mapping[str, Any], *, file_domain: str | None = None) -> RMBenchItem:
    """An :class:`RMBenchItem` from an RM-Bench row; :class:`RecordError` names a bad field."""
    source_domain = row_domain(row, file_domain)
    chosen, rejected = (style_triple(row, key, _text, "strings") for key in ("chosen", "rejected"))
    subset = row.get("subset")
    return RMBenchItem(
        id=require_str(row, "id"),
        source_domain=source_domain,
        prompt=require_str(row, "prompt"),
        chosen=chosen,
        rejected=rejected,
        subset=subset if isinstance(subset, str) else None,
    )


def require_unique(items: Iterable[Any], source: str, twice: str) -> None:
    """An :class:`InputError` (file ``source``, field ``id``) for the first prompt given twice: same leaderboard
    domain and id (the published chat and code files share ids), so the scorer could not tell them apart."""
    seen: set[tuple[str, str]] = set()
    for item in items:
        key = (item.domain, item.id)
        if key in seen:
            raise InputError(RowProblem(source, 0, "id", f"prompt {item.id!r} of {item.domain} {twice}"))
        seen.add(key)


def load_rmbench_file(
    path: str | os.PathLike[str], *, on_problem: ProblemSink | None = None
) -> list[RMBenchItem]:
    """The prompts of one RM-Bench data file; the domain comes from each row's ``domain`` or the file name.

    A bad row raises :class:`~rationalerm.errors.InputError` naming the file, the array element (or JSONL line)
    and the field, unless ``on_problem`` is given, in which case it is reported there and skipped.
    """
    return load_rows(path, item_from_row, on_problem)


def load_rmbench_dir(
    folder: str | os.PathLike[str], *, on_problem: ProblemSink | None = None
) -> list[RMBenchItem]:
    """The prompts of every published per-domain file present in ``folder`` (:data:`DATA_FILES`); a missing
    file (math, here) is simply absent from the result, and the scorer reports which domains were seen."""
    base = Path(folder)
    found = [base / name for name in DATA_FILES if (base / name).is_file()]
    if not found:
        raise InputError(RowProblem(str(base), 0, None, f"none of {', '.join(DATA_FILES)} is here"))
    return [item for path in found for item in load_rmbench_file(path, on_problem=on_problem)]


def load_rmbench(
    name_or_path: str | os.PathLike[str] = RMBENCH_HUB,
    *,
    split: str | None = None,
    hub_cache: str | None = None,
    on_problem: ProblemSink | None = None,
) -> list[RMBenchItem]:
    """RM-Bench prompts from ``THU-KEG/RM-Bench`` (split ``train``: ``total_dataset.json``, every row with its
    ``domain``), a snapshot folder of it, a folder of the GitHub per-domain files (``chat_filtered.json``...), or
    one data file."""
    path = Path(name_or_path)
    if path.is_file():
        return load_rmbench_file(path, on_problem=on_problem)
    if path.is_dir() and snapshot_file(path, RMBENCH, check_split(RMBENCH, split, None, str(path))) is None:
        try:
            return load_rmbench_dir(path, on_problem=on_problem)
        except InputError:
            message = missing_in_folder(path, RMBENCH, "train", "folder")
            raise InputError(
                f"{message}, or a folder of the GitHub per-domain files ({', '.join(DATA_FILES)})"
            ) from None
    normalise = id_as_text("id")
    source = resolve_split(name_or_path, RMBENCH, split=split, hub_cache=hub_cache, normalise=normalise)
    return build_split(source, item_from_row, on_problem)
