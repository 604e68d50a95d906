"""``analyze`` results for the terminal (rich tables) and as rows for JSON/CSV files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from ..records import ModelResult

ANALYZE_CSV_COLUMNS = (
    "model",
    "mode",
    "precision",
    "recall",
    "f1",
    "average_precision",
    "valid",
    "parse_failed",
    "skipped",
    "outcome_accuracy",
    "ci",
    "by_domain",
)


def analyze_rows(results: Sequence[ModelResult]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in results]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def print_analyze_tables(
    console: Console, results: Sequence[ModelResult], *, mode: str, by_domain: bool = False
) -> None:
    table = Table(title=f"Rationale consistency ({mode} mode)", title_justify="left")
    table.add_column("model", overflow="fold", min_width=14)
    for column in ("precision", "recall", "F1", "AP", "valid", "failed", "skipped"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            r.model,
            _fmt(r.precision),
            _fmt(r.recall),
            _fmt(r.f1),
            _fmt(r.average_precision),
            str(r.valid),
            str(r.parse_failed),
            str(r.skipped),
        )
    console.print(table)
    if not by_domain:
        return
    domains = Table(title="By domain", title_justify="left")
    domains.add_column("model", overflow="fold", min_width=14)
    domains.add_column("domain")
    for column in ("n", "precision", "recall", "recall 95% CI", "F1", "AP"):
        domains.add_column(column, justify="right", no_wrap=True)
    for r in results:
        for domain, s in sorted(r.by_domain.items()):
            lo, hi = s.ci.get("recall", (None, None))
            interval = f"[{lo:.3f}, {hi:.3f}]" if lo is not None and hi is not None else "-"
            domains.add_row(
                r.model,
                domain,
                str(s.n),
                _fmt(s.precision),
                _fmt(s.recall),
                interval,
                _fmt(s.f1),
                _fmt(s.average_precision),
            )
    console.print(domains)
