"""The ``rationalerm`` command line: one Typer app, each command a thin wrapper over an importable function.

Start-up stays cheap: this module and the command modules import only Typer, rich and the standard library at their
top (Typer reads every command's signature for ``--help``); each command imports what it needs when it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from .errors import JudgeError

if TYPE_CHECKING:
    from .io import RowProblem


class _Group(TyperGroup):
    """The root command group: a :class:`~rationalerm.errors.JudgeError` from any command (the judge server
    refuses the API key or the model, or cannot serve the run) ends it with ``error: <message>`` on stderr and
    exit code 1, without a traceback. Works for ``main()`` and for ``app`` invoked directly (CliRunner)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except JudgeError as exc:
            raise fail(str(exc)) from None


app = typer.Typer(
    cls=_Group,
    name="rationalerm",
    help="Is your judge right for the right reasons? Rationale consistency beside outcome accuracy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts print as written: "[llm]" or "rationalerm[hub]" in a help text is text, not rich markup that
    # would be swallowed (typer's plain formatter; rich still prints everything the commands print).
    rich_markup_mode=None,
)
# Piped output gets a wide fixed width instead of rich's 80 columns, so tables are not cut in logs and files.
# Neither console reads markup or emoji codes in what it prints: ids, labels, paths, model names, install hints
# ("pip install 'rationalerm[hub]'") and server replies print exactly as given. Styles are set with rich.text.Text
# or ``style=``, never with "[...]" tags inside a string.
console = Console(width=None if sys.stdout.isatty() else 140, markup=False, emoji=False)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 140, markup=False, emoji=False)

MAX_PROBLEMS_SHOWN = 20


def _version_callback(value: bool) -> None:
    if value:
        from . import __version__  # read from the package metadata only when asked for

        console.print(f"rationalerm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Rationale consistency (MetaJudge) for reward models and LLM judges."""


# Input options several commands share (see rationalerm.io: the one input policy).
EncodingErrorsOpt = Annotated[
    str,
    typer.Option(
        "--encoding-errors",
        help="A line that is not valid UTF-8: strict (an error naming the line) or replace (read with U+FFFD in "
        "place of the bad bytes, and reported).",
    ),
]
DedupeOpt = Annotated[
    str,
    typer.Option(
        "--dedupe",
        help="Rows sharing an id: error (name both lines and stop), first or last (use that row, report the others).",
    ),
]


def check_input_options(encoding_errors: str = "strict", dedupe: str = "error") -> None:
    """Exit 2 for a value of --encoding-errors or --dedupe that does not exist."""
    from .io import DEDUPE_MODES, ENCODING_ERRORS

    if encoding_errors not in ENCODING_ERRORS:
        raise fail(f"--encoding-errors must be strict or replace, not {encoding_errors!r}", 2)
    if dedupe not in DEDUPE_MODES:
        raise fail(f"--dedupe must be error, first or last, not {dedupe!r}", 2)


class ProblemPrinter:
    """Prints the first bad rows (and notes: rows read with replaced bytes, duplicates left out, rows kept but left
    out of a figure) as they are found and a count of the rest at the end. Use it as a context manager to have the
    rows :mod:`rationalerm.io` reads with ``--encoding-errors replace`` reported through it."""

    def __init__(self, encoding_errors: str | None = None) -> None:
        self.count = 0
        self.notes = 0
        self._encoding_errors = encoding_errors
        self._policy: Any = None

    def __call__(self, problem: RowProblem) -> None:
        if problem.is_note:
            self.notes += 1
        else:
            self.count += 1
        if self.count + self.notes <= MAX_PROBLEMS_SHOWN:
            err_console.print(
                Text.assemble((problem.action, "yellow"), " ", str(problem)), highlight=False, soft_wrap=True
            )

    def __enter__(self) -> ProblemPrinter:
        from .io import encoding_policy

        self._policy = encoding_policy(self._encoding_errors, on_replaced=self)
        self._policy.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._policy.__exit__(*exc)

    def finish(self) -> None:
        hidden = self.count + self.notes - MAX_PROBLEMS_SHOWN
        if hidden > 0:
            warn(f"... and {hidden} more reported rows ({self.count} bad rows, {self.notes} notes in all)")


def warn(message: str, *, label: str | None = None, err: bool = True) -> None:
    """A yellow message on stderr (stdout with ``err=False``; ``label`` alone in yellow when given), printed as
    plain text."""
    text = Text.assemble((label, "yellow"), " ", message) if label else Text(message, style="yellow")
    (err_console if err else console).print(text, highlight=False, soft_wrap=True)


def say(message: str) -> None:
    """A message on stdout, printed as plain text (paths and names as given, never wrapped mid-path)."""
    console.print(message, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: <message>`` on stderr and return the Exit to raise. The message is printed as plain text,
    never parsed as rich markup: it often quotes file paths, row contents or a server's reply."""
    err_console.print(Text.assemble(("error:", "red"), " ", message), highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.command()
def analyze(
    paths: Annotated[list[Path], typer.Argument(help="MetaJudge output files, or folders of *.jsonl files.")],
    model: Annotated[
        str | None, typer.Option("--model", help="The judged model (default: found in each file).")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="paper (one-to-one, paper AP) or reference.")] = "paper",
    sort_by: Annotated[str, typer.Option("--sort-by", help="recall, precision, f1 or ap.")] = "recall",
    by_domain: Annotated[bool, typer.Option("--by-domain", help="Also print a per-domain table.")] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON.")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the results as CSV.")] = None,
    max_model_items: Annotated[
        int, typer.Option("--max-model-items", help="Model reasons considered in paper mode (0 = all).")
    ] = 5,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad row.")] = False,
    encoding_errors: EncodingErrorsOpt = "strict",
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap",
            help="Bootstrap resamples for the 95% CIs (computed when --by-domain, --json or --csv shows them).",
        ),
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
) -> None:
    """Score MetaJudge answers: precision, recall (rationale consistency), F1 and AP per model."""
    from .io import InputError
    from .report import analyze_rows, print_analyze_tables
    from .workflows.analyze import SORT_KEYS
    from .workflows.analyze import analyze as run_analyze

    if mode not in ("paper", "reference"):
        raise fail(f"--mode must be paper or reference, not {mode!r}", 2)
    if sort_by not in SORT_KEYS:
        raise fail(f"--sort-by must be one of recall, precision, f1, ap, not {sort_by!r}", 2)
    check_input_options(encoding_errors)
    printer = ProblemPrinter(encoding_errors)
    try:
        with printer:
            report = run_analyze(
                paths,
                model=model,
                mode=mode,
                max_model_items=max_model_items or None,
                strict=strict,
                # The intervals are shown by the per-domain table and saved in JSON and CSV; the main table has none,
                # and on large runs the bootstrap is a fifth of the time.
                n_resamples=bootstrap if (by_domain or json_path or csv_path) else 0,
                seed=seed,
                on_problem=printer,
            )
    except InputError as exc:
        raise fail(str(exc)) from None
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
        from .io import write_json

        write_json(json_path, rows)
        say(f"wrote {json_path}")
    if csv_path:
        from .io import write_csv
        from .report import ANALYZE_CSV_COLUMNS

        write_csv(csv_path, rows, ANALYZE_CSV_COLUMNS)
        say(f"wrote {csv_path}")


def main() -> None:
    app()


# The other commands live in rationalerm.commands and register themselves on `app` (import after `app` exists).
from . import commands  # noqa: E402, F401

if __name__ == "__main__":
    # `python -m rationalerm.cli`: this file runs as __main__, but the commands registered on the app of the
    # module `rationalerm.cli`, so run that one.
    from rationalerm.cli import main as run_main

    run_main()
