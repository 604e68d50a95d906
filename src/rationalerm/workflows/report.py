"""Moved to :mod:`rationalerm.report` (collect, html, sections, build): shim removed at the end."""

from ..report import *  # noqa: F403  # moved: shim removed at the end
from ..report import __all__ as __all__
from ..report.html import Safe, esc, figure, fill_template, load_template, section, table  # noqa: F401  # moved
