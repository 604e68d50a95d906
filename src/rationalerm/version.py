"""The version of the installed rationalerm, for ``--version`` and the provenance written into run outputs.

``__version__`` is read from the package metadata the first time it is asked for (PEP 562) and kept:
importlib.metadata costs ~30 ms to import, so a command that never shows the version never pays it. A source tree
that is not installed reports ``0.0.0+unknown``. This module imports nothing from rationalerm (bottom layer), so any
module may take the version from here instead of from the package's ``__init__``, which re-exports it.
"""

from __future__ import annotations

from typing import Any

UNKNOWN = "0.0.0+unknown"
__version__: str  # set by __getattr__ below on first use


def read_version() -> str:
    """The installed distribution's version, or ``0.0.0+unknown`` when running from a source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rationalerm")
    except PackageNotFoundError:
        return UNKNOWN


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value = globals()[name] = read_version()  # later lookups find it directly
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["__version__", "read_version"]
