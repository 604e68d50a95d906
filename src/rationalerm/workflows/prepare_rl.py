"""Moved: ``rationalerm.workflows.prepare_rl`` is now :mod:`rationalerm.runs.prepare_rl` (issue 18). This shim makes the old path
the same module object, so old imports (and monkeypatches) keep working; it is removed at the end of issue 18."""

import sys

from ..runs import prepare_rl

sys.modules[__name__] = prepare_rl
