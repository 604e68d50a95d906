"""Parsing a tagging answer (``rationalerm tag``, method.md section 9): one ``S<j>: <category> | <flaws>`` line per
reason inside the last result block, every category and flaw from the fixed vocabulary below. Never raises on
text: :func:`parse_tags` returns the tags or a :class:`ParseFailure` with a stable reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .common import NOT_TEXT, ParseFailure, find_result_block
from .metajudge import NO_RESULT_BLOCK

CATEGORIES = ("evidence_grounded", "criterion_grounded", "generic_style")
FLAWS = (
    "style_only",
    "generic_correctness",
    "generic_relevance",
    "single_sided_praise",
    "unfalsifiable",
    "non_sequitur",
    "contradiction",
)
# Parse failure reasons (stable strings, counted in summaries).
NO_TAG_LINES = "no_tag_lines"
ITEM_INDEX_OUT_OF_RANGE = "item_index_out_of_range"
DUPLICATE_ITEM = "duplicate_item"
MISSING_ITEM = "missing_item"
UNKNOWN_CATEGORY = "unknown_category"
UNKNOWN_FLAW = "unknown_flaw"
MISSING_FLAWS = "missing_flaws"


@dataclass(frozen=True, slots=True)
class ItemTags:
    """The tags of one reason: its category and its flaws (in :data:`FLAWS` order, no repeats)."""

    category: str
    flaws: tuple[str, ...] = ()

    def labels(self) -> frozenset[str]:
        """The category and every flaw, the label set :func:`rationalerm.stats.paired.label_rates` counts."""
        return frozenset((self.category, *self.flaws))


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


_CATEGORY_ALIASES: dict[str, str] = {
    **{name: name for name in CATEGORIES},
    "eg": "evidence_grounded",
    "evidence": "evidence_grounded",
    "evidencegrounded": "evidence_grounded",
    "cg": "criterion_grounded",
    "criterion": "criterion_grounded",
    "criteria_grounded": "criterion_grounded",
    "criterion_based": "criterion_grounded",
    "gs": "generic_style",
    "generic": "generic_style",
    "style": "generic_style",
    "generic_or_style": "generic_style",
}
_FLAW_ALIASES: dict[str, str] = {
    **{name: name for name in FLAWS},
    **{f"f{i}": name for i, name in enumerate(FLAWS, start=1)},
    "single_sided": "single_sided_praise",
    "one_sided_praise": "single_sided_praise",
    "nonsequitur": "non_sequitur",
    "contradictory": "contradiction",
}
_NO_FLAW = {"", "none", "no", "no_flaws", "no_flaw", "n_a", "na", "nil"}

_TAG_LINE_RE = re.compile(
    r"""^[ \t>]*(?:[-*+•·]|\d+[.)])?[ \t]*[*_`]*[ \t]*
        S[ \t]*(?P<index>\d+)[ \t]*[*_`]*[ \t]*[:=.)][ \t]*(?P<rest>.*?)[ \t]*$""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_FIELD_LABEL_RE = re.compile(r"\b(?:category|flaws?|tags?)\s*[:=]", re.IGNORECASE)


def _parse_line(rest: str) -> ItemTags | ParseFailure:
    text = _FIELD_LABEL_RE.sub(" ", rest.replace("*", "").replace("`", ""))
    parts = re.split(r"[|;]", text, maxsplit=1)
    if len(parts) < 2:
        return ParseFailure(MISSING_FLAWS, f"{rest.strip()!r}: expected '<category> | <flaws or none>'")
    category = _CATEGORY_ALIASES.get(_key(parts[0]))
    if category is None:
        return ParseFailure(UNKNOWN_CATEGORY, f"{parts[0].strip()!r} is not one of {', '.join(CATEGORIES)}")
    found: set[str] = set()
    for raw in re.split(r"[,/]", parts[1]):
        key = _key(raw)
        if key in _NO_FLAW:
            continue
        flaw = _FLAW_ALIASES.get(key)
        if flaw is None:
            return ParseFailure(UNKNOWN_FLAW, f"{raw.strip()!r} is not one of {', '.join(FLAWS)}")
        found.add(flaw)
    return ItemTags(category, tuple(f for f in FLAWS if f in found))


def parse_tags(text: object, n_items: int) -> list[ItemTags] | ParseFailure:
    """Parse and validate a tagging answer for ``n_items`` reasons. Never raises on text.

    Valid means exactly one ``S<j>: <category> | <flaws>`` line per reason (S1..Sn each once) inside the last
    result block, every category and flaw known (common spellings accepted: hyphens, spaces, EG/CG/GS, F1-F7),
    and the flaw part present (``none`` when there is no flaw).
    """
    if not isinstance(text, str):
        return ParseFailure(NOT_TEXT, f"expected text, got {type(text).__name__}")
    block = find_result_block(text)
    if block is None:
        return ParseFailure(NO_RESULT_BLOCK, "no <RESULT_START> ... <RESULT_END> block")
    lines = [(int(m.group("index")), m.group("rest")) for m in _TAG_LINE_RE.finditer(block)]
    if not lines:
        return ParseFailure(NO_TAG_LINES, "the result block has no 'S<j>: <category> | <flaws>' line")
    seen: dict[int, ItemTags] = {}
    for index, rest in lines:
        if not 1 <= index <= n_items:
            return ParseFailure(ITEM_INDEX_OUT_OF_RANGE, f"S{index}: the list has {n_items} reasons")
        parsed = _parse_line(rest)
        if isinstance(parsed, ParseFailure):
            return ParseFailure(parsed.reason, f"S{index}: {parsed.detail}")
        if index in seen and seen[index] != parsed:
            return ParseFailure(DUPLICATE_ITEM, f"S{index} has more than one line")
        seen[index] = parsed
    missing = [i for i in range(1, n_items + 1) if i not in seen]
    if missing:
        listed = ", ".join(f"S{i}" for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
        return ParseFailure(MISSING_ITEM, f"no line for {listed}")
    return [seen[i] for i in range(1, n_items + 1)]


__all__ = [
    "CATEGORIES",
    "DUPLICATE_ITEM",
    "FLAWS",
    "ITEM_INDEX_OUT_OF_RANGE",
    "MISSING_FLAWS",
    "MISSING_ITEM",
    "NO_TAG_LINES",
    "UNKNOWN_CATEGORY",
    "UNKNOWN_FLAW",
    "ItemTags",
    "parse_tags",
]
