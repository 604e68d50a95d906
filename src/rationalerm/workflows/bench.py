"""Moved: ``rationalerm.workflows.bench`` is now :mod:`rationalerm.runs.bench` (issue 18). This shim makes the old path
the same module object, so old imports (and monkeypatches) keep working; it is removed at the end of issue 18."""

import sys

from ..runs import bench

sys.modules[__name__] = bench
