"""The local matcher's quality on held-out labelled matchings, and its throughput on 1,000 samples.

Quality (skipped with a note when the data is absent): the held-out part of the public labelled matchings
(``../shared/data/matching/public_labelled.jsonl``; the fixed split of :func:`rationalerm.matchers.training.split_units`,
the part the packaged scorer was never fitted on), scored by three matchers: a naive cosine of the raw texts graded by
the packaged thresholds then Hungarian (no side or polarity rules), the threshold grader with the side and polarity
gates (the matcher before the learned scorer), and the packaged learned scorer. The figures are those of
:func:`rationalerm.matchers.training.figures`, beside the goals of issue 20.

Throughput: samples of HelpSteer3-Atomic size, model load included, built the way a real evaluation looks:
``--prompts`` distinct preference pairs, each with its own human list (3-6 items, about 4.4 on average) judged by
``--models`` models, each giving 5 reasons, so one human list is shared by all models of a prompt. Every string is
composed from varied parts (domains, artifacts, defects, consequences), so nearly all of them are distinct and the
embedding cache does not make the run trivial; a small share of model reasons are the generic, repeated ones real
judges produce ("Response B is more detailed").

Goal: 1,000 samples in at most 60 s on a 2-core CPU machine, including model load (at least 20 samples/s).

Usage::

    .venv/bin/python benchmarks/local_matcher.py [--data PUBLIC.jsonl] [--prompts 250 --models 4] [--threads 2]
        [--batch-size 32] [--backend auto|onnxruntime|sentence-transformers] [--skip-speed] [--skip-quality]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from rationalerm.matchers import MatchRequest, match_sync
from rationalerm.matchers.local import LocalMatcher

GOAL_SECONDS = 60.0
DEFAULT_DATA = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "matching" / "public_labelled.jsonl"
)

ARTIFACTS = [
    "SQL query",
    "Python function",
    "regular expression",
    "proof",
    "derivation",
    "translation",
    "summary",
    "itinerary",
    "email draft",
    "bash script",
    "React component",
    "unit test",
    "Dockerfile",
    "essay outline",
    "recipe",
    "cover letter",
    "Rust code",
    "probability calculation",
    "chemical equation",
    "poem",
    "lesson plan",
    "budget table",
    "API example",
    "workout plan",
    "legal explanation",
    "product description",
    "Java class",
    "statistical analysis",
    "grammar explanation",
    "historical account",
]
DEFECTS = [
    "omits the {x}",
    "misstates the {x}",
    "ignores the user's constraint on the {x}",
    "gets the {x} wrong",
    "uses an outdated {x}",
    "never explains the {x}",
    "confuses the {x} with the {y}",
    "repeats the {x} twice",
    "invents a {x} that does not exist",
    "drops the {x} required by the prompt",
    "handles the {x} correctly",
    "explains the {x} step by step",
    "keeps the {x} the user asked for",
    "adds a useful note on the {x}",
]
THINGS = [
    "GROUP BY clause",
    "edge case for empty input",
    "off-by-one boundary",
    "final answer",
    "unit conversion",
    "formal register",
    "word limit",
    "date of the event",
    "error handling",
    "rhyme scheme",
    "dependency order",
    "base case",
    "sign of the acceleration",
    "sample space",
    "negation in the second sentence",
    "price in euros",
    "time complexity",
    "null values",
    "character encoding",
    "citation",
    "opening hours",
    "file permissions",
    "chain rule",
    "molar mass",
    "significance level",
    "honorific form",
    "loop variable",
    "return type",
    "budget limit",
    "safety warning",
    "idiom in the last line",
    "main argument",
    "list of ingredients",
]
CONSEQUENCES = [
    "",
    ", so the result is wrong",
    ", which the user explicitly asked for",
    ", so the answer is incomplete",
    ", which makes it fail on real data",
    ", so the reader is misled",
    ", as the prompt required",
    ", which changes the meaning",
    ", so the numbers do not add up",
    ", making it easier to follow",
]
GENERIC = [
    "Response {s} is more detailed and well-formatted.",
    "Response {s} has a friendlier tone.",
    "Response {s} is more concise.",
    "Response {s} is more helpful overall.",
    "Response {s} is better organized.",
    "Response {s} is easier to read.",
    "Response {s} is more accurate.",
    "Response {s} is longer.",
    "Response {s} follows the instructions better.",
    "Response {s} is more professional.",
]


def _item(rng: random.Random, side: str) -> str:
    thing, other = rng.sample(THINGS, 2)
    defect = rng.choice(DEFECTS).format(x=thing, y=other)
    return f"Response {side}'s {rng.choice(ARTIFACTS)} {defect}{rng.choice(CONSEQUENCES)}."


def build_requests(prompts: int, models: int, seed: int = 0) -> list[MatchRequest]:
    """``prompts * models`` requests: human lists of 3-6 items (mean about 4.4) shared by the models of a prompt,
    model lists of 5 reasons, about 15% of them generic."""
    rng = random.Random(seed)
    requests = []
    for p in range(prompts):
        n_human = rng.choices([3, 4, 5, 6], weights=[0.2, 0.35, 0.25, 0.2])[0]
        human = [_item(rng, rng.choice("12")) for _ in range(n_human)]
        for m in range(models):
            model = [
                rng.choice(GENERIC).format(s=rng.choice("AB"))
                if rng.random() < 0.15
                else _item(rng, rng.choice("AB"))
                for _ in range(5)
            ]
            requests.append(MatchRequest(key=f"p{p}/m{m}", human=human, model=model))
    return requests


def naive_matchings(matcher: LocalMatcher, units) -> list:
    """Cosine of the raw texts (no side neutralisation, no gates) graded by the packaged thresholds, Hungarian."""
    import numpy as np

    from rationalerm.stats.consistency import optimal_matching

    if matcher._encoder is None:
        matcher.embed(["load the encoder"])
    texts = sorted({t for u in units for t in (*u.human, *u.model)})
    vectors = dict(zip(texts, matcher._encoder(texts), strict=True))
    out = []
    for u in units:
        cos = np.array([[float(vectors[h] @ vectors[m]) for m in u.model] for h in u.human])
        graded = matcher.calibration.grade(cos)
        out.append(optimal_matching(np.where(graded > 0, graded + 1e-3 * cos, 0.0)))
    return out


def quality(data: Path, threads: int | None) -> None:
    from rationalerm.matchers.training import (
        GOALS,
        bootstrap_figures,
        figures,
        match_unit,
        read_public,
        split_units,
    )

    if not data.is_file():
        print(f"quality: skipped, no labelled data at {data} (pass --data)")
        return
    _, test = split_units(read_public(data))
    learned = LocalMatcher(threads=threads)
    threshold = LocalMatcher(threads=threads, scorer=None)
    threshold._encoder = learned._encoder
    learned_matchings = [match_unit(learned, u) for u in test]
    columns = {
        "naive cosine + Hungarian": figures(test, naive_matchings(learned, test)),
        "threshold grader + gates": figures(test, [match_unit(threshold, u) for u in test]),
        "learned scorer (packaged)": figures(test, learned_matchings),
    }
    interval = bootstrap_figures(test, learned_matchings)
    print(
        f"quality on the held-out part of {data.name}: {len(test)} lists of {len({u.sample for u in test})} samples"
    )
    names = list(columns)
    print(
        f"{'figure':<18}" + "".join(f"{n:>28}" for n in names) + f"{'learned, 90% bootstrap':>24}{'goal':>10}"
    )
    for figure, (op, goal) in GOALS.items():
        cells = []
        for n in names:
            value = columns[n][figure]
            cells.append(f"{'n/a' if value != value else f'{value:.3f}':>28}")
        low, high = interval.get(figure, (float("nan"), float("nan")))
        cells.append(f"{f'{low:.3f} - {high:.3f}':>24}")
        print(f"{figure:<18}" + "".join(cells) + f"{op + ' ' + str(goal):>10}")
    print(
        "  (the bootstrap draws the held-out samples with replacement, 1,000 times: how far each figure moves"
    )
    print("   with which samples happen to be held out)")
    for n in names:
        rc = ", ".join(f"{m} {p:.3f} vs {g:.3f}" for m, (p, g) in columns[n]["rc_by_model"].items())
        print(f"  RC by model, {n}: {rc}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prompts", type=int, default=250, help="distinct human lists")
    parser.add_argument(
        "--models", type=int, default=4, help="models judged per prompt (share the human list)"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: the backend's own)")
    parser.add_argument(
        "--backend",
        choices=("auto", "onnxruntime", "sentence-transformers"),
        default="auto",
        help="encoder backend (auto: ONNX Runtime when installed)",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labelled matchings (public layout)")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    if not args.skip_quality:
        quality(args.data, args.threads)
    if args.skip_speed:
        return

    requests = build_requests(args.prompts, args.models)
    strings = {t for r in requests for t in (*r.human, *r.model)}
    n_human = sum(len(r.human) for r in requests) / len(requests)
    print(
        f"{len(requests)} samples ({args.prompts} prompts x {args.models} models), {n_human:.2f} human items and "
        f"5 model items per sample, {len(strings)} distinct strings"
    )
    start = time.perf_counter()
    matcher = LocalMatcher(batch_size=args.batch_size, threads=args.threads, backend=args.backend)
    matcher.embed(["warm-up: load the model"])  # the load is timed too; it is just reported apart
    loaded = time.perf_counter()
    outcomes = match_sync(matcher, requests)
    done = time.perf_counter()
    assert len(outcomes) == len(requests)
    wall = done - start
    print(
        f"model load {loaded - start:.1f} s ({matcher.encoder_backend}), matching {done - loaded:.1f} s, "
        f"embedded {matcher.encoded_strings} strings"
    )
    print(
        f"wall time {wall:.1f} s, {len(requests) / wall:.1f} samples/s, {wall / GOAL_SECONDS:.2f} of the {GOAL_SECONDS:.0f} s goal"
    )


if __name__ == "__main__":
    main()
