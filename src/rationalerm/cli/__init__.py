"""The ``rationalerm`` command line: one Typer app, each command a thin wrapper over a function a user can import.

Layout: :mod:`.app` holds the root group, ``--version`` and the one mapping of errors to messages and exit codes;
:mod:`.options` the options several commands share, each defined once; :mod:`.console` what commands print;
:mod:`.jobs` the runner of resumable judge-server jobs; one module per command (``bench`` holds its two
subcommands). Importing this package registers every command on :data:`app`.

Start-up stays cheap: these modules import only Typer, rich and the standard library at their top (Typer reads
every command's signature for ``--help``); each command imports what it needs when it runs.
"""

from .app import app, main
from .console import ProblemPrinter, console, err_console, fail, say, warn

# Registering the commands on `app`, in the order --help lists them.
# isort: off
from . import analyze  # noqa: F401
from . import agree, audit_reward, bench, calibrate, decompose, evaluate, generate, judge, golden, metarm  # noqa: F401
from . import report, prepare_rl, serve_reward, train, tag  # noqa: F401

# isort: on

__all__ = ["ProblemPrinter", "app", "console", "err_console", "fail", "main", "say", "warn"]
