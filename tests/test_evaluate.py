"""`evaluate`: matching, metrics beside outcome accuracy, the report folder, bad input, the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rationalerm.io import InputError
from rationalerm.matchers import Matcher, MatchOutcome, MatchRequest
from rationalerm.runs.evaluate import evaluate
from rationalerm.stats.consistency import optimal_matching

_SIDE = re.compile(r"\bresponse\s+(?:a|1)\b", re.I), re.compile(r"\bresponse\s+(?:b|2)\b", re.I)


def _canonical(text: str) -> str:
    text = _SIDE[0].sub("Response 1", text)
    return _SIDE[1].sub("Response 2", text).strip().lower()


class ExactMatcher:
    """A tiny deterministic matcher for workflow tests: identical reasons (A=1, B=2) score 1, others 0."""

    name = "exact"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def settings(self) -> dict[str, Any]:
        return {"rule": "identical after side normalization"}

    async def match(self, requests: Sequence[MatchRequest]) -> list[MatchOutcome]:
        self.calls.append(len(requests))
        out: list[MatchOutcome] = []
        for r in requests:
            matrix = np.array([[float(_canonical(h) == _canonical(m)) for m in r.model] for h in r.human])
            out.append(optimal_matching(matrix.reshape(len(r.human), len(r.model))))
        return out


def test_exact_matcher_satisfies_the_protocol() -> None:
    assert isinstance(ExactMatcher(), Matcher)


def sample_row(
    i: int, human: list[str], models: dict[str, tuple[list[str] | None, str | None]], **extra: Any
) -> dict:
    row: dict[str, Any] = {
        "id": f"s{i}",
        "domain": extra.pop("domain", "code"),
        "context": [{"role": "user", "content": f"question {i}"}],
        "response1": "r1",
        "response2": "r2",
        "human-checklist": human,
        **extra,
    }
    for name, (items, label) in models.items():
        if items is not None:
            row[f"{name}-checklist"] = items
        if label is not None:
            row[f"{name}-label"] = label
    return row


def write(path: Path, rows: list[object]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


H = [
    "Response 1 misses the edge case",
    "Response 2 uses the wrong formula",
    "Response 1 has a typo in line 3",
]


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    rows = [
        sample_row(
            1,
            H,
            {
                "good": (["Response A misses the edge case", "Response B uses the wrong formula"], "A>B"),
                "surface": (["Response A is longer", "Response B is shorter"], "A>B"),
            },
            label=1,
            domain="code",
        ),
        sample_row(
            2,
            H,
            {
                "good": (["Response B uses the wrong formula", "Response A has a typo in line 3"], "B>A"),
                "surface": (["Response A is nicer"], "A>B"),
            },
            label=1,
            domain="stem",
        ),
        sample_row(
            3,
            H,
            {"good": (None, None), "surface": (["Response A misses the edge case"], "A>>B")},
            label=1,
            domain="stem",
        ),
    ]
    return write(tmp_path / "data.jsonl", rows)


def test_scores_outcome_and_report_folder(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    matcher = ExactMatcher()
    report = evaluate(dataset, matcher=matcher, output_dir=out, n_resamples=200)
    by_model = {r.model: r for r in report.results}
    good, surface = by_model["good"], by_model["surface"]
    assert good.valid == 2 and good.skipped == 1 and good.skip_reasons == {"missing_checklist": 1}
    assert good.rationale_consistency == pytest.approx((2 / 3 + 2 / 3) / 2)
    assert surface.rationale_consistency == pytest.approx((0 + 0 + 1 / 3) / 3)
    assert good.outcome_accuracy == pytest.approx(1 / 2)  # row 3 has no label for "good"
    assert surface.outcome_accuracy == 1.0
    assert [r.model for r in report.results] == ["good", "surface"]  # sorted by rationale consistency

    summary = json.loads((out / "summary.json").read_text())
    first = summary["models"][0]
    for key in (
        "outcome_accuracy",
        "rationale_consistency",
        "precision",
        "recall",
        "f1",
        "average_precision",
        "n",
        "ci",
    ):
        assert key in first
    assert summary["provenance"]["matcher"] == "exact"
    assert summary["provenance"]["matcher_settings"] == {"rule": "identical after side normalization"}
    assert summary["provenance"]["rationalerm_version"]

    lines = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert len(lines) == 6  # one per (sample, model)
    row = next(x for x in lines if x["id"] == "s1" and x["model"] == "good")
    assert row["matching"] == [[1, 1, 1.0], [2, 2, 1.0], [3, 0, 0.0]]
    assert row["recall"] == pytest.approx(2 / 3) and row["outcome_correct"] is True
    skipped = next(x for x in lines if x["id"] == "s3" and x["model"] == "good")
    assert skipped["status"] == "skipped" and skipped["recall"] is None
    assert (out / "scatter.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_only_top_items_count_and_the_cut_is_configurable(tmp_path: Path) -> None:
    items = [f"Response A filler {k}" for k in range(5)] + ["Response A misses the edge case"]
    path = write(tmp_path / "d.jsonl", [sample_row(1, H, {"m": (items, "A>B")}, label=1)])
    capped = evaluate(path, matcher=ExactMatcher(), n_resamples=0).results[0]
    assert capped.rationale_consistency == 0.0
    uncapped = evaluate(path, matcher=ExactMatcher(), max_model_items=None, n_resamples=0).results[0]
    assert uncapped.rationale_consistency == pytest.approx(1 / 3)
    assert uncapped.precision == pytest.approx(1 / 6)


def test_reference_mode_skip_rules(tmp_path: Path) -> None:
    rows = [
        sample_row(1, H, {"m": ([f"x{k}" for k in range(11)], "A>B")}, label=1),
        sample_row(2, H, {"m": ([], "A>B")}, label=1),
        sample_row(3, H, {"m": (["Response A misses the edge case"], "A>B")}, label=1),
    ]
    path = write(tmp_path / "d.jsonl", rows)
    result = evaluate(path, matcher=ExactMatcher(), mode="reference", n_resamples=0).results[0]
    assert result.valid == 1
    assert result.skip_reasons == {"model_list_over_10": 1, "empty_model_list": 1}
    paper = evaluate(path, matcher=ExactMatcher(), n_resamples=0).results[0]
    assert paper.valid == 3  # paper mode scores them: a long list is cut, an empty one scores 0


def test_bad_rows_are_named_and_the_rest_runs(tmp_path: Path) -> None:
    good = sample_row(1, H, {"m": (["Response A misses the edge case"], "A>B")}, label=1)
    no_human = sample_row(2, H, {"m": (["x"], "A>B")})
    del no_human["human-checklist"]
    not_list = sample_row(3, H, {"m": (["x"], "A>B")})
    not_list["m-checklist"] = "Response A is better"
    path = write(tmp_path / "d.jsonl", [good, "{oops", no_human, not_list])
    report = evaluate(path, matcher=ExactMatcher(), n_resamples=0)
    messages = [str(p) for p in report.problems]
    assert any(m.startswith(f"{path}:2:") and "not valid JSON" in m for m in messages)
    assert any(m.startswith(f"{path}:3: field 'human-checklist': missing") for m in messages)
    assert any(m.startswith(f"{path}:4: field 'm-checklist'") for m in messages)
    assert report.results[0].valid == 1
    with pytest.raises(InputError, match=":2:"):
        evaluate(path, matcher=ExactMatcher(), strict=True)


def test_model_selection(dataset: Path) -> None:
    report = evaluate(dataset, matcher=ExactMatcher(), models=["SURFACE"], n_resamples=0)
    assert [r.model for r in report.results] == ["surface"]
    with pytest.raises(InputError, match="nope"):
        evaluate(dataset, matcher=ExactMatcher(), models=["nope"])


def test_duplicate_ids_are_an_error_naming_both_lines(tmp_path: Path) -> None:
    row = sample_row(1, H, {"m": (["Response A misses the edge case"], "A>B")}, label=1)
    other = sample_row(2, H, {"m": (["Response A misses the edge case"], "A>B")}, label=1)
    path = write(tmp_path / "d.jsonl", [row, other, row])
    with pytest.raises(InputError, match=r"duplicate id 's1': lines 1 and 3"):
        evaluate(path, matcher=ExactMatcher(), n_resamples=0)


@pytest.mark.parametrize("keep, used, left_out", [("first", 1, 3), ("last", 3, 1)])
def test_dedupe_uses_one_row_and_reports_the_other(
    tmp_path: Path, keep: str, used: int, left_out: int
) -> None:
    good = sample_row(1, H, {"m": (["Response A misses the edge case"], "A>B")}, label=1)
    wrong = sample_row(1, H, {"m": (["Response B is longer"], "B>A")}, label=1)
    other = sample_row(2, H, {"m": (["Response A misses the edge case"], "A>B")}, label=1)
    path = write(tmp_path / "d.jsonl", [good, other, wrong] if used == 1 else [wrong, other, good])
    seen: list = []
    report = evaluate(
        path, matcher=ExactMatcher(), n_resamples=0, dedupe=keep, strict=True, on_problem=seen.append
    )
    assert sorted(s.id for s in report.samples) == ["s1", "s2"]
    assert report.results[0].outcome_accuracy == 1.0  # the row used is the one asked for (both right)
    assert [(p.line, p.field, p.action) for p in seen] == [(left_out, "id", "left out")]
    assert [(p.line, p.action) for p in report.problems] == [(left_out, "left out")]


# ----------------------------------------------------------------------------------------------------------------
# The LLM matcher end to end, against the scripted judge server on 127.0.0.1


def test_evaluate_with_the_llm_matcher_over_http(dataset: Path, tmp_path: Path, judge_server) -> None:
    from typer.testing import CliRunner

    from rationalerm.cli import app

    out = tmp_path / "llm-run"
    secret = "sk-test-DO-NOT-LEAK-0123456789"
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(dataset),
            "--matcher",
            "llm",
            "--judge-model",
            "judge-x",
            "--base-url",
            judge_server.url,
            "--api-key",
            secret,
            "--output-dir",
            str(out),
            "--no-cache",
            "--bootstrap",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    # the scripted judge matches human i to model i with 1.0: 2 of 3 human items for each two-reason list
    summary = json.loads((out / "summary.json").read_text())
    by_model = {m["model"]: m for m in summary["models"]}
    assert by_model["good"]["rationale_consistency"] == pytest.approx(2 / 3)
    assert by_model["surface"]["n"] == 3
    settings = summary["provenance"]["matcher_settings"]
    assert settings["judge_model"] == "judge-x" and settings["prompt_version"].startswith("metajudge_v1")
    assert len(judge_server.requests) == 5  # 2 + 3 (sample, model) pairs with a checklist
    for path in out.iterdir():
        assert secret not in path.read_bytes().decode("utf-8", "replace")
    assert secret not in result.output


def test_evaluate_llm_matcher_needs_a_judge_model(dataset: Path) -> None:
    from typer.testing import CliRunner

    from rationalerm.cli import app

    result = CliRunner().invoke(app, ["evaluate", str(dataset), "--matcher", "llm"])
    assert result.exit_code == 2 and "--judge-model" in result.output


def test_parquet_and_json_inputs(dataset: Path, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in dataset.read_text().splitlines()]
    parquet = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    as_json = tmp_path / "d.json"
    as_json.write_text(json.dumps(rows))
    expected = [
        (r.model, r.valid, r.rationale_consistency) for r in evaluate(dataset, matcher=ExactMatcher()).results
    ]
    for path in (parquet, as_json):
        got = [
            (r.model, r.valid, r.rationale_consistency)
            for r in evaluate(path, matcher=ExactMatcher()).results
        ]
        assert got == expected
    with pytest.raises(InputError, match="no such file"):
        evaluate(tmp_path / "missing.jsonl", matcher=ExactMatcher())


def test_bundled_demo_shows_deceptive_alignment_with_the_local_matcher(tmp_path: Path) -> None:
    """`make demo`'s promise: similar outcome accuracy, clearly different rationale consistency."""
    pytest.importorskip("sentence_transformers")
    demo = Path(__file__).resolve().parents[1] / "examples" / "helpsteer3_atomic_demo.jsonl"
    report = evaluate(demo, output_dir=tmp_path / "demo", n_resamples=500)
    by_model = {r.model: r for r in report.results}
    grounded, mixed, surface = (by_model[f"judge-{k}"] for k in ("grounded", "mixed", "surface"))
    accuracies = [m.outcome_accuracy for m in (grounded, mixed, surface)]
    assert max(accuracies) - min(accuracies) <= 0.05  # type: ignore[operator]
    assert grounded.rationale_consistency > mixed.rationale_consistency + 0.2
    assert mixed.rationale_consistency > surface.rationale_consistency + 0.1
    # the intervals do not overlap: the difference is not noise
    assert grounded.summary.ci["recall"][0] > mixed.summary.ci["recall"][1]
    assert mixed.summary.ci["recall"][0] > surface.summary.ci["recall"][1]
    assert report.provenance["matcher"] == "local"
    assert report.provenance["matcher_settings"]
