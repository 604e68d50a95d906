"""R-Align: golden judgments, MetaRM verdicts on label-correct items, and L-Acc / S-Corr / F-Score."""

from __future__ import annotations

import asyncio
import csv
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from judge_server import chat_reply, prompt_text
from rationalerm.llm import JudgePool
from rationalerm.runs.metarm import RAlignSettings, golden_async, metarm_async
from rationalerm.stats.ralign import RAlignItem, ralign_by_domain, ralign_report, ralign_scores

FIXTURES = Path(__file__).parent / "fixtures" / "judge_side"
SOURCE = FIXTURES / "genrm_output.jsonl"
CLI = [sys.executable, "-c", "from rationalerm.cli import main; main()"]
SHARED = Path(
    os.environ.get("RATIONALERM_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
)


def items(
    correct: int, incorrect: int, failures: int, wrong: int, parse_failures: int = 0
) -> list[RAlignItem]:
    return (
        [RAlignItem(True, "Correct")] * correct
        + [RAlignItem(True, "Incorrect")] * incorrect
        + [RAlignItem(True, "CallFail")] * failures
        + [RAlignItem(True, "ParseFail")] * parse_failures
        + [RAlignItem(False, "SkippedLabelMismatch")] * wrong
    )


@pytest.mark.parametrize(
    ("correct", "incorrect", "wrong"), [(8, 1, 1), (3, 5, 2), (10, 0, 0), (0, 4, 6), (1, 1, 98)]
)
def test_f_score_identity_when_nothing_failed(correct, incorrect, wrong):
    scores = ralign_scores(items(correct, incorrect, 0, wrong))
    assert scores.f_score == pytest.approx(scores.l_acc * (1 - scores.s_corr))


def test_metarm_failures_are_excluded_from_s_corr_and_f_score():
    scores = ralign_scores(items(correct=5, incorrect=1, failures=1, wrong=2, parse_failures=1))
    assert scores.n == 10 and scores.label_correct == 8 and scores.failures == 2
    assert scores.l_acc == pytest.approx(0.8)
    assert scores.s_corr == pytest.approx(1 / 6)  # failures are neither Correct nor Incorrect
    assert scores.f_score == pytest.approx(5 / 8)  # N - failures
    assert scores.f_score != pytest.approx(scores.l_acc * (1 - scores.s_corr))
    empty = ralign_scores([])
    assert (empty.l_acc, empty.s_corr, empty.f_score) == (None, None, None)


def test_by_domain_splits_the_counts():
    data = [
        RAlignItem(True, "Correct", "code"),
        RAlignItem(False, None, "code"),
        RAlignItem(True, "Incorrect", "stem"),
    ]
    by_domain = ralign_by_domain(data)
    assert list(by_domain) == ["code", "stem"]
    assert (by_domain["code"].l_acc, by_domain["code"].f_score) == (0.5, 0.5)
    assert by_domain["stem"].s_corr == 1.0


def test_every_published_summary_cell_is_reachable_with_these_formulas():
    """R-Align's results_summary.csv (a 10-item debug run) must be reproducible: find integer counts for each
    (L-Acc, S-Corr, F-Score) triple under our definitions."""
    path = SHARED / "ralign" / "results_summary.csv"
    if not path.is_file():
        pytest.skip(f"shared data not found at {path} (set RATIONALERM_SHARED_DATA)")
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    checked = 0
    for row in rows:
        for bench in ("helpsteer3_aug", "ppe_human_preference_v1_aug", "reward_bench2_aug"):
            wanted = tuple(
                float(row[f"{bench}__{m}"]) for m in ("label_acc", "spurious_correctness", "fidelity_score")
            )
            found = False
            for label_ok, failures in itertools.product(range(11), range(4)):
                for incorrect in range(label_ok - failures + 1):
                    s = ralign_scores(
                        items(label_ok - failures - incorrect, incorrect, failures, 10 - label_ok)
                    )
                    got = s.as_dict()
                    if all(got[k] is not None for k in ("l_acc_pct", "s_corr_pct", "f_score_pct")) and all(
                        abs(a - b) < 1e-3
                        for a, b in zip(
                            (got["l_acc_pct"], got["s_corr_pct"], got["f_score_pct"]), wanted, strict=True
                        )
                    ):
                        found = True
            assert found, (row["model"], bench, wanted)
            checked += 1
    assert checked == 6


def metarm_script(request: dict, number: int):
    """Correct when the GenRM output names the golden key phrase; an unparseable reply on a trigger."""
    text = prompt_text(request)
    golden = re.search(r"<golden_judge>\n(.*?)\n</golden_judge>", text, re.S).group(1)
    output = re.search(r"<genrm_output>\n(.*?)\n</genrm_output>", text, re.S).group(1)
    if "UNPARSEABLE-TRIGGER" in golden:
        return chat_reply("I think it is fine.")
    key = re.search(r"(off-by-one|wrong capital|empty list)", golden).group(1)
    verdict = "Correct" if key in output else "Incorrect"
    return chat_reply(
        f"<golden_key_points>{key}</golden_key_points>\n<genrm_analysis>checked</genrm_analysis>\n"
        f"<final_verdict>{verdict}</final_verdict>"
    )


def run_metarm_sync(server, output):
    async def go():
        async with JudgePool("metarm-x", server.url, timeout=5, backoff_base=0.01, max_retries=1) as pool:
            return await metarm_async(
                SOURCE, output, pool=pool, model_name="gx", settings=RAlignSettings(max_format_retries=1)
            )

    return asyncio.run(go())


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_metarm_runs_on_label_correct_items_only_and_sees_only_visible_text(judge_server, tmp_path):
    judge_server.script = metarm_script
    output = tmp_path / "out.jsonl"
    summary = run_metarm_sync(judge_server, output)
    rows = {r["id"]: r for r in read(output)}
    verdicts = {k: r["gx-metarm_verdict"] for k, r in rows.items()}
    assert verdicts == {
        "r1": "Incorrect",  # the off-by-one is named only inside <think>: the MetaRM never sees it
        "r2": "Incorrect",
        "r3": "SkippedLabelMismatch",
        "r4": "SkippedLabelMismatch",  # unparseable GenRM label counts as wrong
        "r5": "Correct",
        "r6": "ParseFail",
    }
    assert len(judge_server.requests) == 3 + 2  # r1, r2, r5 once; r6 asked twice
    assert all("OFF-BY-ONE" not in prompt_text(r.body) for r in judge_server.requests)
    assert rows["r6"]["gx-metarm-status"] == "parse_failed" and summary.parse_failed == 1
    assert rows["r1"]["gx-metarm-provenance"]["prompt_version"].startswith("metarm_v1@")
    report = ralign_report(read(output), "gx")
    assert (report.overall.n, report.overall.label_correct, report.overall.failures) == (6, 4, 1)
    assert report.overall.l_acc == pytest.approx(4 / 6)
    assert report.overall.s_corr == pytest.approx(2 / 3)
    assert report.overall.f_score == pytest.approx(1 / 5)
    assert report.by_domain["code"].correct == 0 and report.by_domain["stem"].correct == 1


def golden_script(request: dict, number: int):
    text = prompt_text(request)
    gold = re.search(r"The verified better answer is ([AB])\.", text).group(1)
    if "Boiling" in text:
        gold = "B" if gold == "A" else "A"  # a writer that disagrees with the gold label
    return chat_reply(f"<think>draft</think>Head-to-head:\n- Answer {gold} is right.\n\\boxed{{{gold}}}")


def test_golden_judgments_must_box_the_gold_letter(judge_server, tmp_path):
    judge_server.script = golden_script
    source = tmp_path / "pairs.jsonl"
    rows = [
        {k: v for k, v in r.items() if not k.startswith("gx") and k != "gt_judgment"} for r in read(SOURCE)
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    output = tmp_path / "golden.jsonl"

    async def go():
        async with JudgePool("gold-x", judge_server.url, timeout=5) as pool:
            return await golden_async(
                source, output, pool=pool, settings=RAlignSettings(max_format_retries=1)
            )

    summary = asyncio.run(go())
    out = {r["id"]: r for r in read(output)}
    assert summary.ok == 5 and summary.reasons == {"golden_disagrees": 1}
    assert out["r1"]["gt_judgment"] == "Head-to-head:\n- Answer A is right.\n\\boxed{A}"
    assert out["r3"]["gt_label"] == "B" and out["r3"]["gt_judgment"].endswith("\\boxed{B}")
    assert out["r6"]["gt_judgment"] is None and out["r6"]["gt_judgment-status"] == "parse_failed"


def test_cli_metarm_prints_and_saves_the_metrics(judge_server, tmp_path):
    judge_server.script = metarm_script
    output = tmp_path / "cli.jsonl"
    metrics = tmp_path / "metrics.json"
    result = subprocess.run(
        [
            *CLI,
            "metarm",
            str(SOURCE),
            "--model-name",
            "gx",
            "--judge-model",
            "metarm-x",
            "--base-url",
            judge_server.url,
            "--output",
            str(output),
            "--json",
            str(metrics),
            "--no-cache",
            "--max-format-retries",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "L-Acc" in result.stdout and "66.7" in result.stdout
    saved = json.loads(metrics.read_text())
    (model,) = saved["models"]
    assert model["model"] == "gx" and model["metarm_parse_failures"] == 1
    assert set(model["by_domain"]) == {"code", "stem"}
