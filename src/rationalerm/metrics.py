"""Moved to :mod:`rationalerm.stats.consistency`: shim removed at the end."""

from .stats.consistency import *  # noqa: F403  # moved: shim removed at the end
