"""Labelled matchings for the local matcher's pair scorer: reading them, the fixed train/test split, fitting, and
the quality figures on held-out units.

A *unit* is one (human list, model list) pair with its labelled one-to-one matching: one per judge of a row of the
public labelled layout (``../shared/data/matching/README.md``: ``model-<m>-checklist`` and ``gold[m]``), one per
row of ``local_devset.jsonl``, one per (sample, model) of a MetaJudge run (``calibrate``). The split is fixed by a
hash of the sample id, stratified by domain (:func:`split_ids`), so a sample's units are all on one side and the
same ids always land on the same side whatever else is in the file.

Figures (:func:`figures`), all on per-sample recall (paper mode, top 5): pooled Pearson r, mean within-model r,
MAE, the worst model-level error of mean recall (RC), false matches (human items labelled 0 that the matcher
matches at >= 0.5, over all such items) and trap hits (labelled trap items matched at >= 0.25, over all traps).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io import RowProblem, iter_jsonl
from ..records import Matching, parse_direction
from ..stats.consistency import paper_metrics
from .pair_scorer import side_or_none

PUBLIC_JUDGES = ("grounded", "partial", "superficial")


@dataclass(frozen=True, slots=True)
class Unit:
    """One labelled (human list, model list) pair."""

    sample: str
    domain: str
    model_name: str
    human: tuple[str, ...]
    model: tuple[str, ...]
    gold: Matching
    traps: tuple[int, ...] = ()
    responses: tuple[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    preference: int | None = None  # the better response by the human label (1 or 2), None when not known
    verdict: int | None = None  # ... and by the judge whose list this is

    @property
    def verdicts(self) -> tuple[int | None, int | None]:
        return self.preference, self.verdict


def match_unit(matcher: Any, unit: Unit) -> Matching:
    """``matcher``'s (a LocalMatcher's) matching of one unit, with everything the unit knows (responses, verdicts)."""
    return matcher.match_lists(
        unit.human, unit.model, unit.responses, preference=unit.preference, verdict=unit.verdict
    )


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: expected a list of strings")
    return tuple(value)


def _rows(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, row)`` of a JSONL file read by the one JSONL reader (:func:`rationalerm.io.iter_jsonl`: UTF-8 and
    JSON-array checks included); a line that is not a JSON object is an :class:`InputError` naming file and line."""
    for number, row in iter_jsonl(path):
        if isinstance(row, RowProblem):
            raise InputError(row)
        yield number, row


def read_public(path: str | Path) -> list[Unit]:
    """Units of a file in the public labelled layout (three judges per row)."""
    units = []
    for number, row in _rows(path):
        where = f"{path}:{number}"
        human = _strings(row.get("human-checklist"), f"{where}: human-checklist")
        responses = (str(row.get("response1", "")), str(row.get("response2", "")))
        for judge in PUBLIC_JUDGES:
            key = f"model-{judge}-checklist"
            if key not in row:
                continue
            model = _strings(row[key], f"{where}: {key}")
            triples = (row.get("gold") or {}).get(judge)
            if not isinstance(triples, list) or len(triples) != len(human):
                raise InputError(f"{where}: gold.{judge} needs one triple per human item")
            traps = (
                tuple(int(t) for t in row.get("superficial-trap-items", [])) if judge == "superficial" else ()
            )
            units.append(
                Unit(
                    sample=str(row["id"]),
                    domain=str(row.get("domain", "")),
                    model_name=judge,
                    human=human,
                    model=model,
                    gold=Matching.from_triples(triples, len(human), len(model)),
                    traps=traps,
                    responses=responses,
                    preference=side_or_none(parse_direction(row.get("label"))),
                    verdict=side_or_none(parse_direction(row.get(f"model-{judge}-label"))),
                )
            )
    return units


def read_devset_units(path: str | Path | None = None) -> list[Unit]:
    """Units of ``local_devset.jsonl`` (no responses; its hard negatives kept in ``extra``)."""
    from .local import load_devset

    return [
        Unit(
            sample=s.id,
            domain=s.domain,
            model_name="devset",
            human=tuple(s.human),
            model=tuple(s.model),
            gold=s.matching,
            extra={"split": s.split, "hard_negatives": s.hard_negatives},
        )
        for s in load_devset(path)
    ]


def id_hash(sample_id: str) -> float:
    """A number in [0, 1) fixed by the id alone."""
    return int(hashlib.sha256(sample_id.encode("utf-8")).hexdigest()[:12], 16) / 16**12


def split_ids(ids_by_domain: dict[str, Iterable[str]], test_share: float = 0.3) -> set[str]:
    """The test ids: in each domain, the ``test_share`` of ids with the lowest :func:`id_hash` (at least one)."""
    test: set[str] = set()
    for ids in ids_by_domain.values():
        ordered = sorted(set(ids), key=lambda i: (id_hash(i), i))
        test.update(ordered[: max(1, round(len(ordered) * test_share))])
    return test


def split_units(units: Sequence[Unit], test_share: float = 0.3) -> tuple[list[Unit], list[Unit]]:
    """(train, test) by :func:`split_ids` over the units' samples."""
    by_domain: dict[str, set[str]] = defaultdict(set)
    for unit in units:
        by_domain[unit.domain].add(unit.sample)
    test_ids = split_ids(by_domain, test_share)
    return [u for u in units if u.sample not in test_ids], [u for u in units if u.sample in test_ids]


def pair_labels(unit: Unit) -> np.ndarray:
    """The (n_human, n_model) labelled score of every pair: the gold score where the gold matching pairs them."""
    y = np.zeros((len(unit.human), len(unit.model)))
    for pair in unit.gold.pairs:
        if pair.model and pair.model <= len(unit.model):
            y[pair.human - 1, pair.model - 1] = pair.score
    return y


def training_arrays(matcher: Any, units: Sequence[Unit]) -> tuple[np.ndarray, np.ndarray]:
    """Pair features and labels of every pair of ``units`` (``matcher``: a LocalMatcher, for embeddings)."""
    matcher.embed(t for u in units for t in (*u.human, *u.model))
    xs, ys = [], []
    for unit in units:
        x = matcher.feature_array(
            unit.human, unit.model, unit.responses, preference=unit.preference, verdict=unit.verdict
        )
        xs.append(x.reshape(-1, x.shape[-1]))
        ys.append(pair_labels(unit).ravel())
    return np.concatenate(xs), np.concatenate(ys)


def fit_local(
    matcher: Any,
    units: Sequence[Unit],
    *,
    folds: int = 5,
    params: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> Any:
    """Fit the two-stage pair scorer on ``units`` (``matcher``: a LocalMatcher, for embeddings and gates).

    Stage 1 learns every pair's labelled score. Stage 2 learns, for the pairs the assignment chooses, the
    labelled score of the human item when the chosen model item is the labelled one (else 0), from stage-1
    scores predicted out of fold (``folds`` groups by a hash of the sample id), so it sees the errors stage 1
    makes on unseen samples. Needs scikit-learn."""
    from .local import assign, gated, stage2_inputs
    from .pair_scorer import FEATURES, STAGE2_FEATURES, fit_scorer

    if not units:
        raise InputError("no labelled matching to fit the local matcher on")
    matcher.embed(t for u in units for t in (*u.human, *u.model))
    # each unit's cosine, gate and pair features, computed once for the folds and the final fit
    inputs = [matcher._pair_inputs(u.human, u.model, u.responses, u.verdicts) for u in units]
    feats = [x for _, _, x in inputs]
    labels = [pair_labels(u) for u in units]
    fold_of = [int(id_hash(u.sample + "#fold") * folds) for u in units]
    x2, y2 = [], []
    oof: list[tuple[int, np.ndarray, Any, np.ndarray]] = []
    for k in range(folds):
        inside = [n for n in range(len(units)) if fold_of[n] != k]
        held = [n for n in range(len(units)) if fold_of[n] == k]
        if not inside or not held:
            continue
        scorer = fit_scorer(
            np.concatenate([feats[n].reshape(-1, len(FEATURES)) for n in inside]),
            np.concatenate([labels[n].ravel() for n in inside]),
            params=params,
        )
        for n in held:
            similarity, gate, x = inputs[n]
            if not similarity.size:
                continue
            graded = gated(scorer.predict(x), gate)
            chosen = assign(graded, similarity)
            assigned, features = stage2_inputs(graded, chosen, x)
            if not len(assigned):
                continue
            x2.append(features)
            y2.append(labels[n][assigned[:, 0], assigned[:, 1]])
            oof.append((n, graded, chosen, gate))
    stage1 = fit_scorer(
        np.concatenate([f.reshape(-1, len(FEATURES)) for f in feats]),
        np.concatenate([y.ravel() for y in labels]),
        settings=settings,
        params=params,
    )
    if x2:
        from dataclasses import replace

        stage2 = fit_scorer(np.concatenate(x2), np.concatenate(y2), params=params, features=STAGE2_FEATURES)
        stage1 = replace(stage1, stage2=stage2)
        # A monotone map of a list's recall to the labelled recall, fitted on the out-of-fold lists: it undoes the
        # shrinkage towards the mean that expected scores have (full lists under-scored, empty ones over-scored).
        from sklearn.isotonic import IsotonicRegression

        from .local import second_stage_scores

        predicted, wanted = [], []
        for n, graded, chosen, gate in oof:
            scores = second_stage_scores(stage2, graded, chosen, feats[n], gate)
            predicted.append(sum(scores.values()) / len(units[n].human))
            wanted.append(paper_metrics(units[n].gold).recall)
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(predicted, wanted)
        points = sorted(set(zip(iso.X_thresholds_.tolist(), iso.y_thresholds_.tolist(), strict=True)))
        stage1 = replace(stage1, recall_map=(tuple(p[0] for p in points), tuple(p[1] for p in points)))
    return stage1


def _pearson(a: Sequence[float], b: Sequence[float]) -> float:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def figures(units: Sequence[Unit], predicted: Sequence[Matching]) -> dict[str, Any]:
    """The goal figures of ``predicted`` matchings against the units' labels (see the module docstring)."""
    pred = [paper_metrics(m).recall for m in predicted]
    gold = [paper_metrics(u.gold).recall for u in units]
    by_model: dict[str, list[int]] = defaultdict(list)
    for k, unit in enumerate(units):
        by_model[unit.model_name].append(k)
    within = {}
    rc = {}
    for name, ks in sorted(by_model.items()):
        within[name] = _pearson([pred[k] for k in ks], [gold[k] for k in ks])
        rc[name] = (float(np.mean([pred[k] for k in ks])), float(np.mean([gold[k] for k in ks])))
    false_items = false_hits = trap_items = trap_hits = 0
    for unit, matching in zip(units, predicted, strict=True):
        gold_by_human = {p.human: p.score for p in unit.gold.pairs}
        for pair in matching.pairs:
            if gold_by_human.get(pair.human, 0.0) == 0:
                false_items += 1
                false_hits += int(pair.model > 0 and pair.score >= 0.5)
        matched = {p.model: p.score for p in matching.pairs if p.model}
        for trap in unit.traps:
            trap_items += 1
            trap_hits += int(matched.get(trap, 0.0) >= 0.25)
    within_values = [v for v in within.values() if v == v]
    return {
        "units": len(units),
        "samples": len({u.sample for u in units}),
        "pearson_r": _pearson(pred, gold),
        "within_model_r": float(np.mean(within_values)) if within_values else float("nan"),
        "within_model_r_by_model": within,
        "mae": float(np.mean(np.abs(np.asarray(pred) - np.asarray(gold)))) if units else float("nan"),
        "rc_by_model": rc,
        "worst_rc_error": max((abs(p - g) for p, g in rc.values()), default=float("nan")),
        "false_match_rate": false_hits / false_items if false_items else 0.0,
        "trap_hit_rate": trap_hits / trap_items if trap_items else 0.0,
        "recall_residual_sd": float(np.std(np.asarray(pred) - np.asarray(gold))) if units else float("nan"),
    }


def cross_validate(
    matcher: Any,
    units: Sequence[Unit],
    always: Sequence[Unit] = (),
    *,
    folds: int = 4,
    seed: str = "",
    params: dict[str, Any] | None = None,
) -> tuple[list[Unit], list[Matching]]:
    """Out-of-fold matchings of ``units`` (the development protocol: choices are made on these, never on the
    held-out part). Folds group samples by a hash of the sample id and ``seed``; each fold is matched by a scorer
    fitted (:func:`fit_local`) on the other folds plus ``always`` (units in every fit, e.g. the devset's ``tune``
    rows). ``matcher`` (a LocalMatcher) lends its encoder and gates; its own scorer is left as it was. Returns the
    units in the order matched and their matchings, for :func:`figures`."""
    from .pair_scorer import DEFAULT_PARAMS

    fold_of = {u.sample: int(id_hash(f"{u.sample}#cv{seed}") * folds) for u in units}
    saved = matcher.scorer
    matched: list[Unit] = []
    predicted: list[Matching] = []
    try:
        for k in range(folds):
            held = [u for u in units if fold_of[u.sample] == k]
            inside = [u for u in units if fold_of[u.sample] != k] + list(always)
            if not held or not inside:
                continue
            matcher.scorer = fit_local(matcher, inside, params={**DEFAULT_PARAMS, **(params or {})})
            matched += held
            predicted += [match_unit(matcher, u) for u in held]
    finally:
        matcher.scorer = saved
    return matched, predicted


def bootstrap_figures(
    units: Sequence[Unit],
    predicted: Sequence[Matching],
    *,
    reps: int = 1000,
    level: float = 0.9,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """The ``level`` percentile interval of each goal figure over ``reps`` resamples of the samples (a sample's
    lists are drawn together: they share the human checklist), so a held-out figure is read with its noise."""
    by_sample: dict[str, list[int]] = defaultdict(list)
    for k, unit in enumerate(units):
        by_sample[unit.sample].append(k)
    samples = sorted(by_sample)
    rng = np.random.default_rng(seed)
    drawn: dict[str, list[float]] = defaultdict(list)
    for _ in range(reps):
        ks = [k for s in rng.choice(len(samples), len(samples)) for k in by_sample[samples[s]]]
        f = figures([units[k] for k in ks], [predicted[k] for k in ks])
        for name in GOALS:
            if f[name] == f[name]:
                drawn[name].append(float(f[name]))
    tail = (1.0 - level) / 2 * 100
    return {
        name: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail)))
        for name, v in drawn.items()
        if v
    }


GOALS = {
    "pearson_r": (">=", 0.93),
    "within_model_r": (">=", 0.55),
    "mae": ("<=", 0.07),
    "worst_rc_error": ("<=", 0.05),
    "false_match_rate": ("<=", 0.05),
    "trap_hit_rate": ("<=", 0.10),
}


def meets(name: str, value: float) -> bool:
    op, goal = GOALS[name]
    return value >= goal if op == ">=" else value <= goal


def match_units(match: Callable[[Unit], Matching], units: Sequence[Unit]) -> list[Matching]:
    return [match(u) for u in units]


__all__ = [
    "GOALS",
    "PUBLIC_JUDGES",
    "Unit",
    "bootstrap_figures",
    "calibrate",
    "cross_validate",
    "figures",
    "fit_local",
    "id_hash",
    "match_unit",
    "meets",
    "pair_labels",
    "read_devset_units",
    "read_public",
    "read_runs",
    "split_ids",
    "split_units",
    "training_arrays",
]


def data_hash(units: Sequence[Unit]) -> str:
    """A hash of the units' texts and labels (recorded with a fitted scorer)."""
    digest = hashlib.sha256()
    for u in units:
        digest.update(
            json.dumps([u.sample, u.model_name, u.human, u.model, u.gold.triples()]).encode("utf-8")
        )
    return digest.hexdigest()


def fit_packaged(public: str | Path, out: str | Path, threads: int | None = 2) -> dict[str, Any]:
    """Fit the packaged scorer: the train part of ``public`` plus the devset's ``tune`` rows; the figures of the
    test part are measured and stored with it (``settings.heldout``). Returns those figures."""
    from .local import LocalMatcher
    from .pair_scorer import DEFAULT_PARAMS

    units = read_public(public)
    train, test = split_units(units)
    train = train + [u for u in read_devset_units() if u.extra.get("split") == "tune"]
    matcher = LocalMatcher(scorer=None, threads=threads)
    settings = {
        "source": "public labelled matchings (train part) + local_devset.jsonl (tune)",
        "split": "sha256(sample id), lowest 30% per domain held out",
        "train_units": len(train),
        "train_samples": len({u.sample for u in train}),
        "train_data_sha256": data_hash(train),
        "test_data_sha256": data_hash(test),
        "encoder": matcher.calibration.model,
    }
    scorer = fit_local(matcher, train, settings=settings, params=dict(DEFAULT_PARAMS))
    matcher.scorer = scorer
    heldout = figures(test, [match_unit(matcher, u) for u in test])
    from dataclasses import replace

    heldout = json.loads(json.dumps(heldout).replace("NaN", "null"))  # strict JSON: an undefined r is null
    scorer = replace(scorer, settings={**scorer.settings, "heldout": heldout})
    Path(out).write_text(json.dumps(scorer.as_dict(), separators=(",", ":")) + "\n", encoding="utf-8")
    return heldout


if __name__ == "__main__":  # python -m rationalerm.matchers.training PUBLIC.jsonl OUT.json
    import sys

    print(json.dumps(fit_packaged(sys.argv[1], sys.argv[2]), indent=1))


# --------------------------------------------------------------------------------------------------------------
# Calibration to a user's own LLM MetaJudge runs


@dataclass(slots=True)
class RunUnits:
    """What :func:`read_runs` found: the labelled units and the rows it left out, each with its reason."""

    units: list[Unit]
    skipped: list[str]  # "file:line: reason"
    judges: set[str]


def _run_files(paths: Sequence[str | Path]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.jsonl") if p.is_file())
            if not found:
                raise InputError(f"{path}: no .jsonl run file in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return files


def read_runs(paths: Sequence[str | Path], model: str | None = None, max_model_items: int = 5) -> RunUnits:
    """Units from the output files of ``rationalerm judge`` (or the released MetaJudge scripts' layout): the
    judged input row in ``metadata``, the judge's matching in the ``rationalerm`` block (or parsed from
    ``samples[0].generated_text``). The model is the block's ``model`` or ``model`` (needed for files without the
    block). Rows whose judging failed are left out and listed; a row that cannot be read is an error naming its
    file, line and field."""
    from ..parse import ParseFailure, parse_metajudge
    from ..records import RecordError, find_key, human_label_of, model_keys, read_metajudge_row

    units: list[Unit] = []
    skipped: list[str] = []
    judges: set[str] = set()
    for path in _run_files(paths):
        for number, row in _rows(path):
            where = f"{path}:{number}"
            try:
                metadata, text, _ = read_metajudge_row(row)
            except RecordError as exc:
                raise InputError(f"{where}: {exc}") from None
            block = row.get("rationalerm") if isinstance(row.get("rationalerm"), dict) else {}
            judged = block.get("model") or model
            if not judged:
                raise InputError(
                    f"{where}: no rationalerm.model in the row; name the judged model with --model"
                )
            provenance = block.get("provenance") if isinstance(block.get("provenance"), dict) else {}
            if provenance.get("judge_model"):
                judges.add(str(provenance["judge_model"]))
            human_key = find_key(metadata, "human-checklist")
            human = metadata.get(human_key) if human_key else None
            checklist = metadata.get(model_keys(metadata, str(judged)).checklist)
            if not isinstance(human, list) or not all(isinstance(h, str) for h in human) or not human:
                raise InputError(f"{where}: metadata.human-checklist: missing or not a list of strings")
            if not isinstance(checklist, list) or not all(isinstance(m, str) for m in checklist):
                raise InputError(f"{where}: metadata.{judged}-checklist: missing or not a list of strings")
            sent = block.get("model_items_sent")
            n_model = (
                int(sent) if isinstance(sent, int) and sent >= 0 else min(len(checklist), max_model_items)
            )
            if block and block.get("status") not in (None, "ok"):
                skipped.append(
                    f"{where}: judging {block.get('status')} ({block.get('reason') or 'no reason'})"
                )
                continue
            triples = block.get("matching")
            if isinstance(triples, list):
                try:
                    gold = Matching.from_triples(triples, len(human), n_model)
                except (TypeError, ValueError):
                    raise InputError(
                        f"{where}: rationalerm.matching: not [human, model, score] triples"
                    ) from None
            else:
                parsed = parse_metajudge(text, len(human), n_model)
                if isinstance(parsed, ParseFailure):
                    skipped.append(f"{where}: the judge's answer does not parse ({parsed.reason})")
                    continue
                gold = parsed
            for pair in gold.pairs:
                if not (
                    1 <= pair.human <= len(human) and 0 <= pair.model <= n_model and 0 <= pair.score <= 1
                ):
                    raise InputError(f"{where}: matching: triple {list(pair)} out of range")
            sample_id = str(metadata.get("id") or metadata.get("sample_id") or f"{path.name}:{number}")
            units.append(
                Unit(
                    sample=sample_id,
                    domain=str(metadata.get("domain") or ""),
                    model_name=str(judged),
                    human=tuple(human),
                    model=tuple(checklist[:n_model]),
                    gold=gold,
                    responses=(
                        str(metadata.get("response1") or ""),
                        str(metadata.get("response2") or ""),
                    ),
                    preference=side_or_none(human_label_of(metadata)),
                    verdict=side_or_none(
                        parse_direction(metadata.get(model_keys(metadata, str(judged)).label))
                    ),
                )
            )
    return RunUnits(units, skipped, judges)


@dataclass(frozen=True, slots=True)
class CalibrationResult:
    """A scorer fitted to a judge's matchings, with its held-out agreement and the packaged scorer's."""

    scorer: Any
    heldout: dict[str, Any]
    packaged_heldout: dict[str, Any]
    train_units: int
    test_units: int


MIN_TRAIN_SAMPLES = 8


def calibrate(
    runs: RunUnits, *, matcher: Any = None, test_share: float = 0.3, params: dict[str, Any] | None = None
) -> CalibrationResult:
    """Fit the local matcher's scorer to the judge's matchings of ``runs``: train on the hash-split train part,
    measure agreement with the judge on the rest (and the packaged scorer's, for comparison)."""
    from dataclasses import replace

    from .local import LocalMatcher
    from .pair_scorer import DEFAULT_PARAMS

    train, test = split_units(runs.units, test_share)
    if len({u.sample for u in train}) < MIN_TRAIN_SAMPLES or not test:
        raise InputError(
            f"calibration needs at least {MIN_TRAIN_SAMPLES} judged samples to fit on and some to test on; "
            f"the runs hold {len({u.sample for u in runs.units})} usable samples"
        )
    matcher = matcher or LocalMatcher(threads=2)
    packaged = matcher.scorer
    packaged_figures = figures(test, [match_unit(matcher, u) for u in test])
    settings = {
        "source": "rationalerm calibrate (the user's LLM MetaJudge runs)",
        "judges": sorted(runs.judges),
        "models": sorted({u.model_name for u in runs.units}),
        "split": f"sha256(sample id), lowest {test_share:.0%} per domain held out",
        "train_units": len(train),
        "train_samples": len({u.sample for u in train}),
        "train_data_sha256": data_hash(train),
        "test_data_sha256": data_hash(test),
        "encoder": matcher.calibration.model,
    }
    try:
        scorer = fit_local(matcher, train, settings=settings, params={**DEFAULT_PARAMS, **(params or {})})
        matcher.scorer = scorer
        heldout = figures(test, [match_unit(matcher, u) for u in test])
    finally:
        matcher.scorer = packaged
    heldout = json.loads(json.dumps(heldout).replace("NaN", "null"))
    scorer = replace(scorer, settings={**scorer.settings, "heldout": heldout})
    return CalibrationResult(scorer, heldout, packaged_figures, len(train), len(test))
