"""Dataset loaders for HelpSteer3-Atomic (``Qwen/RationaleRM``), HelpSteer3 preference (``nvidia/HelpSteer3``),
JudgeBench (``ScalerLab/JudgeBench``) and RM-Bench (``THU-KEG/RM-Bench``), read as their owners publish them.

Each dataset's published layout is written down in a :class:`HubLayout`: its repository, the config and split names
of its dataset card, and the file each split lives in. Every loader takes the same kinds of source:

* a local data file (``.jsonl``, ``.jsonl.gz``, ``.json``, ``.json.gz`` or ``.parquet``): read as it is;
* a snapshot folder of the repository (``hf download REPO --repo-type dataset --local-dir DIR``, or
  ``huggingface_hub.snapshot_download``): the split's file is read from the published path inside it;
* the Hub id: read through ``datasets.load_dataset(REPO, data_files={split: path}, split=split)``, one file per
  split so that splits whose columns differ (HelpSteer3-Atomic's ``full`` and ``test``) are never cast to one
  schema. In offline mode (``HF_HUB_OFFLINE=1``), or when the Hub cannot be reached, the split's file is read from
  the repository's snapshot in the Hugging Face hub cache (``HF_HUB_CACHE``, found with
  ``huggingface_hub.snapshot_download(..., local_files_only=True)``), where ``hf download REPO --repo-type
  dataset`` puts it (``huggingface-cli download`` before ``huggingface_hub`` 1.0).

Rows are normalised the same way from every source (:func:`normalise_row`): keys that Arrow fills with null inside
chat turns are dropped, and JudgeBench's ``original_id`` and RM-Bench's ``id`` become text. A missing file, split or config is an :class:`InputError` that names
what was asked, lists what exists and says how to fix it.

HelpSteer3-Atomic rows carry no human preference. :func:`read_rationalerm` joins it from HelpSteer3 preference rows
(train and validation) by a content hash of the conversation and both responses (:func:`preference_key`), and
reports how many rows matched in a :class:`LabelJoin`; rows left without a label are counted and named there.

Bad rows never pass silently: each becomes a :class:`~rationalerm.io.RowProblem` (file, line or element, field)
sent to ``on_problem``, or an :class:`~rationalerm.io.InputError` when no ``on_problem`` is given.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bench.judgebench import JudgeBenchPair, load_judgebench_pairs, pair_from_row
from .bench.rmbench import DATA_FILES, RMBenchItem, item_from_row, load_rmbench_dir, load_rmbench_file
from .io import InputError, RowProblem, iter_jsonl, open_binary
from .records import PreferenceSample, RecordError, human_label_of, sample_from_row

ProblemSink = Callable[[RowProblem], None]
Row = dict[str, Any]
_HUB_ID_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


# --------------------------------------------------------------------------------------------------------------
# Published layouts


@dataclass(frozen=True, slots=True)
class HubLayout:
    """Where a dataset's splits live, as its owners publish it on the Hub."""

    repo_id: str
    config: str  # the card's config that holds the splits below
    splits: Mapping[str, str]  # split name -> file path inside the repository
    default_split: str | None  # None: the caller must choose (JudgeBench's two splits are two benchmarks)
    legacy: Mapping[str, str] = field(default_factory=dict)  # older paths still accepted in a snapshot folder
    describe: Mapping[str, str] = field(default_factory=dict)  # split -> a few words for error messages

    def split_list(self) -> str:
        return ", ".join(f"{s} ({self.describe[s]})" if s in self.describe else s for s in self.splits)


RATIONALERM = HubLayout(
    repo_id="Qwen/RationaleRM",
    config="default",
    splits={"full": "data/helpsteer3_human_checklist.jsonl", "test": "data/helpsteer3_test_1000.jsonl"},
    default_split="test",
    # the repository's first commit kept both files at its root
    legacy={"full": "helpsteer3_human_checklist.jsonl", "test": "helpsteer3_test_1000.jsonl"},
    describe={
        "full": "22,116 rows with human checklists",
        "test": "1,000 rows with human and model checklists",
    },
)
HELPSTEER3 = HubLayout(
    repo_id="nvidia/HelpSteer3",
    config="preference",
    splits={"train": "preference/train.jsonl.gz", "validation": "preference/validation.jsonl.gz"},
    default_split="validation",
)
JUDGEBENCH = HubLayout(
    repo_id="ScalerLab/JudgeBench",
    config="default",
    # no `configs:` in the card: `datasets` names the splits after these file names (data/{split}-00000-of-00001)
    splits={"gpt": "data/gpt-00000-of-00001.jsonl", "claude": "data/claude-00000-of-00001.jsonl"},
    default_split=None,
    describe={"gpt": "350 pairs by GPT-4o", "claude": "270 pairs by Claude 3.5 Sonnet"},
)
RMBENCH = HubLayout(
    repo_id="THU-KEG/RM-Bench",
    config="default",
    splits={"train": "total_dataset.json"},  # no `configs:` in the card: one file at the root, split "train"
    default_split="train",
)
LAYOUTS = {layout.repo_id: layout for layout in (RATIONALERM, HELPSTEER3, JUDGEBENCH, RMBENCH)}

RATIONALERM_HUB = RATIONALERM.repo_id
HELPSTEER3_HUB = HELPSTEER3.repo_id
JUDGEBENCH_HUB = JUDGEBENCH.repo_id
RMBENCH_HUB = RMBENCH.repo_id


# --------------------------------------------------------------------------------------------------------------
# Rows from local files


def _raise(problem: RowProblem) -> None:
    raise InputError(problem)


def _data_suffix(path: Path) -> str:
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
    if not source.is_file():
        raise InputError(RowProblem(name, 0, None, "no such file"))
    suffix = _data_suffix(source)
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
    if _data_suffix(source) in (".json", ".parquet"):
        return sum(1 for _ in iter_rows(source))
    with open_binary(source) as handle:
        return sum(1 for line in handle if line.strip())


def is_local(name_or_path: str | os.PathLike[str]) -> bool:
    """A path that exists, or one that names a local file by its suffix (so a typo gives "no such file", not a hub
    lookup)."""
    path = Path(name_or_path)
    return path.exists() or _data_suffix(path) in (".jsonl", ".json", ".parquet")


def is_hub_id(text: str) -> bool:
    """``owner/name``, the form of a Hub repository id."""
    return bool(_HUB_ID_RE.match(text))


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


def _judgebench_row(row: Mapping[str, Any]) -> Row:
    """``original_id`` as text: the Hub's files write it as a string, the GitHub files as a number."""
    out = normalise_row(row)
    value = out.get("original_id")
    if isinstance(value, int) and not isinstance(value, bool):
        out["original_id"] = str(value)
    return out


def _rmbench_row(row: Mapping[str, Any]) -> Row:
    out = normalise_row(row)
    value = out.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        out["id"] = str(value)
    return out


# --------------------------------------------------------------------------------------------------------------
# Sources: a file, a snapshot folder, the hub cache or the Hub


@dataclass(slots=True)
class SplitSource:
    """Where one split's rows come from.

    ``origin`` is ``file`` (a data file given directly), ``snapshot`` (a snapshot folder), ``hub cache`` (the
    repository's snapshot in the Hugging Face hub cache) or ``hub`` (``datasets.load_dataset``). ``path`` is the
    local file read (None for ``hub``).
    """

    name: str
    origin: str
    path: Path | None = None
    repo_id: str | None = None
    split: str | None = None
    repo_path: str | None = None
    normalise: Callable[[Mapping[str, Any]], Row] = normalise_row

    def rows(self) -> Iterator[tuple[int, Row | RowProblem]]:
        """``(position, row or problem)``: file lines (or array elements) for local files, 1-based row numbers for
        rows from the Hub. When the Hub cannot be reached, the split's file in the hub cache is read instead (and
        ``origin``, ``name`` and ``path`` say so)."""
        if self.path is None:
            assert self.repo_id is not None and self.split is not None and self.repo_path is not None
            try:
                hub_rows = _hub_rows(self.repo_id, self.split, self.repo_path)
            except _HubUnreachable as exc:
                cached = _from_hub_cache(
                    LAYOUTS[self.repo_id],
                    self.split,
                    None,
                    self.normalise,
                    reason=f"the Hub cannot be reached ({exc})",
                )
                self.name, self.origin, self.path = cached.name, cached.origin, cached.path
            else:
                for position, row in enumerate(hub_rows, start=1):
                    yield position, self.normalise(row)
                return
        for position, row in iter_rows(self.path):
            yield position, row if isinstance(row, RowProblem) else self.normalise(row)

    @property
    def positions(self) -> str:
        """What a row's position counts: ``line`` (JSON Lines), ``element`` (a JSON array) or ``row``."""
        if self.path is None or _data_suffix(self.path) == ".parquet":
            return "row"
        return "element" if _data_suffix(self.path) == ".json" else "line"

    def describe(self) -> dict[str, Any]:
        """For provenance: name, origin, repository, split, file."""
        info: dict[str, Any] = {"name": self.name, "origin": self.origin}
        if self.repo_id:
            info.update(repo_id=self.repo_id, split=self.split, repo_path=self.repo_path)
        if self.path is not None:
            info["path"] = str(self.path)
        return info


def require_datasets(name: str) -> Callable[..., Any]:
    """``datasets.load_dataset``, or an ImportError that says how to get it (the ``hub`` extra) or avoid it."""
    try:
        from datasets import load_dataset
    except ImportError as exc:
        raise ImportError(
            f"loading {name!r} from the Hugging Face hub needs the optional 'datasets' package: "
            "pip install 'rationalerm[hub]' (or pass a local data file or a snapshot folder)"
        ) from exc
    return load_dataset


def _require_hub(name: str) -> Any:
    try:
        import huggingface_hub
    except ImportError as exc:
        raise ImportError(
            f"finding {name!r} in the Hugging Face hub cache needs the optional 'huggingface_hub' package: "
            "pip install 'rationalerm[hub]' (or pass a snapshot folder)"
        ) from exc
    return huggingface_hub


def hub_offline() -> bool:
    """Offline mode as ``huggingface_hub`` and ``datasets`` define it (``HF_HUB_OFFLINE`` or
    ``HF_DATASETS_OFFLINE``), read when called."""
    for variable in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(variable, "").strip().upper() in {"1", "ON", "YES", "TRUE"}:
            return True
    try:
        from huggingface_hub import is_offline_mode
    except ImportError:
        return False
    return bool(is_offline_mode())


def hub_cache_dir() -> str | None:
    """The hub cache folder (``HF_HUB_CACHE``, else ``huggingface_hub``'s default under ``HF_HOME``), read when
    called; None without ``huggingface_hub``."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.path.expanduser(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return os.path.join(os.path.expanduser(os.environ["HF_HOME"]), "hub")
    try:
        from huggingface_hub import constants
    except ImportError:
        return None
    return str(constants.HF_HUB_CACHE)


def cached_snapshot(repo_id: str, *, files: Iterable[str] = (), hub_cache: str | None = None) -> Path | None:
    """The folder of ``repo_id``'s snapshot in the hub cache (revision ``main``), or None when it is not there.

    Uses ``huggingface_hub.snapshot_download(..., local_files_only=True)``, which reads only the disk. ``files``
    narrows its completeness check to the files the caller needs.
    """
    hub = _require_hub(repo_id)
    cache = hub_cache or hub_cache_dir()
    wanted = list(files)
    try:
        folder = hub.snapshot_download(
            repo_id,
            repo_type="dataset",
            cache_dir=cache,
            local_files_only=True,
            allow_patterns=wanted or None,
        )
    except Exception:  # LocalEntryNotFoundError, IncompleteSnapshotError: not (fully) in the cache
        return None
    return Path(folder)


def data_files_in(folder: Path, *, limit: int = 30) -> list[str]:
    """The data files under ``folder`` (relative paths, sorted), for error messages."""
    found = sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file()
        and _data_suffix(path) in (".jsonl", ".json", ".parquet")
        and ".cache" not in path.relative_to(folder).parts
    )
    if len(found) > limit:
        return [*found[:limit], f"... ({len(found) - limit} more)"]
    return found


def _check_split(layout: HubLayout, split: str | None, config: str | None, asked: str) -> str:
    if config is not None and config != layout.config:
        raise InputError(
            f"{asked}: no config {config!r}; this loader reads config {layout.config!r} of {layout.repo_id} "
            f"(splits: {layout.split_list()})"
        )
    if split is None:
        if layout.default_split is None:
            raise InputError(
                f"{asked}: which split? {layout.repo_id} has {layout.split_list()}; "
                f"pass split= (--split), or write {layout.repo_id}:SPLIT"
            )
        return layout.default_split
    if split not in layout.splits:
        raise InputError(
            f"{asked}: no split {split!r}; {layout.repo_id}'s card defines {layout.split_list()}"
        )
    return split


def _snapshot_file(folder: Path, layout: HubLayout, split: str) -> Path | None:
    for relative in (layout.splits[split], layout.legacy.get(split)):
        if relative and (folder / relative).is_file():
            return folder / relative
    return None


def resolve_split(
    source: str | os.PathLike[str],
    layout: HubLayout,
    *,
    split: str | None = None,
    config: str | None = None,
    hub_cache: str | None = None,
    normalise: Callable[[Mapping[str, Any]], Row] = normalise_row,
) -> SplitSource:
    """Where ``split`` of ``layout``'s dataset comes from, for ``source``: a data file, a snapshot folder, or the
    Hub id (the hub cache when offline). Nothing is read yet, except the hub cache's folder listing."""
    text = str(source)
    path = Path(source)
    if path.is_file() or (not path.exists() and _data_suffix(path) in (".jsonl", ".json", ".parquet")):
        if not path.is_file():
            raise InputError(RowProblem(text, 0, None, "no such file"))
        return SplitSource(name=text, origin="file", path=path, normalise=normalise)  # a file is one split
    if path.is_dir():
        chosen = _check_split(layout, split, config, text)
        found = _snapshot_file(path, layout, chosen)
        if found is None:
            raise InputError(_missing_in_folder(path, layout, chosen, "snapshot folder"))
        return SplitSource(
            name=str(found),
            origin="snapshot",
            path=found,
            repo_id=layout.repo_id,
            split=chosen,
            repo_path=str(found.relative_to(path)),
            normalise=normalise,
        )
    if text != layout.repo_id:
        raise InputError(
            RowProblem(
                text,
                0,
                None,
                f"no such file or folder; give a data file, a snapshot folder of {layout.repo_id}, "
                f"or the Hub id {layout.repo_id}",
            )
        )
    chosen = _check_split(layout, split, config, text)
    repo_path = layout.splits[chosen]
    if hub_offline():
        return _from_hub_cache(
            layout, chosen, hub_cache, normalise, reason="offline mode is on (HF_HUB_OFFLINE)"
        )
    return SplitSource(
        name=f"{layout.repo_id}/{repo_path}",
        origin="hub",
        repo_id=layout.repo_id,
        split=chosen,
        repo_path=repo_path,
        normalise=normalise,
    )


def local_split_file(
    source: str | os.PathLike[str],
    layout: HubLayout,
    *,
    split: str | None = None,
    hub_cache: str | None = None,
) -> SplitSource:
    """Like :func:`resolve_split`, but always a local file, for commands that read a file by position (resumable
    runs): a Hub id that is not read from the hub cache is fetched into it with ``huggingface_hub.hf_hub_download``
    (the split's file only)."""
    resolved = resolve_split(source, layout, split=split, hub_cache=hub_cache)
    if resolved.path is not None:
        return resolved
    assert resolved.repo_path is not None
    hub = _require_hub(layout.repo_id)
    from huggingface_hub.errors import EntryNotFoundError

    try:
        fetched = hub.hf_hub_download(
            layout.repo_id, resolved.repo_path, repo_type="dataset", cache_dir=hub_cache or hub_cache_dir()
        )
    except Exception as exc:  # EntryNotFoundError, RepositoryNotFoundError, connection errors
        if isinstance(exc, EntryNotFoundError):
            raise InputError(
                f"{layout.repo_id}: no file {resolved.repo_path} (split {resolved.split!r}) in the repository; "
                f"it holds: {_repo_files(layout.repo_id)}"
            ) from None
        try:
            return _from_hub_cache(
                layout,
                str(resolved.split),
                hub_cache,
                resolved.normalise,
                reason=f"the Hub cannot be reached ({exc})",
            )
        except InputError:
            raise InputError(
                f"{layout.repo_id}/{resolved.repo_path}: could not be fetched ({type(exc).__name__}: {exc})"
            ) from None
    return SplitSource(
        name=str(fetched),
        origin="hub cache",
        path=Path(fetched),
        repo_id=layout.repo_id,
        split=resolved.split,
        repo_path=resolved.repo_path,
        normalise=resolved.normalise,
    )


def _from_hub_cache(
    layout: HubLayout,
    split: str,
    hub_cache: str | None,
    normalise: Callable[[Mapping[str, Any]], Row],
    *,
    reason: str,
) -> SplitSource:
    cache = hub_cache or hub_cache_dir()
    folder = cached_snapshot(layout.repo_id, hub_cache=cache)
    fix = (
        f"download it where there is network with `hf download {layout.repo_id} --repo-type dataset` "
        "(it fills the hub cache), or pass a snapshot folder or a data file"
    )
    if folder is None:
        raise InputError(
            f"{layout.repo_id}: {reason}, and the hub cache ({cache}) holds no snapshot of it; {fix}"
        )
    found = _snapshot_file(folder, layout, split)
    if found is None:
        raise InputError(_missing_in_folder(folder, layout, split, "hub cache snapshot"))
    return SplitSource(
        name=str(found),
        origin="hub cache",
        path=found,
        repo_id=layout.repo_id,
        split=split,
        repo_path=str(found.relative_to(folder)),
        normalise=normalise,
    )


def _missing_in_folder(folder: Path, layout: HubLayout, split: str, what: str) -> str:
    files = data_files_in(folder)
    listing = ", ".join(files) if files else "no data file"
    return (
        f"{folder}: this {what} of {layout.repo_id} has no {layout.splits[split]} (split {split!r}); "
        f"it holds: {listing}. Fix: download the file "
        f"(`hf download {layout.repo_id} {layout.splits[split]} --repo-type dataset "
        f"--local-dir {folder}`), or pass the data file itself"
    )


class _HubUnreachable(Exception):
    pass


def _hub_rows(repo_id: str, split: str, repo_path: str) -> list[Row]:
    """The rows of one published file through ``datasets.load_dataset`` (one split, one file: no schema shared
    with the other splits). Errors become :class:`InputError` naming what was asked and what exists; a Hub that
    cannot be reached falls back to the hub cache."""
    load_dataset = require_datasets(repo_id)
    from datasets.exceptions import DatasetNotFoundError

    try:
        dataset = load_dataset(repo_id, data_files={split: repo_path}, split=split)
    except Exception as exc:
        if _unreachable(exc):
            raise _HubUnreachable(f"{type(exc).__name__}: {exc}") from None
        if isinstance(exc, DatasetNotFoundError):
            raise InputError(f"{repo_id}: no such dataset on the Hub, or no access to it ({exc})") from None
        if isinstance(exc, FileNotFoundError):
            raise InputError(
                f"{repo_id}: no file {repo_path} (split {split!r}) in the repository; "
                f"it holds: {_repo_files(repo_id)} ({type(exc).__name__}). Fix: pass one of these files "
                "(downloaded), or a snapshot folder"
            ) from None
        # datasets' build and cast errors: name the file and the cause
        raise InputError(f"{repo_id}/{repo_path}: could not be read ({type(exc).__name__}: {exc})") from None
    return [dict(row) for row in dataset]


def _unreachable(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an exception it was raised from, says the Hub could not be reached: a connection or
    timeout error, or offline mode, as ``huggingface_hub`` raises them."""
    network: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)
    try:
        from huggingface_hub.utils import OfflineModeIsEnabled, httpx

        network = (*network, OfflineModeIsEnabled, httpx.TransportError)
    except ImportError:  # pragma: no cover - huggingface_hub comes with datasets
        pass
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, network):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _repo_files(repo_id: str) -> str:
    try:
        from huggingface_hub import HfApi

        files = HfApi().list_repo_files(repo_id, repo_type="dataset")
    except Exception as exc:
        return f"(the file list could not be fetched: {type(exc).__name__})"
    return ", ".join(files) or "no file"


def load_hub_rows(
    name: str, *, config: str | None = None, split: str = "train", data_files: Any = None
) -> list[Row]:
    """The rows of any hub dataset through ``datasets.load_dataset``; a clear ImportError without the package."""
    load_dataset = require_datasets(name)
    dataset = load_dataset(name, config, split=split, data_files=data_files)
    return [dict(row) for row in dataset]


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
    from .records import stable_id

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
    report = on_problem or _raise
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


# --------------------------------------------------------------------------------------------------------------
# JudgeBench and RM-Bench


def split_suffix(text: str, layout: HubLayout) -> tuple[str, str | None]:
    """``SOURCE:SPLIT`` -> (SOURCE, SPLIT) when SPLIT is one of ``layout``'s splits (``ScalerLab/JudgeBench:gpt``,
    ``snapshot/:claude``); a bare split name stands for the Hub id (``gpt``)."""
    if text in layout.splits and not Path(text).exists():
        return layout.repo_id, text
    head, sep, tail = text.rpartition(":")
    if sep and tail in layout.splits and head and not Path(text).exists():
        return head, tail
    return text, None


def _load_positioned(
    source: SplitSource, build: Callable[[Row], Any], on_problem: ProblemSink | None
) -> list[Any]:
    report = on_problem or _raise
    built = []
    for position, row in source.rows():
        if isinstance(row, RowProblem):
            report(row)
            continue
        try:
            built.append(build(row))
        except RecordError as exc:
            where = source.positions
            message = exc.message if where == "line" else f"{where} {position}: {exc.message}"
            report(RowProblem(source.name, position, exc.field, message))
    return built


def load_judgebench(
    name_or_path: str | os.PathLike[str] = JUDGEBENCH_HUB,
    *,
    split: str | None = None,
    hub_cache: str | None = None,
    on_problem: ProblemSink | None = None,
) -> list[JudgeBenchPair]:
    """JudgeBench pairs from ``ScalerLab/JudgeBench`` (split ``gpt`` or ``claude``; ``gpt``,
    ``ScalerLab/JudgeBench:gpt`` and ``FOLDER:gpt`` say the same), a snapshot folder of it, or a local JSONL file
    (the GitHub layout, ``dataset=judgebench,response_model=...jsonl``)."""
    text, suffix = split_suffix(str(name_or_path), JUDGEBENCH)
    if Path(text).is_file():
        return load_judgebench_pairs(text, on_problem=on_problem)
    source = resolve_split(
        text, JUDGEBENCH, split=split or suffix, hub_cache=hub_cache, normalise=_judgebench_row
    )
    if source.origin == "file":
        return load_judgebench_pairs(text, on_problem=on_problem)
    return _load_positioned(source, pair_from_row, on_problem)


def load_judgebench_source_rows(
    name_or_path: str | os.PathLike[str], *, split: str | None = None, hub_cache: str | None = None
) -> tuple[SplitSource, list[tuple[int, Row | RowProblem]]]:
    """The raw rows of a JudgeBench split (normalised, unchecked) and where they came from."""
    text, suffix = split_suffix(str(name_or_path), JUDGEBENCH)
    source = resolve_split(
        text, JUDGEBENCH, split=split or suffix, hub_cache=hub_cache, normalise=_judgebench_row
    )
    return source, list(source.rows())


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
    if path.is_dir() and _snapshot_file(path, RMBENCH, _check_split(RMBENCH, split, None, str(path))) is None:
        try:
            return load_rmbench_dir(path, on_problem=on_problem)
        except InputError:
            message = _missing_in_folder(path, RMBENCH, "train", "folder")
            raise InputError(
                f"{message}, or a folder of the GitHub per-domain files ({', '.join(DATA_FILES)})"
            ) from None
    source = resolve_split(name_or_path, RMBENCH, split=split, hub_cache=hub_cache, normalise=_rmbench_row)
    return _load_positioned(source, item_from_row, on_problem)


__all__ = [
    "HELPSTEER3",
    "HELPSTEER3_HUB",
    "JUDGEBENCH",
    "JUDGEBENCH_HUB",
    "LAYOUTS",
    "RATIONALERM",
    "RATIONALERM_HUB",
    "RMBENCH",
    "RMBENCH_HUB",
    "AtomicRows",
    "HubLayout",
    "LabelJoin",
    "PreferenceIndex",
    "SplitSource",
    "annotator_rationales",
    "cached_snapshot",
    "count_rows",
    "helpsteer3_sample",
    "hub_offline",
    "is_hub_id",
    "is_local",
    "iter_rows",
    "join_labels",
    "load_helpsteer3_preference",
    "load_hub_rows",
    "load_judgebench",
    "load_preference_index",
    "load_rationalerm",
    "load_rmbench",
    "local_split_file",
    "normalise_row",
    "preference_key",
    "read_rationalerm",
    "require_datasets",
    "resolve_split",
]
