"""`agree`: two evaluate runs of the same models, joined per model and per (sample, model)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from rationalerm.cli import app
from rationalerm.io import InputError
from rationalerm.matchers import MatchOutcome, MatchRequest
from rationalerm.runs.agree import agree, load_evaluate_run
from rationalerm.runs.evaluate import evaluate
from rationalerm.stats.consistency import optimal_matching
from rationalerm.stats.paired import agreement
from test_evaluate import ExactMatcher, _canonical

DATA = Path(__file__).parent / "fixtures" / "report" / "judged.jsonl"


class ScaledMatcher:
    """Like ExactMatcher, but an identical reason scores ``factor`` (a stricter evaluator, for agreement tests)."""

    name = "scaled"

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def settings(self) -> dict[str, Any]:
        return {"factor": self.factor}

    async def match(self, requests: Sequence[MatchRequest]) -> list[MatchOutcome]:
        out: list[MatchOutcome] = []
        for r in requests:
            matrix = np.array(
                [[self.factor * float(_canonical(h) == _canonical(m)) for m in r.model] for h in r.human]
            )
            out.append(optimal_matching(matrix.reshape(len(r.human), len(r.model))))
        return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("agree")
    exact, strict = root / "exact", root / "strict"
    evaluate(DATA, matcher=ExactMatcher(), output_dir=exact, n_resamples=100, plot=False)
    evaluate(DATA, matcher=ScaledMatcher(0.5), output_dir=strict, n_resamples=100, plot=False)
    return exact, strict


def test_agreement_of_a_proportional_evaluator(runs: tuple[Path, Path]) -> None:
    exact, strict = runs
    result = agree(exact, strict)
    by_model = {p["model"]: p for p in result.models}
    assert set(by_model) == {"grounded", "surface", "mixed<i>"}
    assert by_model["grounded"]["a"] == pytest.approx((5 * 2 / 3 + 2 / 4) / 6)
    assert by_model["grounded"]["b"] == pytest.approx(by_model["grounded"]["a"] / 2)
    stats = result.per_model
    assert (
        stats.n == 3
        and stats.slope == pytest.approx(0.5)
        and stats.intercept == pytest.approx(0.0, abs=1e-12)
    )
    assert stats.r2 == pytest.approx(1.0) and stats.spearman == pytest.approx(1.0)
    assert stats.rmse == pytest.approx(
        float(np.sqrt(np.mean([(p["b"] - p["a"]) ** 2 for p in result.models])))
    )
    assert result.per_sample.n == 18  # 6 samples x 3 models, all scored in both runs
    assert result.per_sample.pearson == pytest.approx(1.0)
    assert result.per_sample_by_model["surface"].pearson is None  # all zeros: undefined, not a number
    assert result.only_a == [] and result.only_b == [] and result.notes == []


def test_agreement_with_itself_is_perfect(runs: tuple[Path, Path]) -> None:
    exact, _ = runs
    result = agree(exact, exact, metric="average_precision")
    assert result.per_model.rmse == 0.0 and result.per_model.slope == pytest.approx(1.0)
    assert result.per_sample.rmse == 0.0
    with pytest.raises(ValueError, match="unknown metric"):
        agree(exact, exact, metric="accuracy")


def test_partial_overlap_is_reported(runs: tuple[Path, Path], tmp_path: Path) -> None:
    exact, _ = runs
    one = tmp_path / "one"
    evaluate(DATA, matcher=ExactMatcher(), models=["grounded"], output_dir=one, n_resamples=0, plot=False)
    result = agree(exact, one)
    assert [p["model"] for p in result.models] == ["grounded"]
    assert sorted(result.only_a) == ["mixed<i>", "surface"]
    assert any("at least 3" in note for note in result.notes)
    assert result.per_model.slope is None and result.per_sample.n == 6


def test_runs_on_different_inputs_get_a_note(runs: tuple[Path, Path], tmp_path: Path) -> None:
    exact, _ = runs
    other = tmp_path / "other.jsonl"
    shutil.copy(DATA, other)
    moved = tmp_path / "moved"
    evaluate(other, matcher=ExactMatcher(), output_dir=moved, n_resamples=0, plot=False)
    result = agree(exact, moved)
    assert any("different inputs" in note for note in result.notes)
    assert result.per_sample.n == 18  # ids still join


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not an evaluate run folder"):
        load_evaluate_run(tmp_path)
    (tmp_path / "summary.json").write_text('{"something": 1}')
    with pytest.raises(InputError, match="not an evaluate summary"):
        load_evaluate_run(tmp_path)


def test_agree_command(runs: tuple[Path, Path], tmp_path: Path) -> None:
    exact, strict = runs
    out, plot = tmp_path / "agreement.json", tmp_path / "agreement.png"
    result = CliRunner().invoke(
        app, ["agree", str(exact), str(strict), "--output", str(out), "--plot", str(plot)]
    )
    assert result.exit_code == 0, result.output
    assert "Spearman" in result.output and "per sample, all models" in result.output
    data = json.loads(out.read_text())
    assert data["per_model"]["slope"] == pytest.approx(0.5)
    assert data["run_a"]["matcher"] == "exact" and data["run_b"]["matcher"] == "scaled"
    assert data["per_sample"]["n"] == 18
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert agreement([p["a"] for p in data["models"]], [p["b"] for p in data["models"]]).r2 == pytest.approx(
        1.0
    )


def test_agree_command_errors(runs: tuple[Path, Path], tmp_path: Path) -> None:
    exact, _ = runs
    missing = CliRunner().invoke(app, ["agree", str(exact), str(tmp_path)])
    assert missing.exit_code == 1 and "not an evaluate run folder" in missing.output
    bad_metric = CliRunner().invoke(app, ["agree", str(exact), str(exact), "--metric", "nope"])
    assert bad_metric.exit_code == 2
