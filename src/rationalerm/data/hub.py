"""The Hugging Face Hub plumbing every dataset loader shares: published layouts and where a split's rows come from.

Each dataset's published layout is written down in a :class:`HubLayout`: its repository, the config and split names
of its dataset card, and the file each split lives in. :func:`resolve_split` takes the same kinds of source for
every dataset:

* a local data file (``.jsonl``, ``.jsonl.gz``, ``.json``, ``.json.gz`` or ``.parquet``): read as it is;
* a snapshot folder of the repository (``hf download REPO --repo-type dataset --local-dir DIR``, or
  ``huggingface_hub.snapshot_download``): the split's file is read from the published path inside it;
* the Hub id: read through ``datasets.load_dataset(REPO, data_files={split: path}, split=split)``, one file per
  split so that splits whose columns differ (HelpSteer3-Atomic's ``full`` and ``test``) are never cast to one
  schema. In offline mode (``HF_HUB_OFFLINE=1``), or when the Hub cannot be reached, the split's file is read from
  the repository's snapshot in the Hugging Face hub cache (``HF_HUB_CACHE``, found with
  ``huggingface_hub.snapshot_download(..., local_files_only=True)``), where ``hf download REPO --repo-type
  dataset`` puts it (``huggingface-cli download`` before ``huggingface_hub`` 1.0).

A missing file, split or config is an :class:`~rationalerm.errors.InputError` that names what was asked, lists what
exists and says how to fix it. ``datasets`` and ``huggingface_hub`` are optional: imported only when needed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import InputError, RecordError
from ..io import RowProblem
from .rows import DATA_SUFFIXES, ProblemSink, Row, T, build_rows, data_suffix, iter_rows, normalise_row

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


def is_hub_id(text: str) -> bool:
    """``owner/name``, the form of a Hub repository id."""
    return bool(_HUB_ID_RE.match(text))


def split_suffix(text: str, layout: HubLayout) -> tuple[str, str | None]:
    """``SOURCE:SPLIT`` -> (SOURCE, SPLIT) when SPLIT is one of ``layout``'s splits (``ScalerLab/JudgeBench:gpt``,
    ``snapshot/:claude``); a bare split name stands for the Hub id (``gpt``)."""
    if text in layout.splits and not Path(text).exists():
        return layout.repo_id, text
    head, sep, tail = text.rpartition(":")
    if sep and tail in layout.splits and head and not Path(text).exists():
        return head, tail
    return text, None


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
        if self.path is None or data_suffix(self.path) == ".parquet":
            return "row"
        return "element" if data_suffix(self.path) == ".json" else "line"

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
        and data_suffix(path) in DATA_SUFFIXES
        and ".cache" not in path.relative_to(folder).parts
    )
    if len(found) > limit:
        return [*found[:limit], f"... ({len(found) - limit} more)"]
    return found


def check_split(layout: HubLayout, split: str | None, config: str | None, asked: str) -> str:
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


def snapshot_file(folder: Path, layout: HubLayout, split: str) -> Path | None:
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
    if path.is_file() or (not path.exists() and data_suffix(path) in DATA_SUFFIXES):
        if not path.is_file():
            raise InputError(RowProblem(text, 0, None, "no such file"))
        return SplitSource(name=text, origin="file", path=path, normalise=normalise)  # a file is one split
    if path.is_dir():
        chosen = check_split(layout, split, config, text)
        return _in_folder(path, layout, chosen, normalise, "snapshot", "snapshot folder")
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
    chosen = check_split(layout, split, config, text)
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
    return replace(resolved, name=str(fetched), origin="hub cache", path=Path(fetched))


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
    return _in_folder(folder, layout, split, normalise, "hub cache", "hub cache snapshot")


def _in_folder(
    folder: Path,
    layout: HubLayout,
    split: str,
    normalise: Callable[[Mapping[str, Any]], Row],
    origin: str,
    what: str,
) -> SplitSource:
    """The split's file at its published path in a snapshot ``folder``; an :class:`InputError` listing what the
    folder holds when it is not there."""
    found = snapshot_file(folder, layout, split)
    if found is None:
        raise InputError(missing_in_folder(folder, layout, split, what))
    return SplitSource(
        name=str(found),
        origin=origin,
        path=found,
        repo_id=layout.repo_id,
        split=split,
        repo_path=str(found.relative_to(folder)),
        normalise=normalise,
    )


def missing_in_folder(folder: Path, layout: HubLayout, split: str, what: str) -> str:
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


def build_split(source: SplitSource, build: Callable[[Row], T], on_problem: ProblemSink | None) -> list[T]:
    """:func:`~rationalerm.data.rows.build_rows` over a split's rows; a bad row of a JSON array or of the Hub is
    placed by its element or row number as well."""
    where = source.positions

    def locate(position: int, exc: RecordError) -> RowProblem:
        message = exc.message if where == "line" else f"{where} {position}: {exc.message}"
        return RowProblem(source.name, position, exc.field, message)

    return build_rows(source.rows(), build, on_problem, locate)
