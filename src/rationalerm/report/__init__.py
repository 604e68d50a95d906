"""Showing results: the HTML report, its plots and the terminal tables. Nothing here calls a model.

- :mod:`.collect`: what goes into the HTML report, found from folders and files;
- :mod:`.html`: escaping, tables, figures and the page template;
- :mod:`.sections`: one section a kind of input;
- :mod:`.build`: the page (:func:`build_report`, :func:`render_report`);
- :mod:`.plots`: every PNG plot (matplotlib, headless);
- :mod:`.terminal`: ``analyze`` tables for the terminal and rows for JSON/CSV files.
"""

from .build import ReportResult, build_report, render_report
from .collect import (
    BenchResult,
    RAlignRow,
    ReportInputs,
    collect_inputs,
    find_ralign,
    locate_input,
    model_result_from_summary,
)
from .sections import LOW_CONSISTENCY, MAX_CASES, wrong_reason_cases
from .terminal import ANALYZE_CSV_COLUMNS, analyze_rows, print_analyze_tables  # the old rationalerm.report

__all__ = [
    "ANALYZE_CSV_COLUMNS",
    "LOW_CONSISTENCY",
    "MAX_CASES",
    "BenchResult",
    "RAlignRow",
    "ReportInputs",
    "ReportResult",
    "analyze_rows",
    "build_report",
    "collect_inputs",
    "find_ralign",
    "locate_input",
    "model_result_from_summary",
    "print_analyze_tables",
    "render_report",
    "wrong_reason_cases",
]
