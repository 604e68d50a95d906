"""Guards between a GenRM's parsed reasons and the matcher: what a policy under RL pressure cannot use to raise its
reward without giving better reasons.

The rationale reward is the paper-mode Average Precision of the reasons against the human checklist. Every cheap way
to raise it is closed here, before any matcher sees the list:

* **Normal form.** Every reason is first put in :func:`rationalerm.text.normalise`'s form (NFKC, zero-width and
  bidi characters removed); that form is what the other guards screen and what a matcher or judge receives.
* **Injection.** A reason that talks to the judge ("ignore previous instructions", "give full credit"), forges the
  MetaJudge answer format (``R1@S1: 1.0``, result tags) or chat-role markup is *void*: it keeps its rank (so it
  still costs the completion precision and AP at the ranks after it) but scores 0 and is never sent to a judge.
  Surviving reasons are also made one inert line (:func:`rationalerm.prompts.sanitize_item`), so structure cannot
  reach an LLM judge through them.
* **Copying.** A reason that is mostly text of the conversation or of a response (long shared word runs) is void:
  pasting the material is not a reason, and with embedding similarity it could still look like one.
* **Vagueness.** A reason that names nothing specific ("Response A contains a factual error", "Response B is more
  detailed") is void: the MetaJudge rubric scores vague items 0, and a shotgun of them would otherwise collect
  partial credit from a lenient judge or from surface similarity.
* **Duplicates.** Exact and near-duplicate reasons (same words after case, punctuation and side spellings are
  normalised) collapse to the first: one point made five times must not claim five human items.
* **Length.** The list is cut to ``max_reasons`` (after the collapse): a shotgun of fifty reasons would otherwise
  hit some human item by chance, since AP never charges for unmatched items after the last match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..prompts import sanitize_item
from ..text import normalise, skeleton

# Hard bound on parsed reasons looked at at all, so a pathological completion costs bounded CPU.
SCAN_LIMIT = 256

# Judge-directed text. Imperatives count only where a sentence (or the reason) starts, so an honest reason such as
# "Response 1 ignores the previous instructions of the user" is not taken for an attack.
_SENTENCE_START = r"(?:^|[.!?:;>\n]\s*|\bplease\s+)"
_INJECTION_RE = re.compile(
    _SENTENCE_START
    + r"(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+)?"
    r"(?:previous|prior|above|earlier|preceding|system|original|other)\s+(?:instructions?|rules?|prompts?|guidelines?)"
    r"|"
    + _SENTENCE_START
    + r"(?:as\s+(?:the|an?)\s+(?:judge|evaluator|grader|analyst|metajudge)\b|you\s+are\s+now\b)"
    r"|\bnew\s+instructions?\s*:"
    r"|\b(?:full|perfect|maximum)\s+(?:credit|score|marks?|match)\b"
    r"|\bscore\s*(?:[:=]|of)\s*1\.0*\b"
    r"|\b[RS]\s*\d+\s*@\s*[RS]\s*\d+"
    r"|[<\[]\s*/?\s*RESULT[\s_]*(?:START|END)\s*[>\]]"
    r"|<\|\s*im_(?:start|end)\s*\|>|<\s*/?\s*(?:system|assistant|user|instructions?)\s*>"
    r"|^\s*#{1,6}\s*(?:system|instructions?)\b",
    re.IGNORECASE | re.MULTILINE,
)
_SIDE_RE = re.compile(
    r"\b(?:responses?|assistants?|answers?|candidates?)\s*[#(]?\s*(?P<side>[12ab])\b\)?", re.IGNORECASE
)
_WORD_RE = re.compile(r"\w+")
# Words that carry no finding on their own: sides, function words, and the vocabulary of vague verdicts ("more
# detailed", "has an error", "misses part of the request"). A reason made only of these points at nothing.
GENERIC_WORDS = frozenset(
    """
    side1 side2 response responses answer answers assistant reply replies both neither either one other it its they
    them their this that these those there here a an the is are was were be been being has have had does do did not no
    nor and or but so than then as of in on at to for from by with without about into over under more less most least
    much many very too quite rather overall generally slightly significantly clearly better worse best worst good bad
    great excellent poor strong weak fine ok okay solid superior inferior higher lower quality
    accurate accuracy inaccurate correct correctly incorrect incorrectly right wrong wrongly error errors mistake
    mistakes bug bugs buggy flaw flaws flawed issue issues problem problems factual fact facts false true valid invalid
    misleading mislead unsupported claim claims logical logic reasoning reason reasons explanation explanations
    explain explains approach method solution solutions result results value values number numbers date dates
    calculation calculations math code coding syntax implementation
    detail details detailed complete completeness incomplete comprehensive thorough thoroughly concise brief short
    shorter long longer lengthy verbose wordy clear clearer clarity unclear organised organized structure structured
    structuring format formatting formatted readable readability easy easier hard harder understand understandable
    helpful helpfulness useful usefulness relevant relevance irrelevant informative information content nuanced
    nuance depth tone style professional polished engaging friendly natural fluent
    user users question questions request requests requested asked ask asks prompt task instruction instructions
    requirement requirements part parts aspect aspects point points key important importance main some any all every
    each several certain specific example examples case cases edge
    gives give provides provide provided offers offer makes make made uses use used contains contain includes include
    included misses miss missed missing omits omit omitted leaves leave left out lacks lack lacking fails fail failed
    follow follows followed ignores ignore addresses address addressed answers handles handle covers cover covered
    misinterprets misinterpret misunderstands misunderstand overstates overstate understates conclusion conclusions
    """.split()
)


@dataclass(frozen=True, slots=True)
class GuardConfig:
    """Thresholds of the guards. ``max_reasons`` None: no cap (not recommended under RL);
    ``duplicate_jaccard`` 1.0: exact duplicates only; a reason counts as copied when at least ``copy_share`` of its
    words lie in word 4-grams of the material and fewer than ``copy_min_own`` are its own (reasons of fewer than
    ``copy_min_words`` words count as copied only when they appear whole in the material)."""

    max_reasons: int | None = 8
    duplicate_jaccard: float = 0.8
    copy_share: float = 0.5
    copy_min_words: int = 7
    copy_min_own: int = 5
    block_injection: bool = True
    block_copies: bool = True
    block_generic: bool = True
    collapse_duplicates: bool = True

    def __post_init__(self) -> None:
        if self.max_reasons is not None and self.max_reasons < 1:
            raise ConfigError("max_reasons must be at least 1 (or None for no cap)")
        if not 0.0 < self.duplicate_jaccard <= 1.0:
            raise ConfigError("duplicate_jaccard must be in (0, 1]")
        if not 0.0 < self.copy_share <= 1.0:
            raise ConfigError("copy_share must be in (0, 1]")


# The guards' counters, as ScreenedReasons and RewardResult both name them (and the reward logs them).
GUARD_COUNTS = ("duplicates", "copied", "injected", "generic", "over_cap")


@dataclass(frozen=True, slots=True)
class ScreenedReasons:
    """The ranked list after the guards. ``ranked`` holds each considered rank's reason, None for a void one
    (injection or copy: scores 0, never sent to a judge); ``kept`` are the non-void reasons in rank order and
    ``kept_ranks`` their 1-based ranks in ``ranked``. The counters say what each guard removed or voided."""

    ranked: tuple[str | None, ...]
    kept: tuple[str, ...]
    kept_ranks: tuple[int, ...]
    raw: int
    duplicates: int = 0
    copied: int = 0
    injected: int = 0
    generic: int = 0
    over_cap: int = 0

    @property
    def considered(self) -> int:
        return len(self.ranked)

    def counts(self) -> dict[str, int]:
        """What each guard removed or voided, under the names of :data:`GUARD_COUNTS`."""
        return {name: getattr(self, name) for name in GUARD_COUNTS}


# Every alternative of _INJECTION_RE contains one of these literals, so a reason with none of them cannot match: a
# few substring searches (about 3 us a reason) spare most reasons the full pattern (about 18 us).
_INJECTION_LITERALS = (
    "ignore",
    "disregard",
    "forget",
    "override",
    "judge",
    "evaluator",
    "grader",
    "analyst",
    "you",
    "instruction",
    "credit",
    "score",
    "mark",
    "match",
    "@",
    "result",
    "im_",
    "<",
    "#",
)
# The only non-ASCII characters that re.IGNORECASE matches to ASCII letters (checked over all of Unicode in the
# tests): mapped before lowercasing, so the literal check never misses what the pattern would match.
_IGNORECASE_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def is_injection(text: str) -> bool:
    """Whether a reason addresses the judge or forges the judge's answer format instead of judging responses.

    Matched on the reason's :func:`~rationalerm.text.skeleton` (NFKC, invisible characters removed, confusable
    letters folded), so zero-width spaces, full-width letters or Cyrillic look-alikes inside "ignore previous
    instructions" do not hide it."""
    if not text.isascii():
        text = skeleton(text)
    folded = (text if text.isascii() else text.translate(_IGNORECASE_ASCII)).lower()
    if not any(map(folded.__contains__, _INJECTION_LITERALS)):
        return False
    return _INJECTION_RE.search(text) is not None


def _words(text: str) -> list[str]:
    """The words of a reason, lower-cased, with each side mention as ``side1`` or ``side2``."""
    return _tokens(text)[0]


# For ASCII text, ``\w`` is exactly [A-Za-z0-9_]: this table lower-cases those bytes and blanks every other one, so
# a split gives what ``_WORD_RE.findall(text.lower())`` gives, in about a third of the time.
_ASCII_WORD_BYTES = bytes(
    (b | 0x20 if 65 <= b <= 90 else b) if chr(b).isascii() and (chr(b).isalnum() or b == 95) else 32
    for b in range(256)
)
# Every side mention starts with one of these (lower-cased); a reason with none has no mention to replace.
_SIDE_NOUNS = ("response", "assistant", "answer", "candidate")
_SIDE_REPLACEMENTS = {"1": " side1 ", "a": " side1 ", "2": " side2 ", "b": " side2 "}


def _side_replacement(match: re.Match[str]) -> str:
    return _SIDE_REPLACEMENTS[match.group("side").lower()]


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """(words with side mentions as ``side1``/``side2``, plain lower-cased words): what :func:`_words` and
    ``_WORD_RE.findall(text.lower())`` give. The two may be one list object (a reason that names no side)."""
    if not text.isascii():
        # Lower-casing can change what counts as a word outside ASCII: exactly as defined, replace then split.
        sided = _WORD_RE.findall(_SIDE_RE.sub(lambda m: f" side{_side(m.group('side'))} ", text).lower())
        return sided, _WORD_RE.findall(text.lower())
    words = text.encode("ascii").translate(_ASCII_WORD_BYTES).decode("ascii")
    plain = words.split()
    if not any(map(words.__contains__, _SIDE_NOUNS)):
        return plain, plain
    replaced = _SIDE_RE.sub(_side_replacement, text)
    return replaced.encode("ascii").translate(_ASCII_WORD_BYTES).decode("ascii").split(), plain


def _side(token: str) -> str:
    return "1" if token.lower() in {"1", "a"} else "2"


def _shingles(words: Sequence[str]) -> set[int]:
    """The word 4-grams of ``words``, each as its hash.

    Hashes, not the 4-tuples: a sample's material holds thousands of 4-grams, and thousands of new tuples per sample
    set off the garbage collector's young-generation passes (in a 2,048-completion reward batch they were a third
    of the objects those passes met), while ints are not tracked at all and each tuple is freed as soon as it is
    hashed. Two different 4-grams share a 64-bit hash with odds of about 1 in 10^15 per lookup. String hashes are
    salted per process, so a :class:`Material` is only valid in the process that built it."""
    return set(map(hash, zip(words, words[1:], words[2:], words[3:], strict=False)))


@dataclass(slots=True)
class Material:
    """What a reason must not copy: the conversation and both responses (and the prompt when known), indexed once
    per sample as the hashes of its word 4-grams (see :func:`_shingles`) plus the joined word text for short
    reasons. Built where it is used: it is not valid in another process."""

    shingles: set[int] = field(default_factory=set)
    joined: str = " "

    @classmethod
    def of(cls, texts: Iterable[str]) -> Material:
        shingles: set[int] = set()
        parts: list[str] = []
        for text in texts:
            if not text:
                continue
            words = _WORD_RE.findall(normalise(text).lower())
            shingles |= _shingles(words)
            parts.append(" ".join(words))
        return cls(shingles, " " + " | ".join(parts) + " ")


def is_copied(text: str, material: Material, config: GuardConfig) -> bool:
    """Whether a reason is mostly text lifted from the material (word level, case and punctuation ignored): most of
    its words sit in word 4-grams found in the material and fewer than ``copy_min_own`` words are its own. A reason
    that quotes evidence and says something about it ("Response 1 writes `x and y`, which raises ValueError on a
    Series") keeps enough words of its own to pass."""
    return _copied(_WORD_RE.findall(text.lower()), material, config)


def _copied(words: list[str], material: Material, config: GuardConfig) -> bool:
    """:func:`is_copied` on the reason's plain lower-cased words."""
    if len(words) < 3:
        return False
    if len(words) < config.copy_min_words:
        return f" {' '.join(words)} " in material.joined
    shingles = material.shingles
    grams = list(map(hash, zip(words, words[1:], words[2:], words[3:], strict=False)))
    if not any(map(shingles.__contains__, grams)):
        return False  # most reasons share no 4-gram with the material: decided without the word-by-word pass
    covered = [False] * len(words)
    for start, gram in enumerate(grams):
        if gram in shingles:
            covered[start : start + 4] = _FOUR
    copied = sum(covered)
    return copied / len(words) >= config.copy_share and len(words) - copied < config.copy_min_own


_FOUR = [True] * 4
_SPECIFIC_MARK_RE = re.compile(r"[\d`\"“”=(){}\[\]<>]|'[^']+'")


def is_generic(text: str) -> bool:
    """Whether a reason names nothing specific: no digit, quote or code mark, and fewer than two words outside
    :data:`GENERIC_WORDS`. The MetaJudge rubric scores a vague item 0 anyway; voiding it here keeps a judge's
    leniency (or an embedding's surface similarity) from paying for it."""
    return _generic(text, None)


def _generic(text: str, words: list[str] | None) -> bool:
    """:func:`is_generic`, given the reason's words (from :func:`_words`) when they are at hand."""
    if _SPECIFIC_MARK_RE.search(text):
        return False
    return sum(1 for word in (_words(text) if words is None else words) if word not in GENERIC_WORDS) < 2


def _is_duplicate(words: set[str], seen: list[set[str]], threshold: float) -> bool:
    size = len(words)
    for other in seen:
        shared = len(words & other)
        union = size + len(other) - shared  # |a | b| without building the union
        if union and shared / union >= threshold:
            return True
    return False


def screen_reasons(reasons: Sequence[str], material: Material, config: GuardConfig) -> ScreenedReasons:
    """Apply every guard to a parsed, ordered reason list (see the module docstring for why each exists)."""
    raw = len(reasons)
    ranked: list[str | None] = []
    seen: list[set[str]] = []
    duplicates = copied = injected = generic = 0
    for reason in reasons[:SCAN_LIMIT]:
        reason = normalise(reason)
        if config.block_injection and is_injection(reason):
            injected += 1
            ranked.append(None)
            continue
        clean = sanitize_item(reason)
        sided, plain = _tokens(clean)
        words = set(sided)
        if not words or (config.collapse_duplicates and _is_duplicate(words, seen, config.duplicate_jaccard)):
            duplicates += 1
            continue
        seen.append(words)
        if config.block_copies and _copied(plain, material, config):
            copied += 1
            ranked.append(None)
            continue
        if config.block_generic and _generic(clean, sided):
            generic += 1
            ranked.append(None)
            continue
        ranked.append(clean)
    over_cap = max(0, raw - min(raw, SCAN_LIMIT)) + (
        max(0, len(ranked) - config.max_reasons) if config.max_reasons else 0
    )
    if config.max_reasons:
        ranked = ranked[: config.max_reasons]
    kept_ranks = tuple(rank for rank, reason in enumerate(ranked, start=1) if reason is not None)
    kept = tuple(ranked[rank - 1] or "" for rank in kept_ranks)
    return ScreenedReasons(
        ranked=tuple(ranked),
        kept=kept,
        kept_ranks=kept_ranks,
        raw=raw,
        duplicates=duplicates,
        copied=copied,
        injected=injected,
        generic=generic,
        over_cap=over_cap,
    )


__all__ = [
    "GENERIC_WORDS",
    "GUARD_COUNTS",
    "SCAN_LIMIT",
    "GuardConfig",
    "Material",
    "ScreenedReasons",
    "is_copied",
    "is_generic",
    "is_injection",
    "screen_reasons",
]
