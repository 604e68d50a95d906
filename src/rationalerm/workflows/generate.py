"""Moved: ``rationalerm.workflows.generate`` is now :mod:`rationalerm.runs.generate` (issue 18). This shim makes the old path
the same module object, so old imports (and monkeypatches) keep working; it is removed at the end of issue 18."""

import sys

from ..runs import generate

sys.modules[__name__] = generate
