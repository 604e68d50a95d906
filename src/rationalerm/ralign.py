"""Moved to :mod:`rationalerm.stats.ralign`: shim removed at the end."""

from .stats.ralign import *  # noqa: F403  # moved: shim removed at the end
