"""What the commands print: the two consoles, plain-text messages, and the reporter of bad input rows.

Piped output gets a wide fixed width instead of rich's 80 columns, so tables are not cut in logs and files. Neither
console reads markup or emoji codes in what it prints: ids, labels, paths, model names, install hints
("pip install 'rationalerm[hub]'") and server replies print exactly as given. Styles are set with rich.text.Text or
``style=``, never with "[...]" tags inside a string.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from ..io import RowProblem

console = Console(width=None if sys.stdout.isatty() else 140, markup=False, emoji=False)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 140, markup=False, emoji=False)

MAX_PROBLEMS_SHOWN = 20


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
        from ..io import encoding_policy

        self._policy = encoding_policy(self._encoding_errors, on_replaced=self)
        self._policy.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._policy.__exit__(*exc)

    def finish(self) -> None:
        hidden = self.count + self.notes - MAX_PROBLEMS_SHOWN
        if hidden > 0:
            warn(f"... and {hidden} more reported rows ({self.count} bad rows, {self.notes} notes in all)")


def print_pairs(title: str, rows: list[tuple[Any, str]]) -> None:
    """A two-column table of names and values (run counts), headers hidden."""
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def progress_bar(
    label: str, *, rate: bool = False, eta: bool = False, counts: str = "", transient: bool = False
) -> Any:
    """A progress bar on stderr: ``label``, the bar, done of total and the time taken; ``rate`` adds the items a
    second (the task field ``rate``), ``eta`` the time left, ``counts`` a text column of task fields."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[Any] = [TextColumn(f"[bold]{label}[/bold]"), BarColumn(), MofNCompleteColumn()]
    columns += [TextColumn("{task.fields[rate]}")] if rate else []
    columns += [TimeElapsedColumn()]
    columns += [TextColumn("eta"), TimeRemainingColumn()] if eta else []
    columns += [TextColumn(counts)] if counts else []
    return Progress(*columns, console=err_console, transient=transient)
