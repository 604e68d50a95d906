"""Moved to :mod:`rationalerm.stats.paired`: shim removed at the end."""

from .stats.paired import *  # noqa: F403  # moved: shim removed at the end
