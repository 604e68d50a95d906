"""``rationalerm prepare-rl``: HelpSteer3-Atomic rows turned into the training data each RL framework reads.

The rows come from a data file, a snapshot folder of ``Qwen/RationaleRM`` or the Hub id (split ``full`` by default,
the training data; see :func:`rationalerm.data.read_rationalerm`). The published rows carry no human
preference: it is joined from HelpSteer3 by content hash (``labels_from``), and the summary says how many matched.

Every row becomes the GenRM prompt (the RationaleRM template, :func:`rationalerm.runs.generate.genrm_messages`)
plus what the reward needs: the human checklist and label, the two responses and the conversation (the copy guard
and the MetaRM read them) and, when present, the golden judgment.

* ``verl``: parquet with ``data_source``, ``prompt`` (chat messages), ``ability``, ``reward_model`` =
  ``{"style": "rule", "ground_truth": "A" | "B" | "tie"}`` and ``extra_info`` (``index``, ``id``, ``domain``,
  ``human_checklist``, ``response1``, ``response2``, ``context``, ``golden``);
* ``trl``: JSONL (or parquet by extension) with ``prompt`` and the sample fields as top-level columns;
* ``openrlhf``: JSONL with ``prompt`` and ``label`` (the sample as a JSON string, what ``serve-reward`` reads).

Rows that cannot be scored (no checklist, no label, no responses) are reported, counted and left out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..data.helpsteer3 import AtomicRows, LabelJoin, read_rationalerm
from ..data.hub import SplitSource
from ..errors import ConfigError
from ..io import RowProblem, write_jsonl
from ..parse import GenRMStyle
from ..prompts import load_prompt
from ..records import RecordError
from ..reward import RewardSample
from .generate import PROMPTS, genrm_messages
from .rows import pair_of

RLFormat = Literal["verl", "trl", "openrlhf"]
RL_FORMATS: tuple[RLFormat, ...] = ("verl", "trl", "openrlhf")
DATA_SOURCE = "rationalerm/helpsteer3-atomic"
LABEL_NAMES = {1: "A", 2: "B", 0: "tie"}


@dataclass(slots=True)
class PrepareSummary:
    """What ``prepare_rl`` wrote, what it left out (``skipped``, each in ``problems``) and the label join."""

    output: Path
    written: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    labels: LabelJoin | None = None
    source: SplitSource | None = None


def _messages(context: Any) -> list[dict[str, str]]:
    """Chat messages with exactly ``role`` and ``content`` strings (a fixed schema for parquet)."""
    out = []
    for message in context:
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        out.append(
            {"role": str(message.get("role") or "user"), "content": "" if content is None else str(content)}
        )
    return out


def rl_record(
    row: dict[str, Any],
    index: int,
    fmt: RLFormat,
    *,
    style: GenRMStyle = "rationalerm",
    max_reasons: int | None = None,
    golden_field: str = "gt_judgment",
) -> dict[str, Any]:
    """One training record in ``fmt``; :class:`RecordError` for a row that cannot be scored."""
    sample = RewardSample.from_row(row, golden_field=golden_field)
    pair = pair_of(row)
    if not sample.human_checklist:
        raise RecordError("human-checklist", "empty: nothing to reward reasons against")
    prompt = genrm_messages(
        load_prompt(PROMPTS[style]), pair.context, pair.response_a, pair.response_b, max_reasons=max_reasons
    )
    info = {
        "index": index,
        "id": sample.id or str(index),
        "domain": str(row.get("domain") or ""),
        "human_checklist": list(sample.human_checklist),
        "human_label": LABEL_NAMES[sample.human_label],
        "response1": pair.response_a,
        "response2": pair.response_b,
        "context": _messages(pair.context),
        "golden": sample.golden or "",
    }
    if fmt == "verl":
        ground_truth = info.pop("human_label")
        return {
            "data_source": DATA_SOURCE,
            "prompt": prompt,
            "ability": "preference_judgment",
            "reward_model": {"style": "rule", "ground_truth": ground_truth},
            "extra_info": info,
        }
    if fmt == "trl":
        return {"prompt": prompt, **info}
    return {"prompt": prompt, "label": json.dumps(info, ensure_ascii=False)}


def iter_records(
    input_path: str | os.PathLike[str],
    fmt: RLFormat,
    *,
    on_problem: Callable[[RowProblem], None] | None = None,
    split: str | None = "full",
    labels_from: str | os.PathLike[str] | None = "auto",
    hub_cache: str | None = None,
    **options: Any,
) -> Iterator[dict[str, Any]]:
    """The training records of ``input_path`` (rows that cannot be scored go to ``on_problem``)."""
    data = read_rationalerm(
        input_path, split=split, labels_from=labels_from, hub_cache=hub_cache, on_problem=on_problem or _skip
    )
    yield from records_of(data, fmt, on_problem=on_problem, **options)


def _skip(problem: RowProblem) -> None:
    return None


def records_of(
    data: AtomicRows,
    fmt: RLFormat,
    *,
    on_problem: Callable[[RowProblem], None] | None = None,
    **options: Any,
) -> Iterator[dict[str, Any]]:
    """The training records of rows already read (:func:`rationalerm.data.read_rationalerm`)."""
    written = 0
    for line, item in data.rows:
        try:
            record = rl_record(item, written, fmt, **options)
        except RecordError as exc:
            if on_problem:
                on_problem(RowProblem(data.source.name, line, exc.field, exc.message))
            continue
        written += 1
        yield record


def write_parquet(path: Path, records: list[dict[str, Any]]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'writing parquet needs pyarrow: pip install "rationalerm[train]" or pyarrow'
        ) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(records), path)


def prepare_rl(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    fmt: RLFormat = "verl",
    *,
    style: GenRMStyle = "rationalerm",
    max_reasons: int | None = None,
    golden_field: str = "gt_judgment",
    on_problem: Callable[[RowProblem], None] | None = None,
    split: str | None = "full",
    labels_from: str | os.PathLike[str] | None = "auto",
    hub_cache: str | None = None,
) -> PrepareSummary:
    """Write ``input_path`` as ``fmt`` training data to ``output_path`` (``.parquet`` or ``.jsonl``; verl: parquet).
    ``max_reasons`` goes into the GenRM prompt's instruction (None: "every reason that matters", as in the paper's
    training; the reward's guard still caps the list it scores). ``input_path``: a data file, a snapshot folder of
    ``Qwen/RationaleRM`` or the Hub id (``split``: ``full`` by default); human labels the rows lack are joined as
    ``labels_from`` says (:func:`rationalerm.data.join_labels`)."""
    if fmt not in RL_FORMATS:
        raise ConfigError(f"format must be one of {', '.join(RL_FORMATS)}, not {fmt!r}")
    target = Path(output_path)
    summary = PrepareSummary(target)

    def problem(p: RowProblem) -> None:
        summary.skipped += 1
        summary.problems.append(p)
        if on_problem:
            on_problem(p)

    data = read_rationalerm(
        input_path, split=split, labels_from=labels_from, hub_cache=hub_cache, on_problem=problem
    )
    summary.labels, summary.source = data.labels, data.source
    records = list(
        records_of(
            data, fmt, on_problem=problem, style=style, max_reasons=max_reasons, golden_field=golden_field
        )
    )
    if fmt == "verl" or target.suffix == ".parquet":
        write_parquet(target, records)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_jsonl(target, records)
    summary.written = len(records)
    return summary


__all__ = ["DATA_SOURCE", "RL_FORMATS", "PrepareSummary", "RLFormat", "prepare_rl", "rl_record"]
