"""The HTML report: one self-contained page from the outputs of ``evaluate``, ``agree``-able run pairs, MetaRM
(R-Align), ``bench`` and ``tag``: the paper's pictures for your own models, in a file that opens anywhere.

The page has no external resource: styles are inline, every plot is a base64 PNG data URI (and is also saved as a
PNG beside the HTML), and every string that came from a file (model names, reasons, paths) is HTML-escaped. The page
and its PNGs are written atomically.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import atomic_write_text
from ..stats.tags import tag_rates
from .collect import ReportInputs, collect_inputs
from .html import Safe, esc, fill_template, load_template
from .sections import (
    LOW_CONSISTENCY,
    MAX_CASES,
    Page,
    agreement_sections,
    bench_sections,
    ralign_section,
    run_sections,
    tag_sections,
)


@dataclass(frozen=True, slots=True)
class ReportResult:
    """The HTML file written, the PNGs beside it, and notes about what was skipped."""

    html: Path
    images: list[Path]
    notes: list[str]


def render_report(
    inputs: ReportInputs,
    output: str | os.PathLike[str],
    *,
    title: str = "Rationale report",
    threshold: float = LOW_CONSISTENCY,
    max_cases: int = MAX_CASES,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> ReportResult:
    """Write the HTML report for ``inputs`` to ``output`` and every plot as a PNG beside it."""
    from ..version import __version__

    page = Page(output=Path(output))
    page.output.parent.mkdir(parents=True, exist_ok=True)
    for index, run in enumerate(inputs.runs, start=1):
        run_sections(
            page,
            run,
            index,
            threshold=threshold,
            max_cases=max_cases,
            n_resamples=n_resamples,
            seed=seed,
            several=len(inputs.runs) > 1,
        )
    agreement_sections(page, inputs.runs)
    if inputs.ralign:
        ralign_section(page, inputs.ralign)
    if inputs.benches:
        bench_sections(page, inputs.benches)
    if inputs.tag_records:
        tag_sections(
            page, tag_rates(inputs.tag_records, n_resamples=n_resamples, seed=seed), inputs.tag_sources
        )
    notes = [*inputs.notes, *page.notes]
    if notes:
        page.add(
            "notes",
            "Notes",
            "What was skipped while building this report, and why.",
            [f"<ul>{''.join(f'<li class=note>{esc(n)}</li>' for n in notes)}</ul>"],
        )
    generated = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    nav = "".join(f'<a href="#{esc(anchor)}">{esc(name)}</a>' for anchor, name in page.nav)
    document = fill_template(
        load_template(),
        title=esc(title),
        generated=esc(generated),
        version=esc(__version__),
        nav=Safe(nav),
        sections=Safe("".join(page.sections)),
    )
    atomic_write_text(page.output, document)
    for path in (page.output, *page.images):
        path.chmod(0o644)  # a report is made to be shared; atomic writes create private (0600) files
    return ReportResult(html=page.output, images=list(page.images), notes=notes)


def build_report(
    paths: Iterable[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    **options: Any,
) -> ReportResult:
    """Collect ``paths`` and write the report (see :func:`render_report` for the options). Raises
    :class:`InputError` when a path is missing or nothing usable was found."""
    inputs = collect_inputs(paths)
    if inputs.empty:
        detail = "; ".join(inputs.notes) or "no input"
        raise InputError(f"nothing to report: {detail}")
    return render_report(inputs, output, **options)
