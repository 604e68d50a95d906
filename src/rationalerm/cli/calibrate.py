"""``calibrate``: fit the offline matcher to your own LLM MetaJudge runs, so later checkpoints are evaluated offline
in your judge's style.

A thin wrapper over :func:`rationalerm.matchers.training.read_runs` and
:func:`~rationalerm.matchers.training.calibrate`: the judge's matchings are the labels; a fixed hash split of the
sample ids keeps part of them out of the fit, and the agreement with the judge on that part is printed beside the
packaged matcher's. The fitted file is versioned; ``--matcher local --calibration FILE`` uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .console import console, fail, say


@app.command()
def calibrate(
    runs: Annotated[
        list[Path],
        typer.Argument(
            metavar="RUN...",
            help="Output files of `rationalerm judge` (or folders holding them): the judge's matchings are the labels.",
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the fitted matcher (JSON).")
    ] = Path("local-matcher-calibration.json"),
    model: Annotated[
        str | None,
        typer.Option("--model", help="The judged model, for run files without the rationalerm block."),
    ] = None,
    test_share: Annotated[
        float, typer.Option("--test-share", help="Share of samples held out to measure agreement.")
    ] = 0.3,
) -> None:
    """Fit the local matcher to an LLM judge's matchings and print its held-out agreement with that judge."""
    from rich.table import Table
    from rich.text import Text

    from ..io import write_json
    from ..matchers.training import GOALS, read_runs
    from ..matchers.training import calibrate as fit

    if not 0 < test_share < 1:
        raise fail("--test-share must be between 0 and 1", 2)
    try:
        found = read_runs(runs, model)
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from None
    for line in found.skipped:
        console.print(Text(f"left out: {line}"), highlight=False)
    if found.skipped:
        say(f"{len(found.skipped)} judged rows left out (listed above); {len(found.units)} used")
    try:
        from ..matchers.local import LocalMatcher

        result = fit(found, matcher=LocalMatcher(threads=2), test_share=test_share)
    except ImportError as exc:
        raise fail(str(exc), 2) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    write_json(output, result.scorer.as_dict())

    table = Table(
        title=Text(
            f"Agreement with the judge on {result.test_units} held-out judged lists "
            f"(fitted on {result.train_units})"
        ),
        title_justify="left",
    )
    table.add_column("figure")
    table.add_column("packaged matcher", justify="right")
    table.add_column("calibrated", justify="right")
    table.add_column("goal", justify="right")
    for name, (op, goal) in GOALS.items():
        before, after = result.packaged_heldout.get(name), result.heldout.get(name)
        table.add_row(
            Text(name),
            "n/a" if before is None or before != before else f"{before:.3f}",
            "n/a" if after is None or after != after else f"{after:.3f}",
            f"{op} {goal}",
        )
    console.print(table)
    say(f"wrote {output}; use it with --matcher local --calibration {output}")
