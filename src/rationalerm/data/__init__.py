"""Loaders: datasets read as their owners publish them, and our own outputs read back. Nothing here calls a model.

- :mod:`.rows`: rows from local data files (JSONL, JSON, parquet, gzip) and their turning into records;
- :mod:`.hub`: published layouts (:class:`HubLayout`) and where a split's rows come from (file, snapshot folder,
  hub cache, Hub);
- :mod:`.helpsteer3`: HelpSteer3-Atomic (``Qwen/RationaleRM``) and HelpSteer3 preference, human labels joined;
- :mod:`.judgebench`: JudgeBench pairs; :mod:`.rmbench`: RM-Bench prompts;
- :mod:`.outputs`: our own ``evaluate`` outputs read back, and two of them joined for agreement.
"""

from .helpsteer3 import (
    AtomicRows,
    LabelJoin,
    PreferenceIndex,
    annotator_rationales,
    helpsteer3_sample,
    join_labels,
    load_helpsteer3_preference,
    load_preference_index,
    load_rationalerm,
    preference_key,
    read_rationalerm,
)
from .hub import (
    HELPSTEER3,
    HELPSTEER3_HUB,
    JUDGEBENCH,
    JUDGEBENCH_HUB,
    LAYOUTS,
    RATIONALERM,
    RATIONALERM_HUB,
    RMBENCH,
    RMBENCH_HUB,
    HubLayout,
    SplitSource,
    cached_snapshot,
    hub_offline,
    is_hub_id,
    load_hub_rows,
    local_split_file,
    require_datasets,
    resolve_split,
)
from .judgebench import JudgeBenchPair, load_judgebench, load_judgebench_pairs
from .rmbench import RMBenchItem, load_rmbench, load_rmbench_dir, load_rmbench_file
from .rows import count_rows, is_local, iter_rows, normalise_row

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
    "JudgeBenchPair",
    "LabelJoin",
    "PreferenceIndex",
    "RMBenchItem",
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
    "load_judgebench_pairs",
    "load_preference_index",
    "load_rationalerm",
    "load_rmbench",
    "load_rmbench_dir",
    "load_rmbench_file",
    "local_split_file",
    "normalise_row",
    "preference_key",
    "read_rationalerm",
    "require_datasets",
    "resolve_split",
]
