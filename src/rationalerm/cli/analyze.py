"""``rationalerm analyze``: precision, recall (rationale consistency), F1 and AP of MetaJudge outputs per model.

A thin wrapper over :func:`rationalerm.runs.analyze.analyze`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from .app import app
from .console import ProblemPrinter, console, fail, say
from .options import (
    BootstrapOpt,
    BootstrapSeedOpt,
    InputPolicy,
    MaxModelItemsOpt,
    ModeOpt,
    shown,
    with_options,
)


@app.command()
@with_options(inputs=shown(InputPolicy(), hide={"dedupe"}, help={"strict": "Stop at the first bad row."}))
def analyze(
    paths: Annotated[list[Path], typer.Argument(help="MetaJudge output files, or folders of *.jsonl files.")],
    model: Annotated[
        str | None, typer.Option("--model", help="The judged model (default: found in each file).")
    ] = None,
    mode: ModeOpt = "paper",
    sort_by: Annotated[str, typer.Option("--sort-by", help="recall, precision, f1 or ap.")] = "recall",
    by_domain: Annotated[bool, typer.Option("--by-domain", help="Also print a per-domain table.")] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON.")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the results as CSV.")] = None,
    max_model_items: MaxModelItemsOpt = 5,
    bootstrap: BootstrapOpt = 1000,  # computed only where --by-domain, --json or --csv shows the intervals
    seed: BootstrapSeedOpt = 0,
    *,
    inputs: InputPolicy,
) -> None:
    """Score MetaJudge answers: precision, recall (rationale consistency), F1 and AP per model."""
    from ..report.terminal import analyze_rows, print_analyze_tables
    from ..runs import analyze as run
    from ..runs.analyze import SORT_KEYS

    if mode not in ("paper", "reference"):
        raise ConfigError(f"--mode must be paper or reference, not {mode!r}")
    if sort_by not in SORT_KEYS:
        raise ConfigError(f"--sort-by must be one of recall, precision, f1, ap, not {sort_by!r}")
    printer = ProblemPrinter(inputs.encoding_errors)
    with printer:
        report = run.analyze(
            paths,
            model=model,
            mode=mode,
            max_model_items=max_model_items or None,
            strict=inputs.strict,
            # The intervals are shown by the per-domain table and saved in JSON and CSV; the main table has none,
            # and on large runs the bootstrap is a fifth of the time.
            n_resamples=bootstrap if (by_domain or json_path or csv_path) else 0,
            seed=seed,
            on_problem=printer,
        )
    printer.finish()
    invalid = report.invalid_labels_line()
    if invalid:
        say(f"{invalid} (listed above with their lines)")
    results = report.sorted(sort_by)
    if not any(r.valid for r in results):
        raise fail("nothing could be analyzed: no row produced a valid score")
    print_analyze_tables(console, results, mode=mode, by_domain=by_domain)
    rows = analyze_rows(results) if (json_path or csv_path) else []
    if json_path:
        from ..io import write_json

        write_json(json_path, rows)
        say(f"wrote {json_path}")
    if csv_path:
        from ..io import write_csv
        from ..report.terminal import ANALYZE_CSV_COLUMNS

        write_csv(csv_path, rows, ANALYZE_CSV_COLUMNS)
        say(f"wrote {csv_path}")
