"""Moved to :mod:`rationalerm.report.plots`: shim removed at the end."""

from .report.plots import *  # noqa: F403  # moved: shim removed at the end
