"""Parsers of GenRM-side model text: verdicts, reasons, decompositions of a human rationale and MetaRM verdicts.

They never raise on text: each returns a value or a :class:`~rationalerm.parse.common.ParseFailure` with a reason.
Only the visible part of an answer counts (hidden reasoning is stripped first).
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from ..records import Direction, parse_direction
from .common import ParseFailure, find_result_block, not_text, strip_hidden_reasoning

# --------------------------------------------------------------------------------------------------------------
# GenRM answers: hidden reasoning, verdicts and reasons.
#
# A GenRM writes free text; only the visible part counts (the R-Align MetaRM never sees a judge's chain of thought,
# and a verdict "considered" while thinking is not the verdict given). Verdicts come in many spellings: the 5-way
# RationaleRM box (``\boxed{A>>B}``, ``A»B``, ``A = B``), the 2-way R-Align box (``\boxed{A}``), LaTeX (``A \gg B``,
# ``\text{B}``), and, when the box is missing, a clear closing line such as ``Final verdict: [[A>B]]``.

GenRMStyle = Literal["rationalerm", "ralign"]
GENRM_STYLES: tuple[GenRMStyle, ...] = ("rationalerm", "ralign")

NO_VERDICT = "no_verdict"
UNREADABLE_VERDICT = "unreadable_verdict"
TIE_NOT_ALLOWED = "tie_not_allowed"
NO_REASONS = "no_reasons"
EMPTY_AFTER_REASONING = "empty_after_reasoning"
NO_CLAIMS_SECTION = "no_claims_section"
CLAIM_COUNT_MISMATCH = "claim_count_mismatch"
NO_METARM_VERDICT = "no_metarm_verdict"
UNKNOWN_METARM_VERDICT = "unknown_metarm_verdict"


# \boxed{...} with one level of nested braces (\boxed{\text{A}}); the backslash is often dropped.
_BOXED_RE = re.compile(r"\\?boxed\s*\{((?:[^{}]|\{[^{}]*\})*)\}", re.IGNORECASE)
_VERDICT_SYMBOLS = (
    (r"\gg", ">>"),
    (r"\ll", "<<"),
    (r"\succ", ">"),
    (r"\prec", "<"),
    (r"\geq", ">"),
    (r"\leq", "<"),
    (r"\gt", ">"),
    (r"\lt", "<"),
    ("&gt;", ">"),
    ("&lt;", "<"),
    ("≫", ">>"),
    ("≪", "<<"),
    ("＞", ">"),
    ("＜", "<"),
    ("＝", "="),
    ("≥", ">"),
    ("≤", "<"),
)
_LATEX_WRAPPER_RE = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox)\s*\{([^{}]*)\}")
_MARKUP_RE = re.compile(r"[*_`$\[\]{}()\"'“”‘’]")
# "A>B" style comparisons anywhere in a short fragment; letters must stand alone.
_COMPARISON_RE = re.compile(r"(?<![A-Za-z])([AB])\s*(>>|»|>|=|<<|«|<)\s*([AB])(?![A-Za-z])")
# A lone side at the start of a fragment: "A", "Response B", "Assistant A is better".
_LONE_SIDE_RE = re.compile(
    r"^(?:(?:response|assistant|answer|output|model)\s*)?([AB])(?![A-Za-z0-9])", re.IGNORECASE
)
_TIE_WORD_RE = re.compile(r"^(?:tie|equal|same|both equally good)\b", re.IGNORECASE)
# A closing verdict line: "Final verdict: A>B", "**Verdict:** [[B>A]]", "My final verdict is A=B".
_VERDICT_LINE_RE = re.compile(
    r"^[ \t>#*_-]*(?:my\s+)?(?:final\s+)?(?:verdict|assessment(?:\s+result)?|decision|judg(?:e)?ment|"
    r"preference|answer|result)[ \t*_]*(?:is)?[ \t*_]*[:：=-]?[ \t*_]*(?P<rest>.+)$",
    re.IGNORECASE | re.MULTILINE,
)


def _normalize_verdict(fragment: str) -> str:
    value = fragment
    for _ in range(2 if "\\" in value else 0):
        value = _LATEX_WRAPPER_RE.sub(r"\1", value)
    for symbol, replacement in _VERDICT_SYMBOLS:
        value = value.replace(symbol, replacement)
    value = _MARKUP_RE.sub(" ", value)
    return " ".join(value.split())


def _direction_of(fragment: str) -> Direction | None:
    """The direction a short verdict fragment states, or None when it states none clearly."""
    value = _normalize_verdict(fragment)
    if not value:
        return None
    comparisons = {parse_direction(f"{a}{op}{b}") for a, op, b in _COMPARISON_RE.findall(value)}
    comparisons.discard(None)
    if len(comparisons) == 1:
        return comparisons.pop()
    if len(comparisons) > 1:
        return None  # "A>B or B>A": not a verdict
    if _TIE_WORD_RE.match(value):
        return 0
    lone = _LONE_SIDE_RE.match(value)
    if lone is not None:
        return 1 if lone.group(1).upper() == "A" else 2
    return None


def parse_verdict(text: object, style: GenRMStyle = "rationalerm") -> Direction | ParseFailure:
    """The verdict of a GenRM answer as a direction: 1 (A, response 1), 2 (B, response 2) or 0 (tie).

    Hidden reasoning is stripped first. The last ``\\boxed{...}`` of the visible text decides (judges often quote
    the format before answering); every 5-way and 2-way spelling is read (``A>>B``, ``A»B``, ``A > B``, ``A=B``,
    ``B``, ``\\text{A}``, ``A \\gg B``). Without a box, the last clear verdict line (``Final verdict: A>B``) decides.
    In the ``ralign`` style ties are not allowed (its prompt forbids them and its reference parser reads only A or
    B), so a tie is a :class:`ParseFailure`.
    """
    if not isinstance(text, str):
        return not_text(text)
    visible = strip_hidden_reasoning(text)
    if not visible:
        return ParseFailure(EMPTY_AFTER_REASONING, "nothing is left once hidden reasoning is removed")
    boxes = _BOXED_RE.findall(visible)
    if boxes:
        direction = _direction_of(boxes[-1])
        if direction is None:
            return ParseFailure(UNREADABLE_VERDICT, f"\\boxed{{{boxes[-1].strip()[:40]}}} states no verdict")
    else:
        direction = None
        for match in reversed(list(_VERDICT_LINE_RE.finditer(visible))):
            direction = _direction_of(match.group("rest"))
            if direction is not None:
                break
        if direction is None:
            return ParseFailure(NO_VERDICT, "no \\boxed{...} verdict and no clear verdict line")
    if style == "ralign" and direction == 0:
        return ParseFailure(TIE_NOT_ALLOWED, "the R-Align style must choose A or B")
    return direction


_ITEM_RE = re.compile(
    r"^(?P<indent>[ \t]*)(?:[-*+•·]|\(?\d+[.):]|\(?[A-Za-z]?\d+[.):]|(?:reason|item)\s*\d+\s*[.:)-])[ \t]+(?P<body>\S.*)$",
    re.IGNORECASE,
)
# A heading: markdown "#", a short line ending in ":", or a line that is all bold.
_HEADING_RE = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*\S.*|[*_]*[^\n:*_#]{1,60}?[*_]*[ \t]*:[*_]*[ \t]*|\*\*[^*\n]+\*\*[ \t]*:?)$"
)
_STOP_LINE_RE = re.compile(
    r"^[ \t>#*_-]*(?:my\s+)?(?:final\s+)?(?:verdict|assessment(?:\s+result)?|decision|judg(?:e)?ment)\b",
    re.IGNORECASE,
)
_HEAD_TO_HEAD_RE = re.compile(r"head[\s-]*to[\s-]*head|decisive|key\s+differences", re.IGNORECASE)
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*")


def _clean_reason(text: str) -> str:
    value = _BOLD_RE.sub(r"\1", text) if "**" in text else text
    return " ".join(value.split()).strip()


def _list_items(block: str) -> list[str]:
    """Top-level list items of a block; deeper or unmarked lines right after an item continue it."""
    items: list[str] = []
    base: int | None = None
    current: list[str] | None = None
    for line in block.splitlines():
        if not line.strip():
            current = None
            continue
        # "{" first: a box needs one, and the box pattern is slow to rule out on a line without it.
        if _STOP_LINE_RE.match(line) or ("{" in line and _BOXED_RE.search(line) and not _ITEM_RE.match(line)):
            current = None
            continue
        item = _ITEM_RE.match(line)
        if item is not None:
            indent = len(item.group("indent").expandtabs(4))
            if base is None:
                base = indent
            if indent <= base:
                current = [item.group("body")]
                items.append(_clean_reason(item.group("body")))
                continue
            if current is not None:
                current.append(item.group("body"))
                items[-1] = _clean_reason(" ".join(current))
            continue
        if current is not None and not _HEADING_RE.match(line):
            current.append(line.strip())
            items[-1] = _clean_reason(" ".join(current))
        else:
            current = None
    return [item for item in items if item and not ("{" in item and _BOXED_RE.fullmatch(item.strip()))]


def _section_after(text: str, heading: re.Pattern[str]) -> str | None:
    """The lines after the first heading-like line matching ``heading``, up to the next heading-like line."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if heading.search(line) and (_HEADING_RE.match(line) or line.lstrip().startswith("#")):
            out: list[str] = []
            for following in lines[index + 1 :]:
                if following.strip() and _HEADING_RE.match(following) and not _ITEM_RE.match(following):
                    break
                out.append(following)
            return "\n".join(out)
    return None


def parse_reasons(text: object, style: GenRMStyle = "rationalerm") -> list[str] | ParseFailure:
    """The judge's reasons, in the order written (most important first by the prompt's instruction).

    The list items of the last result block (the whole visible text when there is none), with wrapped lines and
    sub-items joined to their item and markdown bold removed; the verdict line is not a reason. In the ``ralign``
    style the bullets of the head-to-head section are the reasons when there is one (the other sections describe
    one response each). No cap here: the caller cuts the list (``--max-reasons``).
    """
    if not isinstance(text, str):
        return not_text(text)
    visible = strip_hidden_reasoning(text)
    block = find_result_block(visible)
    scope = block if block is not None else visible
    if style == "ralign":
        section = _section_after(scope, _HEAD_TO_HEAD_RE)
        if section is not None and _list_items(section):
            scope = section
    items = _list_items(scope)
    if not items:
        return ParseFailure(NO_REASONS, "no numbered or bulleted reason found")
    return items


# --------------------------------------------------------------------------------------------------------------
# Decomposition of a free-text human rationale


class IgnoredStatement(NamedTuple):
    """A statement of the human rationale the decomposer left out, and why."""

    statement: str
    reason: str


class Decomposition(NamedTuple):
    """Atomic claims and the ignored statements; unpacks as ``claims, ignored``."""

    claims: list[str]
    ignored: list[IgnoredStatement]


_CLAIM_COUNT_RE = re.compile(r"CLAIM[_\s]*COUNT\s*[=:]\s*\**\s*(\d+)", re.IGNORECASE)
_CLAIMS_HEAD_RE = re.compile(r"^[ \t*#]*CLAIMS[ \t*]*:[ \t*]*(?P<rest>.*)$", re.IGNORECASE | re.MULTILINE)
_IGNORED_HEAD_RE = re.compile(
    r"^[ \t*#]*IGNORED(?:[_\s]*SUMMARY)?[ \t*]*:[ \t*]*(?P<rest>.*)$", re.IGNORECASE | re.MULTILINE
)
_CLAIM_LABEL_RE = re.compile(r"^[*_]*C\s*\d+[*_]*\s*[:.)-]\s*", re.IGNORECASE)
_REASON_TAIL_RE = re.compile(r"\(\s*reason\s*[:：-]\s*(?P<reason>.*?)\)\s*\.?\s*$", re.IGNORECASE)
_NONE_ITEM_RE = re.compile(r"^[(\[]?\s*(?:none|n/?a|nothing|empty)\s*[)\]]?\.?$", re.IGNORECASE)


def _section_items(section: str) -> list[str]:
    items = _list_items(section)
    if not items:
        items = [_clean_reason(line) for line in section.splitlines() if line.strip()]
    return [item for item in items if item and not _NONE_ITEM_RE.match(item)]


def parse_decomposition(text: object) -> Decomposition | ParseFailure:
    """Read a decomposition answer: ``CLAIM_COUNT=n``, ``CLAIMS:`` with ``- C1: ...`` lines and
    ``IGNORED_SUMMARY:`` with ``- statement (Reason: ...)`` lines, inside the result block when there is one.

    ``CLAIM_COUNT`` is a checksum against truncation and miscounting: when present it must equal the number of
    claims read. An answer with ``CLAIM_COUNT=0`` and no claims is a valid empty decomposition.
    """
    if not isinstance(text, str):
        return not_text(text)
    visible = strip_hidden_reasoning(text)
    block = find_result_block(visible)
    scope = block if block is not None else visible
    count_match = _CLAIM_COUNT_RE.search(scope)
    claims_head = _CLAIMS_HEAD_RE.search(scope)
    ignored_head = _IGNORED_HEAD_RE.search(scope)
    if claims_head is None and count_match is None:
        return ParseFailure(NO_CLAIMS_SECTION, "no CLAIM_COUNT and no CLAIMS: section")
    claims: list[str] = []
    if claims_head is not None:
        end = (
            ignored_head.start()
            if ignored_head is not None and ignored_head.start() > claims_head.end()
            else len(scope)
        )
        section = claims_head.group("rest") + "\n" + scope[claims_head.end() : end]
        claims = [_CLAIM_LABEL_RE.sub("", item).strip() for item in _section_items(section)]
        claims = [claim for claim in claims if claim]
    if count_match is not None and int(count_match.group(1)) != len(claims):
        return ParseFailure(
            CLAIM_COUNT_MISMATCH, f"CLAIM_COUNT={count_match.group(1)} but {len(claims)} claims were listed"
        )
    ignored: list[IgnoredStatement] = []
    if ignored_head is not None:
        section = ignored_head.group("rest") + "\n" + scope[ignored_head.end() :]
        for item in _section_items(section):
            tail = _REASON_TAIL_RE.search(item)
            if tail is not None:
                ignored.append(IgnoredStatement(item[: tail.start()].strip(), tail.group("reason").strip()))
            else:
                ignored.append(IgnoredStatement(item, ""))
    return Decomposition(claims, ignored)


# --------------------------------------------------------------------------------------------------------------
# R-Align MetaRM answers

MetaRMVerdict = Literal["Correct", "Incorrect"]


def extract_tag(text: object, name: str) -> str | None:
    """The content of the last ``<name>...</name>`` element of the visible text (an unclosed last one runs to the
    end of the text); None when absent."""
    if not isinstance(text, str):
        return None
    visible = strip_hidden_reasoning(text)
    opens = list(re.finditer(rf"<\s*{re.escape(name)}\s*>", visible, re.IGNORECASE))
    if not opens:
        return None
    start = opens[-1].end()
    close = re.compile(rf"<\s*/\s*{re.escape(name)}\s*>", re.IGNORECASE).search(visible, start)
    return (visible[start : close.start()] if close else visible[start:]).strip()


def parse_metarm_verdict(text: object) -> MetaRMVerdict | ParseFailure:
    """``Correct`` or ``Incorrect`` from the MetaRM's ``<final_verdict>`` tag (markdown and a final period are
    tolerated). A reply without the tag is a failure, excluded from S-Corr and F-Score, as in R-Align."""
    if not isinstance(text, str):
        return not_text(text)
    content = extract_tag(text, "final_verdict")
    if content is None:
        return ParseFailure(NO_METARM_VERDICT, "no <final_verdict> tag")
    word = _MARKUP_RE.sub(" ", content).strip().rstrip(".!").strip().lower()
    if word == "correct":
        return "Correct"
    if word == "incorrect":
        return "Incorrect"
    return ParseFailure(UNKNOWN_METARM_VERDICT, f"<final_verdict> says {content[:40]!r}")
