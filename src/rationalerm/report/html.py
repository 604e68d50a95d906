"""HTML primitives of the report: escaping, number formats, tables, figures, sections and the page template.

Every string that came from a file (model names, reasons, paths) is escaped by :func:`esc`; markup built here is a
:class:`Safe` string, the only kind :func:`fill_template` accepts. Figures are inline base64 PNG data URIs, so the
page has no external resource.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence


class Safe(str):
    """Markup that is already HTML; everything else is escaped by :func:`esc`."""

    __slots__ = ()


def esc(value: object) -> Safe:
    """``value`` as escaped text (``None`` as the empty string); :class:`Safe` markup passes unchanged."""
    if isinstance(value, Safe):
        return value
    return Safe(html.escape("" if value is None else str(value), quote=True))


def num(value: object, digits: int = 3) -> str:
    """A number with ``digits`` decimals; a dash for anything that is not a number."""
    return "–" if not isinstance(value, int | float) or isinstance(value, bool) else f"{value:.{digits}f}"


def interval(ci: Sequence[float] | None, digits: int = 3) -> str:
    """``[lo, hi]`` with ``digits`` decimals; a dash when there is no interval."""
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci and None not in ci else "–"


def p_value(value: float | None) -> str:
    """A p-value with 3 decimals, ``< 0.001`` below that; a dash when there is none."""
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, numeric_from: int = 1, cls: str = ""
) -> Safe:
    """An HTML table; cells are escaped unless :class:`Safe`. Columns from ``numeric_from`` on are right-aligned."""
    head = "".join(
        f"<th{' class=num' if i >= numeric_from else ''}>{esc(h)}</th>" for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f"<td{' class=num' if i >= numeric_from else ''}>{esc(c)}</td>" for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    klass = f' class="{esc(cls)}"' if cls else ""
    return Safe(
        f'<div class="scroll"><table{klass}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure(png: bytes, alt: str, caption: str, filename: str) -> Safe:
    data = base64.b64encode(png).decode("ascii")
    return Safe(
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)} <span class=file>({esc(filename)})</span></figcaption></figure>"
    )


def section(anchor: str, title: str, intro: str, body: Iterable[str]) -> Safe:
    return Safe(
        f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2><p class="intro">{esc(intro)}</p>{"".join(body)}</section>'
    )


_PLACEHOLDER_RE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def load_template() -> str:
    """The page skeleton and its styles, shipped as ``rationalerm/templates/report.html``."""
    from importlib import resources

    return resources.files("rationalerm").joinpath("templates", "report.html").read_text(encoding="utf-8")


def fill_template(template: str, **values: Safe) -> str:
    """Fill every ``{{name}}`` in one pass, so text inside a value is never read as a placeholder. Values must be
    :class:`Safe` (escaped or built from escaped parts); an unknown placeholder is a ``KeyError``."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the report template has an unknown placeholder {{{{{name}}}}}")
        return values[name]

    return _PLACEHOLDER_RE.sub(fill, template)
