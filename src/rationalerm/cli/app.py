"""The root ``rationalerm`` command group: the Typer app, ``--version``, and the one mapping of errors to messages
and exit codes.

Every command ends through :class:`_Group`: an exception of :mod:`rationalerm.errors` (or a missing optional
dependency, or a bad value under the standard library's ``ValueError`` contract) becomes one plain-text line
``error: <message>`` on stderr and the exit code of :data:`EXIT_CODES`, without a traceback; the message is printed
exactly as raised (never read as rich markup: it quotes paths, rows and server replies). Works for ``main()`` and
for ``app`` invoked directly (CliRunner). Start-up stays cheap: this module imports only Typer, rich and the
standard library.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ..errors import ConfigError, InputError, JudgeError, RationaleRMError
from .console import console, fail

# The first class an error is an instance of gives its exit code (InputError and ConfigError are ValueErrors too,
# so they come before ValueError). 1: the input or the judge server cannot serve the run; 2: the command was
# given settings that cannot work, or lacks an optional dependency (the message names the extra to install).
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (InputError, 1),  # also RecordError: a file, line and field that cannot be used
    (ConfigError, 2),
    (JudgeError, 1),  # JudgeRefusedError, JudgeUnavailableError
    (RationaleRMError, 1),
    (ImportError, 2),
    (ValueError, 2),
)


def exit_code(exc: BaseException) -> int:
    """The exit code a command ends with on ``exc``, one of the classes :class:`_Group` maps."""
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))


class _Group(TyperGroup):
    """The root command group; maps the errors of every command, subcommand groups included."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        # any other exception is a bug, and keeps its traceback
        except (RationaleRMError, ImportError, ValueError) as exc:
            raise fail(str(exc), exit_code(exc)) from None


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


def _version_callback(value: bool) -> None:
    if value:
        from ..version import __version__  # read from the package metadata only when asked for

        console.print(f"rationalerm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Rationale consistency (MetaJudge) for reward models and LLM judges."""


def main() -> None:
    """Run the command line (the ``rationalerm`` entry point)."""
    app()
