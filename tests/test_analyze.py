"""`analyze` on files in the released inference output layout: both modes, bad input, the CLI."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rationalerm.cli import app
from rationalerm.io import InputError
from rationalerm.runs.analyze import analyze

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def answer(*lines: str) -> str:
    return (
        "Reasoning.\n<RESULT_START>\nScores corresponding to claims:\n" + "\n".join(lines) + "\n<RESULT_END>"
    )


def row(model: str, human: list[str], items: list[str], text: str | None, **meta: object) -> dict:
    metadata = {"human-checklist": human, f"{model}-checklist": items, **meta}
    samples = [] if text is None else [{"generated_text": text}]
    return {"prompt": "p", "samples": samples, "status": "success", "metadata": metadata}


def write(path: Path, rows: list[object]) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for r in rows:
            handle.write(r if isinstance(r, str) else json.dumps(r))
            handle.write("\n")
    return path


H3 = ["h1", "h2", "h3"]


def test_paper_and_reference_on_a_hand_computed_file(tmp_path: Path) -> None:
    rows = [
        # the two human items share S1: paper resolves one-to-one, reference does not
        row("m", H3, ["a", "b"], answer("- R1@S1: 1.0", "- R2@S1: 0.5", "- R3@S2: 0.25"), domain="code"),
        row("m", H3, ["a", "b", "c"], answer("- R1@S0: 0", "- R2@S3: 1", "- R3@S0: 0"), domain="stem"),
    ]
    path = write(tmp_path / "run.jsonl", rows)
    paper = analyze([path], n_resamples=0).results[0]
    assert paper.model == "m" and paper.valid == 2
    # sample 1: S1 -> R1 (1.0), R2 unmatched, S2 -> R3 (0.25): recall 1.25/3; sample 2: recall 1/3
    assert paper.recall == pytest.approx((1.25 / 3 + 1 / 3) / 2)
    assert paper.precision == pytest.approx((1.25 / 2 + 1 / 3) / 2)
    reference = analyze([path], mode="reference", n_resamples=0).results[0]
    assert reference.recall == pytest.approx((1.75 / 3 + 1 / 3) / 2)
    assert reference.precision == pytest.approx((1.25 / 2 + 1 / 3) / 2)
    assert set(paper.by_domain) == {"code", "stem"}
    assert paper.by_domain["stem"].recall == pytest.approx(1 / 3)


def test_outcome_accuracy_from_labels(tmp_path: Path) -> None:
    rows = [
        row("m", H3, ["a"], answer("- R1@S1: 1", "- R2@S0: 0", "- R3@S0: 0"), label=1, **{"m-label": "A>B"}),
        row("m", H3, ["a"], answer("- R1@S1: 1", "- R2@S0: 0", "- R3@S0: 0"), label=2, **{"m-label": "A>>B"}),
        row(
            "m",
            H3,
            ["a"],
            answer("- R1@S1: 1", "- R2@S0: 0", "- R3@S0: 0"),
            overall_preference=2,
            **{"m-label": "\\boxed{B>A}"},
        ),
    ]
    result = analyze([write(tmp_path / "r.jsonl", rows)], n_resamples=0).results[0]
    assert result.outcome_n == 3
    assert result.outcome_accuracy == pytest.approx(2 / 3)


def test_reference_skip_rules_and_counts(tmp_path: Path) -> None:
    good = answer("- R1@S1: 1", "- R2@S0: 0", "- R3@S0: 0")
    rows = [
        row("m", H3, ["a"], good),
        row("m", H3, [f"x{i}" for i in range(11)], good),  # > 10 model items: skipped
        row("m", H3, [], good),  # empty model list: skipped
        row("m", H3, ["a"], answer("- R1@S1: 1")),  # wrong number of lines: failed
        row("m", H3, ["a"], "no tags"),  # failed
        row("m", H3, ["a"], None),  # no answer: failed
        row("m", H3, ["a"], answer("- R1@S1: 1.2", "- R2@S0: 0", "- R3@S0: 0")),  # out of range: failed
    ]
    result = analyze([write(tmp_path / "r.jsonl", rows)], mode="reference", n_resamples=0).results[0]
    assert result.valid == 1
    assert result.skip_reasons == {"model_list_over_10": 1, "empty_model_list": 1}
    assert result.failure_reasons == {
        "wrong_line_count": 1,
        "no_result_block": 1,
        "no_answer": 1,
        "score_out_of_range": 1,
    }
    assert result.recall == pytest.approx(1 / 3)


def test_bad_rows_are_named_and_the_others_still_count(tmp_path: Path) -> None:
    good = row("m", H3, ["a"], answer("- R1@S1: 1", "- R2@S0: 0", "- R3@S0: 0"))
    no_human = row("m", H3, ["a"], answer("- R1@S1: 1"))
    del no_human["metadata"]["human-checklist"]
    not_strings = row("m", [1, 2], ["a"], answer("- R1@S1: 1", "- R2@S0: 0"))
    path = write(tmp_path / "bad.jsonl", [good, "{not json", no_human, not_strings, [1, 2], good])
    report = analyze([path], n_resamples=0)
    messages = [str(p) for p in report.problems]
    assert any(m.startswith(f"{path}:2: ") and "not valid JSON" in m for m in messages)
    assert any(f"{path}:3: field 'metadata.human-checklist': missing" in m for m in messages)
    assert any(
        f"{path}:4: field 'metadata.human-checklist'" in m and "item 1 must be a string" in m
        for m in messages
    )
    assert any(f"{path}:5:" in m and "expected a JSON object" in m for m in messages)
    assert report.results[0].valid == 2
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        analyze([path], strict=True)


def test_empty_file_and_missing_path(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.jsonl", [])
    report = analyze([empty])
    assert report.results == []
    assert "no usable rows" in str(report.problems[0])
    with pytest.raises(InputError, match="no such file"):
        analyze([tmp_path / "missing.jsonl"])


def test_folder_input_pools_files_of_the_same_model_and_separates_others(tmp_path: Path) -> None:
    good = answer("- R1@S1: 1", "- R2@S0: 0", "- R3@S0: 0")
    write(tmp_path / "a.jsonl", [row("m1", H3, ["a"], good)])
    write(tmp_path / "b.jsonl", [row("m1", H3, ["a"], good)])
    write(tmp_path / "c.jsonl", [row("m2", H3, ["a"], answer("- R1@S0: 0", "- R2@S0: 0", "- R3@S0: 0"))])
    (tmp_path / "notes.txt").write_text("ignored")
    report = analyze([tmp_path], n_resamples=0)
    by_model = {r.model: r for r in report.results}
    assert by_model["m1"].valid == 2 and len(by_model["m1"].sources) == 2
    assert by_model["m2"].recall == 0.0
    assert [r.model for r in report.sorted("recall")] == ["m1", "m2"]


def test_model_keys_are_case_insensitive(tmp_path: Path) -> None:
    r = row("Model-X", H3, ["a"], answer("- R1@S1: 1", "- R2@S0: 0", "- R3@S0: 0"))
    result = analyze([write(tmp_path / "r.jsonl", [r])], model="model-x", n_resamples=0).results[0]
    assert result.valid == 1 and result.recall == pytest.approx(1 / 3)


def test_own_outputs_keep_the_last_record_per_sample(tmp_path: Path) -> None:
    failed = row("m", H3, ["a"], "garbage")
    failed["rationalerm"] = {"sample_id": "s1", "model": "m"}
    ok = row("m", H3, ["a"], answer("- R1@S1: 1", "- R2@S0: 0", "- R3@S0: 0"))
    ok["rationalerm"] = {"sample_id": "s1", "model": "m"}
    result = analyze([write(tmp_path / "r.jsonl", [failed, ok])], n_resamples=0).results[0]
    assert (result.valid, result.parse_failed) == (1, 0)


# ----------------------------------------------------------------------------------------------------------------
# Reference mode against an independent reading of the released script's definitions


def _oracle(path: Path, model: str) -> dict:
    """A literal re-reading of the released analysis rules (kept deliberately naive)."""
    values = {"precision": [], "recall": [], "f1": [], "average_precision": []}
    valid = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not item.get("samples"):
            continue
        text = item["samples"][0]["generated_text"]
        found = re.search(r"<RESULT_START>(.*?)<RESULT_END>", text, re.DOTALL)
        if not found:
            continue
        lines = re.findall(r"- R(\d+)@S(\d+): (\d+(?:\.\d+)?)", found.group(1))
        if not lines or any(not 0 <= float(s) <= 1 for _, _, s in lines):
            continue
        meta = item["metadata"]
        key = next((k for k in meta if k.lower() == f"{model}-checklist".lower()), None)
        if key is None or "human-checklist" not in meta:
            continue
        human, mine = meta["human-checklist"], meta[key]
        if len(mine) > 10 or not mine:
            continue
        n, m = len(human), min(len(mine), 5)
        if len(lines) != n:
            continue
        kept = [
            (int(r), int(s), float(v)) for r, s, v in lines if int(s) != 0 and int(r) <= n and int(s) <= m
        ]
        by_r: dict[int, float] = {}
        by_s: dict[int, float] = {}
        for r, s, v in kept:
            by_r[r] = max(by_r.get(r, v), v)
            by_s[s] = max(by_s.get(s, v), v)
        recall = sum(by_r.values()) / n
        precision = sum(by_s.values()) / m
        ordered = sorted(by_s)
        ap = sum(sum(by_s[x] for x in ordered[: i + 1]) / (i + 1) for i in range(len(ordered))) / n
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        for name, value in zip(values, (precision, recall, f1, ap), strict=True):
            values[name].append(value)
        valid += 1
    return {"valid": valid, **{k: float(np.mean(v)) if v else 0.0 for k, v in values.items()}}


def _random_answer(rnd: random.Random, n: int, m: int) -> str:
    kind = rnd.random()
    count = n if kind < 0.8 else rnd.choice([n - 1, n + 1, 0])
    lines = []
    for i in range(1, count + 1):
        s = rnd.randint(0, m + 2)
        score = rnd.choice(["0", "0.25", "0.5", "0.75", "1.0", "1", "0.75", "1.5"] if kind < 0.95 else [".5"])
        r = i if rnd.random() < 0.95 else rnd.randint(0, n + 2)
        lines.append(f"- R{r}@S{s}: {score}")
    if rnd.random() < 0.03:
        return "no tags " + "\n".join(lines)
    return answer(*lines)


def test_reference_mode_matches_the_released_definitions_on_random_files(tmp_path: Path) -> None:
    rnd = random.Random(1234)
    rows: list[object] = []
    for k in range(600):
        n = rnd.randint(1, 7)
        m = rnd.choice([0, 1, 3, 5, 6, 8, 10, 11, 12])
        r = row(
            "judge",
            [f"h{i}" for i in range(n)],
            [f"s{j}" for j in range(m)],
            _random_answer(rnd, n, m),
            domain=rnd.choice(["code", "stem", "general", "multilingual"]),
        )
        rows.append(r)
        if k % 97 == 0:
            rows.append("{broken json")
    path = write(tmp_path / "judge-run.jsonl", rows)
    expected = _oracle(path, "judge")
    result = analyze([path], mode="reference", n_resamples=0).results[0]
    assert result.valid == expected["valid"] > 150
    for name in ("precision", "recall", "f1", "average_precision"):
        assert getattr(result, name) == pytest.approx(expected[name], abs=1e-9)


# ----------------------------------------------------------------------------------------------------------------
# The command line


def test_cli_prints_table_and_writes_json_and_csv(tmp_path: Path) -> None:
    path = FIXTURES / "metajudge_small.jsonl"
    out_json, out_csv = tmp_path / "r.json", tmp_path / "r.csv"
    result = runner.invoke(
        app,
        [
            "analyze",
            str(path),
            "--by-domain",
            "--json",
            str(out_json),
            "--csv",
            str(out_csv),
            "--sort-by",
            "ap",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "judge-grounded" in result.output and "By domain" in result.output
    data = json.loads(out_json.read_text())
    assert [d["model"] for d in data] == sorted(
        (d["model"] for d in data),
        key=lambda m: -next(x["average_precision"] for x in data if x["model"] == m),
    )
    for entry in data:
        assert {
            "model",
            "mode",
            "precision",
            "recall",
            "f1",
            "average_precision",
            "valid",
            "parse_failed",
            "skipped",
            "ci",
            "by_domain",
        } <= set(entry)
        assert entry["ci"]["recall"][0] <= entry["recall"] <= entry["ci"]["recall"][1]
    header = out_csv.read_text().splitlines()[0]
    assert header.startswith("model,mode,precision,recall,f1,average_precision,valid,parse_failed,skipped")


def test_cli_reference_mode_and_errors(tmp_path: Path) -> None:
    path = FIXTURES / "metajudge_small.jsonl"
    result = runner.invoke(app, ["analyze", str(path), "--mode", "reference"])
    assert result.exit_code == 0 and "reference mode" in result.output
    assert runner.invoke(app, ["analyze", str(path), "--mode", "nope"]).exit_code == 2
    empty = write(tmp_path / "empty.jsonl", [])
    failed = runner.invoke(app, ["analyze", str(empty)])
    assert failed.exit_code == 1
    assert "nothing could be analyzed" in failed.output
    bad = write(tmp_path / "bad.jsonl", ["{oops", json.loads((path).read_text().splitlines()[0])])
    strict = runner.invoke(app, ["analyze", str(bad), "--strict"])
    assert strict.exit_code == 1 and "bad.jsonl:1" in strict.output
    lenient = runner.invoke(app, ["analyze", str(bad)])
    assert lenient.exit_code == 0 and "bad.jsonl:1" in lenient.output


def test_atomic_writes_get_ordinary_permissions(tmp_path: Path) -> None:
    import os
    import stat

    from rationalerm.io import write_json

    target = tmp_path / "out.json"
    write_json(target, {"a": 1})
    mode = stat.S_IMODE(os.stat(target).st_mode)
    mask = os.umask(0)
    os.umask(mask)
    assert mode == 0o666 & ~mask
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left behind


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("model", ["judge-grounded", "judge-mixed", "judge-surface"])
def test_reference_mode_matches_the_released_definitions_on_the_bundled_run(model: str) -> None:
    path = EXAMPLES / "metajudge_output_demo.jsonl"
    expected = _oracle(path, model)
    result = analyze([path], model=model, mode="reference", n_resamples=0).results[0]
    assert result.valid == expected["valid"] > 30
    for name in ("precision", "recall", "f1", "average_precision"):
        assert getattr(result, name) == pytest.approx(expected[name], abs=1e-9)
