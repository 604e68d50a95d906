"""Files in and out: :mod:`.jsonl` (JSONL rows, atomic writes, the input policy) and :mod:`.resume` (the one resume
mechanism every command that writes rows uses). Every name other code imports from ``rationalerm.io`` is here."""

from ..errors import InputError
from .jsonl import (
    DEDUPE_MODES,
    ENCODING_ERRORS,
    Dedupe,
    JsonlAppender,
    RowProblem,
    atomic_write_bytes,
    atomic_write_text,
    collect_jsonl_paths,
    dumps_line,
    encoding_policy,
    iter_jsonl,
    no_rows,
    open_binary,
    read_jsonl,
    repair_torn_tail,
    scan_input,
    write_csv,
    write_json,
    write_jsonl,
)
from .resume import ResumableOutput, RunSummary

__all__ = [
    "DEDUPE_MODES",
    "ENCODING_ERRORS",
    "Dedupe",
    "InputError",
    "JsonlAppender",
    "ResumableOutput",
    "RowProblem",
    "RunSummary",
    "atomic_write_bytes",
    "atomic_write_text",
    "collect_jsonl_paths",
    "dumps_line",
    "encoding_policy",
    "iter_jsonl",
    "no_rows",
    "open_binary",
    "read_jsonl",
    "repair_torn_tail",
    "scan_input",
    "write_csv",
    "write_json",
    "write_jsonl",
]
