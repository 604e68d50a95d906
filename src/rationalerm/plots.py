"""Moved to :mod:`rationalerm.report.plots`: shim removed at the end."""

from .report.plots import scatter_accuracy_consistency  # noqa: F401  # moved: shim removed at the end
