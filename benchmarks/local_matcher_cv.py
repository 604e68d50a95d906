"""The local matcher's development figures: cross-validation inside the train part of the public labelled matchings.

Choices of features, rules and settings are made on these figures, never on the held-out part (which
``benchmarks/local_matcher.py`` reports). The train part (the fixed split of
:func:`rationalerm.matchers.training.split_units`) is cut into ``--folds`` folds by a hash of the sample id and a
seed; each fold is matched by a scorer fitted on the other folds plus the devset's ``tune`` rows
(:func:`rationalerm.matchers.training.cross_validate`). One seed's figures move by about as much as most single
changes do (within-model r by 0.04-0.09), so compare changes over several ``--seeds``; the table prints each seed and
the mean. About 45 s a seed on 2 cores.

Usage::

    .venv/bin/python benchmarks/local_matcher_cv.py [--data PUBLIC.jsonl] [--seeds 1,2] [--folds 4] [--threads 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from rationalerm.matchers.local import LocalMatcher
from rationalerm.matchers.training import (
    GOALS,
    cross_validate,
    figures,
    read_devset_units,
    read_public,
    split_units,
)

DEFAULT_DATA = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "matching" / "public_labelled.jsonl"
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labelled matchings (public layout)")
    parser.add_argument("--seeds", default="1,2", help="fold seeds, comma-separated")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"cross-validation: skipped, no labelled data at {args.data} (pass --data)")
        return
    train, _ = split_units(read_public(args.data))
    tune = [u for u in read_devset_units() if u.extra.get("split") == "tune"]
    matcher = LocalMatcher(scorer=None, threads=args.threads)
    seeds = [s.strip() for s in args.seeds.split(",") if s.strip()]
    rows: dict[str, list[float]] = {name: [] for name in GOALS}
    start = time.perf_counter()
    for seed in seeds:
        units, predicted = cross_validate(matcher, train, tune, folds=args.folds, seed=seed)
        found = figures(units, predicted)
        for name in GOALS:
            rows[name].append(found[name])
    print(
        f"cross-validation inside the train part of {args.data.name}: {len(train)} lists of "
        f"{len({u.sample for u in train})} samples (+ {len(tune)} devset tune rows in every fit), "
        f"{args.folds} folds, seeds {', '.join(seeds)}, {time.perf_counter() - start:.0f} s"
    )
    print(f"{'figure':<18}" + "".join(f"{'seed ' + s:>10}" for s in seeds) + f"{'mean':>10}{'goal':>10}")
    for name, (op, goal) in GOALS.items():
        values = rows[name]
        cells = "".join(f"{v:>10.3f}" for v in values)
        print(f"{name:<18}{cells}{float(np.nanmean(values)):>10.3f}{op + ' ' + str(goal):>10}")


if __name__ == "__main__":
    main()
