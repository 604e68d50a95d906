"""Running a resumable job against the judge server from the command line, and printing what it did.

:func:`run_job` is the one place a command opens the judge pool, shows progress, reports bad input rows and turns
Ctrl-C into exit 130 with the hint to rerun (the output is resumable); every other error reaches the mapping of
:mod:`rationalerm.cli.app`. :class:`FileJob` is the option group of the commands that run a resumable job of
:mod:`rationalerm.runs` over an input file (judge, generate, decompose, golden, metarm, tag) and runs it.
:func:`print_run_summary` prints the counts of a run and exits 1 when nothing at all succeeded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.text import Text

from .console import ProblemPrinter, err_console, fail, print_pairs, progress_bar, say, warn
from .options import InputPolicy, Judge, Resume, shown

# the counts beside the progress bar (``detailed`` runs also show the rate, the time left and the retries)
_COUNTS = "[green]{task.fields[ok]} ok[/green] [red]{task.fields[failed]} failed[/red]"
_RETRIES = " [yellow]{task.fields[retries]} retries[/yellow]"


def run_job(
    work: Callable[..., Awaitable[Any]],
    *,
    label: str,
    judge: Judge,
    target: Path,
    inputs: InputPolicy | None = None,
    status: str | None = None,
    detailed: bool = False,
    **pool_settings: Any,
) -> Any:
    """Open the pool, run ``await work(pool, on_start=..., on_result=..., on_problem=...)`` under a progress bar
    (or, without the first two, under the spinner ``status``), and return its summary. ``pool_settings`` go to the
    pool."""
    from ..aio import run as aio_run

    judge.urls()  # no server, or a concurrency that cannot work: stop before anything is read
    printer = ProblemPrinter(inputs.encoding_errors if inputs else None)
    progress = progress_bar(
        label, rate=detailed, eta=detailed, counts=_COUNTS + (_RETRIES if detailed else "")
    )
    task = None
    counts = {"ok": 0, "failed": 0, "now": 0}

    async def run() -> Any:
        async with judge.open_pool(**pool_settings) as pool:

            def on_start(total: int, already: int) -> None:
                nonlocal task
                counts["ok"] = already
                task = progress.add_task(
                    label, total=total, completed=already, ok=already, failed=0, rate="", retries=0
                )

            def on_result(outcome: Any) -> None:
                counts["ok" if outcome.ok else "failed"] += 1
                counts["now"] += 1
                if task is None:
                    return
                elapsed = progress.tasks[task].elapsed or 0.0
                rate = f"{counts['now'] / elapsed:.1f}/s" if elapsed > 0 else ""
                retries = sum(pool.stats.retries.values()) + pool.stats.format_retries
                progress.update(
                    task, advance=1, ok=counts["ok"], failed=counts["failed"], rate=rate, retries=retries
                )

            if status:
                with err_console.status(Text(status)):
                    return await work(pool, on_problem=printer)
            with progress:
                return await work(pool, on_start=on_start, on_result=on_result, on_problem=printer)

    try:
        with printer:
            summary = aio_run(run())
    except KeyboardInterrupt:
        err_console.print(f"interrupted; rerun the same command to resume from {target}", highlight=False)
        raise typer.Exit(130) from None
    printer.finish()
    return summary


@dataclass(frozen=True)
class FileJob:
    """The options of a resumable job on the judge server: the judge, the output file, the input policy. Build
    one for a command with :meth:`shown`; run the job with :meth:`run`."""

    judge: Judge = field(default_factory=Judge)
    resume: Resume = field(default_factory=Resume)
    inputs: InputPolicy = field(default_factory=InputPolicy)

    @classmethod
    def shown(
        cls, judge: Judge, judge_model: str, *, judge_help: dict[str, str] | None = None, **groups: Any
    ) -> Any:
        """A command's groups: ``judge`` with ``judge_model`` as the help of --judge-model (and ``judge_help`` for
        others), and the ``resume`` and ``inputs`` groups (or those given, :func:`shown` of them)."""
        return cls(shown(judge, help={"judge_model": judge_model, **(judge_help or {})}), **groups)

    def target(self, default: Path) -> Path:
        """The output file: ``--output``, else ``default``."""
        return self.resume.output or default

    def run(
        self,
        run: Callable[..., Awaitable[Any]],
        source: Path,
        target: Path,
        *,
        label: str,
        using: Callable[[Any], dict[str, Any]] | None = None,
        status: str | None = None,
        detailed: bool = False,
        pool_settings: dict[str, Any] | None = None,
        **keywords: Any,
    ) -> Any:
        """:func:`run_job` of ``await run(source, target, pool=..., resume=..., strict=..., dedupe=..., **keywords)``
        (the resumable runs of :mod:`rationalerm.runs`); ``using(pool)`` gives what ``run`` takes in place of the
        pool (``{"matcher": ...}``). Returns the run's summary."""
        policy = {
            "resume": not self.resume.restart,
            "strict": self.inputs.strict,
            "dedupe": self.inputs.dedupe,
        }

        async def work(pool: Any, **callbacks: Any) -> Any:
            given = using(pool) if using else {"pool": pool}
            return await run(source, target, **policy, **given, **keywords, **callbacks)

        options = {"status": status, "detailed": detailed, **(pool_settings or {})}
        return run_job(work, label=label, judge=self.judge, target=target, inputs=self.inputs, **options)


def count_rows(summary: Any, names: tuple[str, str, str], processed: int) -> list[tuple[Any, str]]:
    """The first rows of a run's table: rows, resumed, processed now, ok, parse failed, error, failure reasons."""
    rows = [
        (names[0], summary.total),
        (names[1], summary.already_ok),
        (names[2], processed),
        ("ok", summary.ok),
    ]
    rows += [("parse failed", summary.parse_failed), ("error", summary.error)]
    rows += [(f"  {reason}", count) for reason, count in summary.reasons.most_common()]
    return [(name, str(value)) for name, value in rows]


def print_run_summary(summary: Any, title: str) -> None:
    """The counts of a run as a table, and a non-zero exit when nothing at all succeeded."""
    rows = count_rows(summary, ("rows", "already ok (resumed)", "processed now"), summary.processed)
    rows += [(Text(tag, style="dim"), str(count)) for tag, count in sorted(summary.tags.items())]
    rows += [("prompt tokens", f"{summary.usage.prompt_tokens:,}")]
    rows += [
        ("completion tokens", f"{summary.usage.completion_tokens:,}"),
        ("cache hits", str(summary.cached)),
    ]
    print_pairs(title, [*rows, ("wall time", f"{summary.wall_s:.1f} s")])
    say(f"wrote {summary.output}")
    if summary.ok + summary.already_ok == 0:
        raise fail("no row succeeded" if summary.total else "no usable row in the input")
    if summary.failed:
        warn(f"{summary.failed} rows failed; rerun the same command to retry them")
