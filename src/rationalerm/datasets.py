"""Dataset loaders: HelpSteer3-Atomic (``Qwen/RationaleRM``), HelpSteer3 preference (``nvidia/HelpSteer3``),
JudgeBench and RM-Bench, from local files or the Hugging Face hub, as the package's common records.

Local paths may be JSON Lines, a JSON array (or a JSON object holding one), or parquet. Hub names go through the
optional ``datasets`` package (``pip install 'rationalerm[hub]'``), imported only on that path. JudgeBench and
RM-Bench loading lives in :mod:`rationalerm.bench`; the functions here only choose between file and hub.

Bad rows never pass silently: each becomes a :class:`~rationalerm.io.RowProblem` (file, line or element, field)
sent to ``on_problem``, or an :class:`~rationalerm.io.InputError` when no ``on_problem`` is given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .bench.judgebench import JudgeBenchPair, load_judgebench_hub, load_judgebench_pairs
from .bench.rmbench import RMBenchItem, load_rmbench_dir, load_rmbench_file, load_rmbench_hub
from .io import InputError, RowProblem, iter_jsonl
from .records import PreferenceSample, RecordError, sample_from_row

RATIONALERM_HUB = "Qwen/RationaleRM"
RATIONALERM_TEST_FILE = "helpsteer3_test_1000.jsonl"
RATIONALERM_TRAIN_FILE = "helpsteer3_human_checklist.jsonl"
HELPSTEER3_HUB = "nvidia/HelpSteer3"
HELPSTEER3_PREFERENCE = "preference"

ProblemSink = Callable[[RowProblem], None]
Row = dict[str, Any]
ROW_SUFFIXES = (".jsonl", ".json", ".parquet")


# --------------------------------------------------------------------------------------------------------------
# Rows from local files and the hub


def _raise(problem: RowProblem) -> None:
    raise InputError(problem)


def iter_rows(path: str | os.PathLike[str]) -> Iterator[tuple[int, Row | RowProblem]]:
    """``(position, row or problem)`` for every row of a local file: JSONL (position = line), a JSON array or an
    object holding one list of rows (position = 1-based element), or parquet (position = 1-based row)."""
    source = Path(path)
    name = str(source)
    if not source.is_file():
        raise InputError(RowProblem(name, 0, None, "no such file"))
    suffix = source.suffix.lower()
    if suffix == ".parquet":
        yield from _iter_parquet(source)
        return
    if suffix != ".json":
        yield from iter_jsonl(source)
        return
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        yield from iter_jsonl(source)  # JSON Lines saved as .json
        return
    if isinstance(data, Mapping):
        lists = [value for value in data.values() if isinstance(value, list)]
        if len(lists) != 1:
            raise InputError(RowProblem(name, 0, None, "a JSON object must hold exactly one list of rows"))
        data = lists[0]
    if not isinstance(data, list):
        raise InputError(
            RowProblem(name, 0, None, f"expected a JSON array of rows, got {type(data).__name__}")
        )
    for index, row in enumerate(data, start=1):
        if isinstance(row, dict):
            yield index, row
        else:
            yield index, RowProblem(name, index, None, f"element {index}: expected a JSON object")


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
    if source.suffix.lower() in (".json", ".parquet"):
        return sum(1 for _ in iter_rows(source))
    with open(source, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def require_datasets(name: str) -> Callable[..., Any]:
    """``datasets.load_dataset``, or an ImportError that says how to get it (the ``hub`` extra) or avoid it."""
    try:
        from datasets import load_dataset
    except ImportError as exc:
        raise ImportError(
            f"loading {name!r} from the Hugging Face hub needs the optional 'datasets' package: "
            "pip install 'rationalerm[hub]' (or pass a local .jsonl, .json or .parquet file)"
        ) from exc
    return load_dataset


def load_hub_rows(
    name: str, *, config: str | None = None, split: str = "train", data_files: Any = None
) -> list[Row]:
    """The rows of a hub dataset through ``datasets.load_dataset``; a clear ImportError without the package."""
    load_dataset = require_datasets(name)
    dataset = load_dataset(name, config, split=split, data_files=data_files)
    return [dict(row) for row in dataset]


def is_local(name_or_path: str | os.PathLike[str]) -> bool:
    """A path that exists, or one that names a local file by its suffix (so a typo gives "no such file", not a hub
    lookup)."""
    path = Path(name_or_path)
    return path.exists() or path.suffix.lower() in ROW_SUFFIXES


def _records(
    rows: Iterable[tuple[int, Row | RowProblem]],
    source: str,
    build: Callable[[Row], PreferenceSample],
    on_problem: ProblemSink | None,
) -> list[PreferenceSample]:
    report = on_problem or _raise
    samples: list[PreferenceSample] = []
    for position, row in rows:
        if isinstance(row, RowProblem):
            report(row)
            continue
        try:
            samples.append(build(row))
        except RecordError as exc:
            report(RowProblem(source, position, exc.field, exc.message))
    return samples


# --------------------------------------------------------------------------------------------------------------
# HelpSteer3-Atomic and HelpSteer3 preference


def load_rationalerm(
    name_or_path: str | os.PathLike[str] = RATIONALERM_HUB,
    *,
    file: str = RATIONALERM_TEST_FILE,
    split: str = "train",
    require_human: bool = True,
    on_problem: ProblemSink | None = None,
) -> list[PreferenceSample]:
    """HelpSteer3-Atomic rows as :class:`PreferenceSample` records, every judged model found in the rows.

    ``name_or_path`` is a local file, a local folder holding ``file`` (the released layout:
    ``helpsteer3_test_1000.jsonl`` or ``helpsteer3_human_checklist.jsonl``), or a hub dataset name, from which
    ``file`` is loaded.
    """
    if is_local(name_or_path):
        path = Path(name_or_path)
        if path.is_dir():
            path = path / file
        return _records(
            iter_rows(path), str(path), lambda r: sample_from_row(r, require_human=require_human), on_problem
        )
    name = str(name_or_path)
    rows = load_hub_rows(name, split=split, data_files=file)
    return _records(
        enumerate(rows, start=1),
        f"{name}/{file}",
        lambda r: sample_from_row(r, require_human=require_human),
        on_problem,
    )


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
    split: str = "validation",
    config: str = HELPSTEER3_PREFERENCE,
    on_problem: ProblemSink | None = None,
) -> list[PreferenceSample]:
    """HelpSteer3 preference rows (``context``, ``response1``, ``response2``, ``overall_preference`` in -3..3,
    ``individual_preference[{score, reasoning}]``) as records; local file or hub (``config`` and ``split``)."""
    if is_local(name_or_path):
        path = Path(name_or_path)
        return _records(iter_rows(path), str(path), helpsteer3_sample, on_problem)
    name = str(name_or_path)
    rows = load_hub_rows(name, config=config, split=split)
    return _records(enumerate(rows, start=1), f"{name}[{config}/{split}]", helpsteer3_sample, on_problem)


def annotator_rationales(row: Mapping[str, Any]) -> list[str]:
    """The non-empty ``individual_preference[].reasoning`` texts of a HelpSteer3 preference row, in order."""
    individual = row.get("individual_preference")
    if not isinstance(individual, list):
        return []
    texts = [entry.get("reasoning") for entry in individual if isinstance(entry, Mapping)]
    return [text.strip() for text in texts if isinstance(text, str) and text.strip()]


# --------------------------------------------------------------------------------------------------------------
# JudgeBench and RM-Bench: thin choices between file and hub


def load_judgebench(
    name_or_path: str | os.PathLike[str], *, on_problem: ProblemSink | None = None
) -> list[JudgeBenchPair]:
    """JudgeBench pairs from a local JSONL file, or from the hub by split (``gpt``, ``claude``, or
    ``ScalerLab/JudgeBench:gpt``)."""
    text = str(name_or_path)
    split = text.rsplit(":", 1)[1] if text.startswith("ScalerLab/JudgeBench:") else text
    if split in ("gpt", "claude") and not Path(text).exists():
        require_datasets("ScalerLab/JudgeBench")
        return load_judgebench_hub(split)  # type: ignore[arg-type]
    return load_judgebench_pairs(name_or_path, on_problem=on_problem)


def load_rmbench(
    name_or_path: str | os.PathLike[str] = "THU-KEG/RM-Bench",
    *,
    split: str = "train",
    on_problem: ProblemSink | None = None,
) -> list[RMBenchItem]:
    """RM-Bench prompts from a data file, a folder of the published per-domain files, or the hub."""
    path = Path(name_or_path)
    if path.is_dir():
        return load_rmbench_dir(path, on_problem=on_problem)
    if is_local(name_or_path):
        return load_rmbench_file(path, on_problem=on_problem)
    require_datasets(str(name_or_path))
    return load_rmbench_hub(split)


__all__ = [
    "HELPSTEER3_HUB",
    "RATIONALERM_HUB",
    "annotator_rationales",
    "count_rows",
    "helpsteer3_sample",
    "is_local",
    "iter_rows",
    "load_helpsteer3_preference",
    "load_hub_rows",
    "load_judgebench",
    "load_rationalerm",
    "load_rmbench",
    "require_datasets",
]
