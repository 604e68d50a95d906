"""Moved: ``rationalerm.workflows.train`` is now :mod:`rationalerm.runs.train` (issue 18). This shim makes the old path
the same module object, so old imports (and monkeypatches) keep working; it is removed at the end of issue 18."""

import sys

from ..runs import train

sys.modules[__name__] = train
