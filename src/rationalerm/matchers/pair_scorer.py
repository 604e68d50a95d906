"""The local matcher's learned pair scorer: features of each (human item, model item) pair that a single cosine
misses, and a small gradient-boosted tree ensemble that turns them into the expected MetaJudge score of the pair.

Features (:data:`FEATURES`) are computed from the side-neutralised embeddings the matcher already has, from the
texts, from the two lists (rank and margin of a pair among the alternatives of its row and column) and, when the
request carries them, from the two responses (which response a model item's specifics, its numbers, quotes and
code-like tokens, are found in). The ensemble is fitted with scikit-learn (``GradientBoostingRegressor``) by
:func:`fit_scorer` and stored as plain JSON (tree arrays, read from the fitted model's public ``estimators_`` and
``tree_`` attributes, plus the settings, the training data's hash and :data:`FORMAT_VERSION`), so that loading and
predicting need numpy only: no pickle, no scikit-learn at run time.

Invariants: the same texts give the same features and the same scores (no randomness at prediction time); a
stored scorer whose format version or feature list differs from this code's is refused with a ValueError that
says what was found and what is expected.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 2
SCORER_FILE = "local_scorer.json"

FEATURES = (
    "cos",
    "cos_row_margin",
    "cos_col_margin",
    "cos_row_max",
    "cos_col_max",
    "cos_list_mean",
    "token_overlap_h",
    "token_overlap_m",
    "overlap_minus_cos",
    "char_jaccard",
    "numbers_shared",
    "numbers_h_only",
    "numbers_m_only",
    "entities_shared",
    "entities_h_only",
    "entities_m_only",
    "side_same",
    "side_m_none",
    "side_m_joint",
    "side_h_none",
    "side_h_joint",
    "side_m_evidence",
    "pol_h",
    "pol_m",
    "pol_product",
    "praise_m",
    "negation_diff",
    "len_h",
    "len_m",
    "specific_m",
    "n_human",
    "n_model",
    "m_position",
    "list_sided_share",
    "stem_overlap_h",
    "stem_overlap_m",
    "foreign_m",
    "h_on_criticised",
    "m_on_criticised",
    "m_praises_criticised",
    "style_m",
    "style_h",
    "verdict_h",
    "verdict_m",
    "verdict_product",
    "verdict_h_x_polarity_m",
)
# The second stage reads each pair the assignment chose, in the context of the whole list's choices: a list whose
# other choices are confident is a list that covers the human points (its uncertain pairs are more likely right).
STAGE2_FEATURES = (
    "pred",
    "list_mean_pred",
    "list_share_confident",
    "list_share_matched",
    "cos",
    "cos_row_margin",
    "side_same",
    "token_overlap_h",
    "n_human",
    "list_mean_cos_chosen",
    "list_mean_overlap_chosen",
    "len_m",
    "list_mean_len_m",
    "list_specific_share",
    "specific_m",
)

_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_NUMBER_RE = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)*")
_QUOTE_RE = re.compile(r"['\"“‘«`]([^'\"”’»`]{2,60})['\"”’»`]")
_CODE_RE = re.compile(r"\b\w*(?:[_()\[\].]\w*)+|\b[a-z]+[A-Z]\w*\b")
_ENTITY_RE = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w-]{2,}")
_NEGATION_RE = re.compile(r"\b(?:not|no|never|without|\w+n't|fails?|lacks?|missing|omits?)\b", re.IGNORECASE)
# Words of style, length, tone and overall verdicts: what a superficial reason talks about.
_STYLE_RE = re.compile(
    r"\b(?:more|less|better|worse|clearer|longer|shorter|concise|verbose|detailed|organi[sz]ed|formatted|"
    r"formatting|tone|friendl\w*|warm\w*|polite|professional|engaging|readable|easier|structured|overall|"
    r"helpful|thorough|comprehensive|examples?|fun|reassuring|encouraging|nicer|cleaner)\b",
    re.IGNORECASE,
)
_STOP = frozenset(
    "the a an of to in on for and or but is are was were be been it its this that with as by at from response "
    "responses answer assistant which so than then also more less does do not no into about their there".split()
)


def _tokens(text: str) -> set[str]:
    return {w.lower() for w in _WORD_RE.findall(text) if w.lower() not in _STOP and len(w) > 2}


def _trigrams(text: str) -> set[str]:
    t = " ".join(text.lower().split())
    return {t[i : i + 3] for i in range(max(len(t) - 2, 0))}


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER_RE.findall(text) if n not in {"1", "2"}}


def _entities(text: str) -> set[str]:
    found = {e.lower() for e in _ENTITY_RE.findall(text) if e not in {"Response", "Assistant", "Answer"}}
    found |= {q.lower().strip() for q in _QUOTE_RE.findall(text)}
    found |= {c.lower() for c in _CODE_RE.findall(text) if len(c) > 2}
    return found


@dataclass(frozen=True, slots=True)
class ItemText:
    """What the features need of one item: its side reading, polarity cues and surface sets."""

    sides: frozenset[int]
    joint: bool
    polarity: int
    praise: bool
    neutral: str
    tokens: frozenset[str]
    trigrams: frozenset[str]
    numbers: frozenset[str]
    entities: frozenset[str]
    negations: int
    stems: frozenset[str] = frozenset()
    foreign: float = 0.0
    style: int = 0

    @property
    def about(self) -> int | None:
        return next(iter(self.sides)) if len(self.sides) == 1 else None

    @property
    def specifics(self) -> frozenset[str]:
        return self.numbers | self.entities


def item_text(neutral: str, sides: frozenset[int], joint: bool, polarity: int, praise: bool) -> ItemText:
    tokens = frozenset(_tokens(neutral))
    return ItemText(
        sides=sides,
        joint=joint,
        polarity=polarity,
        praise=praise,
        neutral=neutral,
        trigrams=frozenset(_trigrams(neutral)),
        numbers=frozenset(_numbers(neutral)),
        entities=frozenset(_entities(neutral)),
        negations=len(_NEGATION_RE.findall(neutral)),
        tokens=tokens,
        stems=frozenset(w[:5] for w in tokens),
        foreign=_foreign_share(neutral),
        style=len(_STYLE_RE.findall(neutral)),
    )


def _foreign_share(text: str) -> float:
    """The share of letters outside ASCII: where the English-only encoder's cosine is least reliable."""
    if text.isascii():  # the common case, without a pass over the letters
        return 0.0
    letters = [c for c in text if c.isalpha()]
    return sum(not c.isascii() for c in letters) / len(letters) if letters else 0.0


def side_evidence(item: ItemText, responses: tuple[str, str] | None) -> int:
    """Which response the item's specifics (numbers, quotes, names, code-like tokens) are found in: +1 when some
    are in response 1 and none in response 2 only... precisely: the side whose text alone holds more of them (1 or
    2), 0 when none or as many are found only in each (or the responses are not known)."""
    if not responses or not item.specifics:
        return 0
    first, second = (r.lower() for r in responses)
    only1 = only2 = 0
    for specific in item.specifics:
        in1, in2 = specific in first, specific in second
        only1 += int(in1 and not in2)
        only2 += int(in2 and not in1)
    if only1 > only2:
        return 1
    if only2 > only1:
        return 2
    return 0


def _ranks(matrix: np.ndarray, axis: int) -> np.ndarray:
    order = np.argsort(-matrix, axis=axis, kind="stable")
    return np.argsort(order, axis=axis, kind="stable").astype(float)


def side_or_none(value: Any) -> int | None:
    """1 or 2 for a preference or verdict that names a response; None for anything else (a tie, unknown)."""
    return value if value in (1, 2) and not isinstance(value, bool) else None


def criticised_side(
    human: Iterable[tuple[int | None, bool, int]], preference: int | None = None
) -> int | None:
    """The response the human found fault with, from the human items' (side about, joint, polarity): the one not
    preferred when the preference is known, else the side that most one-sided, non-praising human items are about
    (a human checklist lists problems), None on a tie. The matcher's polarity gate and the features share it."""
    if preference is not None:
        return 3 - preference
    faults = [0, 0]
    for about, joint, polarity in human:
        if about is not None and not joint and polarity <= 0:
            faults[about - 1] += 1
    if faults[0] == faults[1]:
        return None
    return 1 if faults[0] > faults[1] else 2


def pair_features(
    human: Sequence[ItemText],
    model: Sequence[ItemText],
    cos: np.ndarray,
    responses: tuple[str, str] | None = None,
    preference: int | None = None,
    verdict: int | None = None,
) -> np.ndarray:
    """The (n_human, n_model, len(FEATURES)) feature array of every pair; ``cos`` is the cosine similarity of the
    side-neutralised texts. ``preference`` (the human's better response) and ``verdict`` (the judge's) give each
    one-sided item the judgement its side implies: +1 for a point about the preferred response, -1 for the other;
    the ``verdict_*`` features are 0 where they are not known."""
    nh, nm = cos.shape
    out = np.zeros((nh, nm, len(FEATURES)), dtype=float)
    if nh == 0 or nm == 0:
        return out
    row_max = cos.max(axis=1, keepdims=True)
    col_max = cos.max(axis=0, keepdims=True)
    row_sorted = np.sort(cos, axis=1)
    col_sorted = np.sort(cos, axis=0)
    row_second = row_sorted[:, -2:-1] if nm > 1 else np.zeros((nh, 1))
    col_second = col_sorted[-2:-1, :] if nh > 1 else np.zeros((1, nm))
    # margin: this pair against the best *other* pair of its row / column
    row_margin = np.where(cos >= row_max, cos - row_second, cos - row_max)
    col_margin = np.where(cos >= col_max, cos - col_second, cos - col_max)
    list_mean = float(cos.mean())
    sided_share = float(np.mean([m.about is not None for m in model]))
    evidence = [side_evidence(m, responses) for m in model]
    preference, verdict = side_or_none(preference), side_or_none(verdict)
    criticised = criticised_side(((h.about, h.joint, h.polarity) for h in human), preference) or 0
    # Every feature at once over the (n_human, n_model) grid: per-item values broadcast, the set overlaps counted
    # per pair in C (set intersections), no per-pair Python beyond them. Same values as a pair-by-pair loop.
    f = {name: k for k, name in enumerate(FEATURES)}

    def shared(a: list[frozenset[str]], b: list[frozenset[str]]) -> np.ndarray:
        return np.array([[len(x & y) for y in b] for x in a], dtype=np.int64).reshape(nh, nm)

    def sizes(items: list[frozenset[str]]) -> np.ndarray:
        return np.array([len(x) for x in items], dtype=np.int64)

    ev = np.array(evidence, dtype=np.int64)
    h_about = np.array([h.about or 0 for h in human], dtype=np.int64)[:, None]
    m_about = np.array([m.about or 0 for m in model], dtype=np.int64)
    m_placed = np.where(m_about > 0, m_about, ev)[None, :]  # its own side, else its specifics' (0: none)
    ev_row = ev[None, :]
    h_tokens, m_tokens = [h.tokens for h in human], [m.tokens for m in model]
    n_tok_h, n_tok_m = sizes(h_tokens)[:, None], sizes(m_tokens)[None, :]
    tok = shared(h_tokens, m_tokens)
    tri = shared([h.trigrams for h in human], [m.trigrams for m in model])
    union = sizes([h.trigrams for h in human])[:, None] + sizes([m.trigrams for m in model])[None, :] - tri
    num = shared([h.numbers for h in human], [m.numbers for m in model])
    ent = shared([h.entities for h in human], [m.entities for m in model])
    stems = shared([h.stems for h in human], [m.stems for m in model])
    pol_h = np.array([h.polarity for h in human], dtype=float)[:, None]
    pol_m = np.array([m.polarity for m in model], dtype=float)[None, :]
    column = np.arange(nm, dtype=float)[None, :]

    def put(name: str, value: Any) -> None:
        out[:, :, f[name]] = value

    put("cos", cos)
    put("cos_row_margin", row_margin)
    put("cos_col_margin", col_margin)
    put("cos_row_max", row_max)
    put("cos_col_max", col_max)
    put("cos_list_mean", list_mean)
    overlap_h = tok / np.maximum(n_tok_h, 1)
    put("token_overlap_h", overlap_h)
    put("token_overlap_m", tok / np.maximum(n_tok_m, 1))
    put("overlap_minus_cos", overlap_h - cos)
    put("char_jaccard", np.divide(tri, union, out=np.zeros((nh, nm)), where=union > 0))
    put("numbers_shared", num)
    put("numbers_h_only", sizes([h.numbers for h in human])[:, None] - num)
    put("numbers_m_only", sizes([m.numbers for m in model])[None, :] - num)
    put("entities_shared", ent)
    put("entities_h_only", sizes([h.entities for h in human])[:, None] - ent)
    put("entities_m_only", sizes([m.entities for m in model])[None, :] - ent)
    put(
        "side_same",
        np.where(
            (h_about > 0) & (m_placed == h_about), 1.0, np.where((h_about > 0) & (m_placed > 0), -1.0, 0.0)
        ),
    )
    put("side_m_none", np.array([float(not m.sides) for m in model])[None, :])
    put("side_m_joint", np.array([float(m.joint) for m in model])[None, :])
    put("side_h_none", np.array([float(not h.sides) for h in human])[:, None])
    put("side_h_joint", np.array([float(h.joint) for h in human])[:, None])
    put(
        "side_m_evidence",
        np.where((ev_row == 0) | (h_about == 0), 0.0, np.where(ev_row == h_about, 1.0, -1.0)),
    )
    put("pol_h", pol_h)
    put("pol_m", pol_m)
    put("pol_product", pol_h * pol_m)
    put("praise_m", np.array([float(m.praise) for m in model])[None, :])
    put(
        "negation_diff",
        np.array([m.negations for m in model])[None, :] - np.array([h.negations for h in human])[:, None],
    )
    put("len_h", n_tok_h)
    put("len_m", n_tok_m)
    put("specific_m", np.array([len(m.specifics) for m in model])[None, :])
    put("n_human", nh)
    put("n_model", nm)
    put("m_position", column)
    put("list_sided_share", sided_share)
    put("stem_overlap_h", stems / np.maximum(sizes([h.stems for h in human])[:, None], 1))
    put("stem_overlap_m", stems / np.maximum(sizes([m.stems for m in model])[None, :], 1))
    put("foreign_m", np.array([m.foreign for m in model])[None, :])
    put("style_m", np.array([m.style for m in model])[None, :])
    put("style_h", np.array([h.style for h in human])[:, None])
    praises = np.array([m.polarity > 0 or m.praise for m in model])[None, :]
    if criticised:
        m_on = m_placed == criticised
        put("h_on_criticised", (h_about == criticised).astype(float))
        put("m_on_criticised", m_on.astype(float))
        put("m_praises_criticised", (m_on & praises).astype(float))
    if preference is not None:
        verdict_h = np.where(h_about == 0, 0.0, np.where(h_about == preference, 1.0, -1.0))
        put("verdict_h", verdict_h)
        put("verdict_h_x_polarity_m", verdict_h * np.where(praises, 1.0, pol_m))
        if verdict is not None:
            verdict_m = np.where(m_placed == 0, 0.0, np.where(m_placed == verdict, 1.0, -1.0))
            put("verdict_m", verdict_m)
            put("verdict_product", verdict_h * verdict_m)
    return out


# --------------------------------------------------------------------------------------------------------------
# The stored ensemble

_PACKED: dict[int, tuple[Any, Any]] = {}
_CHUNK = 2048  # rows per step of PairScorer.predict


@dataclass(frozen=True, slots=True)
class PairScorer:
    """A fitted tree ensemble: ``prediction = base + rate * sum(tree(x))``, clipped to [0, 1]. Each tree is the
    arrays of a scikit-learn regression tree (left, right, feature, threshold, value; a leaf has left == -1)."""

    base: float
    rate: float
    trees: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    features: tuple[str, ...] = FEATURES
    settings: dict[str, Any] = field(default_factory=dict)
    stage2: PairScorer | None = None
    # a monotone map (x ascending, y) of a list's recall to the labelled recall, applied after the second stage
    recall_map: tuple[tuple[float, ...], tuple[float, ...]] | None = None

    def map_recall(self, recall: float) -> float:
        if self.recall_map is None or not self.recall_map[0]:
            return recall
        return float(np.interp(recall, self.recall_map[0], self.recall_map[1]))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The ensemble's prediction of every row of ``x`` (any leading shape, last axis the features).

        Each row's value depends on that row alone (so on nothing else a batch holds): the trees are padded to
        complete trees of one depth, every split of every tree is tested at once, and each row's leaf values are
        summed over the trees in tree order. Rows go through in chunks to bound memory."""
        x = np.asarray(x, dtype=float)
        shape = x.shape[:-1]
        flat = x.reshape(-1, x.shape[-1])
        if not len(flat) or not self.trees:
            return np.clip(np.full(shape, self.base), 0.0, 1.0)
        feature, threshold, leaves, depth = self._packed()
        n_trees = leaves.shape[0]
        first_split = (np.arange(n_trees, dtype=np.int64) * ((1 << depth) - 1))[None, :]
        offsets = (np.arange(n_trees, dtype=np.int64) * leaves.shape[1])[None, :]
        flat_leaves = leaves.ravel()
        sums = np.empty(len(flat))
        for start in range(0, len(flat), _CHUNK):
            rows = flat[start : start + _CHUNK]
            # (rows, trees * (2**depth - 1)): whether each split of each tree sends the row left
            left = rows[:, feature] <= threshold
            row = np.arange(len(rows))[:, None]
            position = np.zeros((len(rows), n_trees), dtype=np.int64)  # heap slot within the level
            for level in range(depth):
                goes_left = left[row, first_split + (1 << level) - 1 + position]
                position = 2 * position + (~goes_left)
            sums[start : start + len(rows)] = flat_leaves[offsets + position].sum(axis=1)
        total = self.base + self.rate * sums
        return np.clip(total, 0.0, 1.0).reshape(shape)

    def _packed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """The trees as complete binary trees of the ensemble's depth, built once: split features and thresholds
        flattened in (tree, heap order) and the leaf values (n_trees, 2**depth). A leaf above the full depth
        becomes splits whose every leaf holds its value."""
        packed = _PACKED.get(id(self))
        if packed is None or packed[0] is not self:

            def depth_of(tree: tuple[np.ndarray, ...], node: int = 0) -> int:
                left, right = tree[0], tree[1]
                if left[node] < 0:
                    return 0
                return 1 + max(depth_of(tree, int(left[node])), depth_of(tree, int(right[node])))

            depth = max(depth_of(tree) for tree in self.trees)
            splits = (1 << depth) - 1
            feature = np.zeros((len(self.trees), splits), dtype=np.int64)
            threshold = np.full((len(self.trees), splits), np.inf)
            leaves = np.zeros((len(self.trees), 1 << depth))
            for t, (left, right, feat, thresh, value) in enumerate(self.trees):
                stack = [(0, 0, 0)]  # (node of the tree, heap slot, level)
                while stack:
                    node, slot, level = stack.pop()
                    if level == depth:
                        leaves[t, slot - splits] = value[node]
                    elif left[node] < 0:  # a leaf above the full depth: both ways lead to its value
                        stack += [(node, 2 * slot + 1, level + 1), (node, 2 * slot + 2, level + 1)]
                    else:
                        feature[t, slot] = feat[node]
                        threshold[t, slot] = thresh[node]
                        stack += [
                            (int(left[node]), 2 * slot + 1, level + 1),
                            (int(right[node]), 2 * slot + 2, level + 1),
                        ]
            packed = (self, (feature.ravel(), threshold.ravel(), leaves, depth))
            _PACKED[id(self)] = packed
        return packed[1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "kind": "gradient-boosted regression trees (scikit-learn GradientBoostingRegressor, exported)",
            "features": list(self.features),
            "base": self.base,
            "rate": self.rate,
            "settings": self.settings,
            "stage2": self.stage2.as_dict() if self.stage2 is not None else None,
            "recall_map": (
                {"x": list(self.recall_map[0]), "y": list(self.recall_map[1])} if self.recall_map else None
            ),
            "trees": [
                {
                    "left": left.tolist(),
                    "right": right.tolist(),
                    "feature": feature.tolist(),
                    "threshold": [round(float(t), 8) for t in threshold],
                    "value": [round(float(v), 8) for v in value],
                }
                for left, right, feature, threshold, value in self.trees
            ],
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], source: str = "scorer file", expected: tuple[str, ...] = FEATURES
    ) -> PairScorer:
        version = data.get("format_version") if isinstance(data, dict) else None
        if version != FORMAT_VERSION:
            raise ValueError(
                f"{source}: local matcher scorer format version {version!r}, this rationalerm reads version "
                f"{FORMAT_VERSION}; refit it with `rationalerm calibrate` (or use the packaged one)"
            )
        features = tuple(data.get("features", ()))
        if features != expected:
            raise ValueError(
                f"{source}: the scorer was fitted on features {list(features)}, this rationalerm computes "
                f"{list(expected)}; refit it with `rationalerm calibrate`"
            )
        try:
            trees = tuple(
                (
                    np.asarray(t["left"], dtype=np.int64),
                    np.asarray(t["right"], dtype=np.int64),
                    np.asarray(t["feature"], dtype=np.int64),
                    np.asarray(t["threshold"], dtype=float),
                    np.asarray(t["value"], dtype=float),
                )
                for t in data["trees"]
            )
            stage2 = data.get("stage2")
            recall_map = data.get("recall_map")
            return cls(
                recall_map=(
                    (tuple(float(v) for v in recall_map["x"]), tuple(float(v) for v in recall_map["y"]))
                    if recall_map
                    else None
                ),
                base=float(data["base"]),
                stage2=cls.from_dict(stage2, source, STAGE2_FEATURES) if stage2 else None,
                rate=float(data["rate"]),
                trees=trees,
                features=features,
                settings=dict(data.get("settings", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{source}: not a local matcher scorer file ({exc!r})") from None


def load_scorer(path: str | Path | None = None) -> PairScorer:
    """The packaged scorer (``local_scorer.json``) or the one at ``path`` (e.g. written by ``calibrate``)."""
    if path is None:
        text = resources.files(__package__).joinpath(SCORER_FILE).read_text(encoding="utf-8")
        source = SCORER_FILE
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{source}: cannot read the calibration file ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not JSON (line {exc.lineno}: {exc.msg})") from None
    return PairScorer.from_dict(data, source)


DEFAULT_PARAMS = {
    "n_estimators": 250,
    "max_depth": 3,
    "learning_rate": 0.05,
    "subsample": 0.8,
    "min_samples_leaf": 25,
    "random_state": 0,
}


def stage2_features(pred: np.ndarray, assigned: np.ndarray, x: np.ndarray) -> np.ndarray:
    """:data:`STAGE2_FEATURES` of the assigned pairs: ``pred`` (n_human, n_model) first-stage scores after the
    gates, ``assigned`` (k, 2) the chosen (human, model) 0-based indexes, ``x`` the first-stage features."""
    f = {name: k for k, name in enumerate(FEATURES)}
    chosen = pred[assigned[:, 0], assigned[:, 1]] if len(assigned) else np.zeros(0)
    n_human = max(pred.shape[0], 1)
    out = np.zeros((len(assigned), len(STAGE2_FEATURES)))
    if not len(assigned):
        return out
    picked = x[assigned[:, 0], assigned[:, 1]]
    first_row = x[0]  # the model items' own features are the same in every row
    mean_len_m = float(first_row[:, f["len_m"]].mean())
    specific_share = float((first_row[:, f["specific_m"]] > 0).mean())
    k = len(assigned)
    # row k: every chosen score but the k-th, in list order (the same sums as deleting it)
    others = np.broadcast_to(chosen, (k, k))[~np.eye(k, dtype=bool)].reshape(k, k - 1)
    v = picked
    columns = (
        chosen,
        others.sum(axis=1) / n_human,
        (others >= 0.5).sum(axis=1) / n_human,
        (others > 0.05).sum(axis=1) / n_human,
        v[:, f["cos"]],
        v[:, f["cos_row_margin"]],
        v[:, f["side_same"]],
        v[:, f["token_overlap_h"]],
        v[:, f["n_human"]],
        float(picked[:, f["cos"]].mean()),
        float(picked[:, f["token_overlap_h"]].mean()),
        v[:, f["len_m"]],
        mean_len_m,
        specific_share,
        v[:, f["specific_m"]],
    )
    for column, value in enumerate(columns):
        out[:, column] = value
    return out


def fit_scorer(
    x: np.ndarray,
    y: np.ndarray,
    settings: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    features: tuple[str, ...] = FEATURES,
) -> PairScorer:
    """Fit the ensemble on pair features ``x`` (n, len(FEATURES)) and labelled pair scores ``y`` in [0, 1]
    (needs scikit-learn, a training-time dependency only)."""
    from sklearn.ensemble import GradientBoostingRegressor

    params = {**DEFAULT_PARAMS, **(params or {})}
    model = GradientBoostingRegressor(**params)
    model.fit(x, y)
    base = float(np.asarray(model.init_.constant_).ravel()[0])
    trees = []
    for estimator in model.estimators_[:, 0]:
        tree = estimator.tree_
        trees.append(
            (
                np.asarray(tree.children_left, dtype=np.int64),
                np.asarray(tree.children_right, dtype=np.int64),
                np.asarray(tree.feature, dtype=np.int64),
                np.asarray(tree.threshold, dtype=float),
                np.asarray(tree.value[:, 0, 0], dtype=float),
            )
        )
    data_hash = hashlib.sha256(
        np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes()
    ).hexdigest()
    return PairScorer(
        base=base,
        rate=float(params["learning_rate"]),
        trees=tuple(trees),
        features=features,
        settings={
            **(settings or {}),
            "params": params,
            "pairs": len(y),
            "data_sha256": data_hash,
        },
    )


__all__ = [
    "FEATURES",
    "FORMAT_VERSION",
    "ItemText",
    "PairScorer",
    "criticised_side",
    "fit_scorer",
    "item_text",
    "load_scorer",
    "pair_features",
    "side_evidence",
]
