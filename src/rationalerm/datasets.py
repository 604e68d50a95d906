"""Moved to :mod:`rationalerm.data` (rows, hub, helpsteer3, judgebench, rmbench): shim removed at the end."""

from .data import *  # noqa: F403  # moved: shim removed at the end
from .data import __all__ as __all__
from .data.hub import data_files_in, hub_cache_dir, split_suffix  # noqa: F401  # moved: shim removed at the end
