"""Moved: ``rationalerm.workflows.judge`` is now :mod:`rationalerm.runs.judge` (issue 18). This shim makes the old path
the same module object, so old imports (and monkeypatches) keep working; it is removed at the end of issue 18."""

import sys

from ..runs import judge

sys.modules[__name__] = judge
