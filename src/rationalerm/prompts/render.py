"""Rendering the MetaJudge prompt, with list items that cannot change the prompt's structure.

Checklist items are model output and user data. Rendered naively, an item with a newline, a result tag, a line like
``R1@S2: 1`` or its own ``3.`` numbering could forge list entries or a result block, and shift the judge's indices.
:func:`sanitize_item` makes every item exactly one inert line; :func:`render_metajudge` fills the template in a
single pass, so text inside an item is never itself treated as a placeholder.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..text import normalise

if TYPE_CHECKING:
    from . import Prompt

EMPTY_ITEM = "(empty)"

# Every character that some renderer or tokenizer treats as a line break, plus other control characters.
_LINE_BREAKS_RE = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f]")
_SPACES_RE = re.compile(r"[ \t\u00a0]+")
# Result tags in the spellings the parser accepts: <RESULT_START>, [RESULT END], </result_start> ...
_TAG_RE = re.compile(r"[<\[]\s*/?\s*RESULT[\s_]*(?:START|END)\s*[>\]]", re.IGNORECASE)
# R1@S2 (any spacing or case), the shape of a score line.
_SCORE_REF_RE = re.compile(r"\b([RS])\s*(\d+)\s*@\s*([RS])\s*(\d+)", re.IGNORECASE)
# A leading list marker: "3.", "3)", "R3.", "S3:", "- ", "* ", "#", ">" (repeated or combined).
_LEADING_MARKER_RE = re.compile(r"^(?:\s*(?:[-*+•·>#]+|\(?[RS]?\d+[.):\]]|\[[RS]?\d+\]))\s*", re.IGNORECASE)
_PLACEHOLDER_RE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def sanitize_item(text: object) -> str:
    """One list item as a single line that cannot inject structure.

    The text is first put in :func:`rationalerm.text.normalise`'s form (NFKC, invisible characters removed). Line
    breaks become spaces; result tags are removed; ``R1@S2`` becomes ``R1-S2``; leading list markers (``3.``,
    ``S2:``, ``- ``, ``#``) are stripped so the renderer's own numbering is the only one. Meaning is kept: only
    markup that could be mistaken for the prompt's own structure changes.
    """
    return _sanitize(normalise(text if isinstance(text, str) else str(text)))


# Any character one of the replacements above could change (line breaks, controls, tabs, no-break spaces, "@"), or
# a run of spaces. An item with none of these and no result tag (most reasons) needs only the strip and the markers.
_NEEDS_REPLACING_RE = re.compile(r"[\x00-\x1f\x7f\x85\xa0\u2028\u2029@]|  ")


@functools.lru_cache(maxsize=1 << 16)
def _sanitize(value: str) -> str:
    # Cached: the same human list is rendered for every model and rollout judged against it.
    if _NEEDS_REPLACING_RE.search(value) is not None or (
        ("<" in value or "[" in value) and _TAG_RE.search(value) is not None
    ):
        value = _LINE_BREAKS_RE.sub(" ", value)
        value = _CONTROL_RE.sub("", value)
        value = _TAG_RE.sub(" ", value)
        value = _SCORE_REF_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}-{m.group(3)}{m.group(4)}", value)
        value = _SPACES_RE.sub(" ", value)
    value = value.strip()
    previous = None
    while previous != value:
        previous = value
        value = _LEADING_MARKER_RE.sub("", value, count=1).strip()
    return value or EMPTY_ITEM


def render_item_list(items: Sequence[object], prefix: str) -> str:
    """``R1. first``, ``R2. second`` ... one sanitized item per line (``prefix`` is ``R`` or ``S``)."""
    return "\n".join(f"{prefix}{index}. {sanitize_item(item)}" for index, item in enumerate(items, start=1))


def _human_block(human: Sequence[object]) -> str:
    items = tuple(human)
    if all(type(item) is str for item in items):  # text only: equal tuples render the same
        return _cached_human_block(items)
    return _cached_human_block.__wrapped__(items)


@functools.lru_cache(maxsize=4096)
def _cached_human_block(human: tuple[object, ...]) -> str:
    # Cached: every rollout of a prompt is judged against the same human list.
    return render_item_list(human, "R") or "(none)"


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """The filled template and the lists as sent. ``prefix`` is the part shared by every judged model list for the
    same human list (everything up to the model list), the part a server's prefix cache can reuse."""

    text: str
    prefix: str
    n_human: int
    n_model: int


def render_metajudge(prompt: Prompt, human: Sequence[object], model: Sequence[object]) -> RenderedPrompt:
    """Fill a MetaJudge template: fixed instructions, then the human list, then the model list last, so the K
    rollouts judged against one human list share a cacheable prefix on the server."""
    values = {
        "n_human": str(len(human)),
        "n_model": str(len(model)),
        "human_items": _human_block(human),
        "model_items": render_item_list(model, "S") or "(none)",
    }
    literals, names = _segments(prompt.text)
    parts = _fill_parts(literals, names, values, prompt.name)
    text = "".join(parts)
    if "model_items" in names:
        # parts alternate literal, value, literal, ...: everything before the first model list is the prefix
        prefix = "".join(parts[: 2 * names.index("model_items") + 1])
    else:
        prefix = text
    return RenderedPrompt(text=text, prefix=prefix, n_human=len(human), n_model=len(model))


def fill_template(template: str, values: Mapping[str, str], name: str = "template") -> str:
    """Replace every ``{{key}}`` in one pass, so text inside a value is never itself read as a placeholder. An
    unknown placeholder is a KeyError naming the template: a silent blank would change every answer untraceably."""
    literals, names = _segments(template)
    return "".join(_fill_parts(literals, names, values, name))


@functools.lru_cache(maxsize=256)
def _segments(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A template split once into its literal runs and the placeholder names between them
    (``len(literals) == len(names) + 1``): filling is then a join, not a regex pass per prompt."""
    literals: list[str] = []
    names: list[str] = []
    at = 0
    for match in _PLACEHOLDER_RE.finditer(template):
        literals.append(template[at : match.start()])
        names.append(match.group(1))
        at = match.end()
    literals.append(template[at:])
    return tuple(literals), tuple(names)


def _fill_parts(
    literals: Sequence[str], names: Sequence[str], values: Mapping[str, str], name: str
) -> list[str]:
    parts = [literals[0]]
    for key, literal in zip(names, literals[1:], strict=True):
        if key not in values:
            raise KeyError(f"prompt {name!r} has a placeholder {{{{{key}}}}} with no value")
        parts.append(values[key])
        parts.append(literal)
    return parts
