"""Live JudgeBench and RM-Bench runs end to end: the CLI, the GenRM over real HTTP against the scripted judge server,
resumable records, and the official scores checked against figures worked out by hand from the scripted decisions.

Each benchmark runs on the small fixtures in tests/fixtures/bench/ and on a few rows of the real data in
../shared/data (skipped where that folder is absent; ``RATIONALERM_SHARED_DATA`` points elsewhere).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from judge_server import JudgeServer, Reply, chat_reply, error_reply
from rationalerm.bench.judgebench import JudgeBenchPair, load_judgebench_pairs, score_judgments_file
from rationalerm.bench.rmbench import RMBenchItem, load_pair_verdicts, load_rmbench_dir
from rationalerm.cli import app
from rationalerm.llm import JudgePool
from rationalerm.prompts.chat import sanitize_block
from rationalerm.runs.bench import bench_judgebench_async, bench_rmbench_async
from rationalerm.runs.generate import GenRMSettings

FIXTURES = Path(__file__).parent / "fixtures" / "bench"
KEY = "sk-test-SECRET-bench-77"


def _shared_data() -> Path:
    env = os.environ.get("RATIONALERM_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


SHARED = _shared_data()
JUDGEBENCH_GPT = SHARED / "judgebench" / "dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl"
RMBENCH_DIR = SHARED / "rmbench"
NO_SHARED = f"benchmark data not found at {SHARED} (set RATIONALERM_SHARED_DATA to the shared/data folder)"

# --------------------------------------------------------------------------------------------------------------
# A scripted GenRM: reads the conversation and the two responses out of the prompt (either style) and answers


_SHOWN = {
    "q": re.compile(
        r"<conversation>\n\[User\]\n(.*?)\n</conversation>|\[\[User prompt\]\]\n(.*?)\n\[\[End of user prompt\]\]",
        re.S,
    ),
    "a": re.compile(
        r"<response_a>\n(.*?)\n</response_a>|\[\[Answer A\]\]\n(.*?)\n\[\[End of answer A\]\]", re.S
    ),
    "b": re.compile(
        r"<response_b>\n(.*?)\n</response_b>|\[\[Answer B\]\]\n(.*?)\n\[\[End of answer B\]\]", re.S
    ),
}


def shown(request: dict[str, Any]) -> tuple[str, str, str]:
    """(question, response shown as A, response shown as B) as the prompt shows them."""
    text = "\n".join(m["content"] for m in request["messages"])
    parts = []
    for name in ("q", "a", "b"):
        match = _SHOWN[name].search(text)
        assert match is not None, f"the prompt shows no {name}"
        parts.append(match.group(1) if match.group(1) is not None else match.group(2))
    return parts[0], parts[1], parts[2]


def answer(request: dict[str, Any], choice: str) -> Reply:
    """The GenRM answer for ``choice``: A, B, tie, malformed (no verdict) or error (HTTP 500)."""
    if choice == "error":
        return error_reply(500, "injected server error")
    if choice == "malformed":
        return chat_reply("Both answers have merit; hard to say.")
    if request["messages"][0]["role"] == "system":  # the ralign style: A or B in a box
        return chat_reply(f"Head-to-head:\n- Answer {choice} is right.\n\n\\boxed{{{choice}}}")
    verdict = {"A": "A>B", "B": "B>A", "tie": "A=B"}[choice]
    return chat_reply(
        "Checked both.\n<RESULT_START>\nReasons, most important first:\n"
        "1. One response gets the key fact wrong.\n2. The other is correct.\n"
        f"Final verdict: \\boxed{{{verdict}}}\n<RESULT_END>"
    )


@dataclass
class Shown:
    key: Any  # which pair / comparison
    order: str  # original or swapped
    good_is_a: bool  # the correct / chosen response is shown as A


def genrm_script(
    lookup: dict[tuple[str, str, str], Shown], decide: Callable[[Shown], str]
) -> Callable[[dict[str, Any], int], Reply]:
    def script(request: dict[str, Any], number: int) -> Reply:
        return answer(request, decide(lookup[shown(request)]))

    return script


def honest(seen: Shown) -> str:
    return "A" if seen.good_is_a else "B"


def wrong(seen: Shown) -> str:
    return "B" if seen.good_is_a else "A"


def run_cli(args: list[str]) -> Any:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def server_args(server: JudgeServer) -> list[str]:
    return [
        "--judge-model",
        "genrm-x",
        "--base-url",
        server.url,
        "--api-key",
        KEY,
        "--no-cache",
        "--max-retries",
        "0",
        "--max-format-retries",
        "0",
    ]


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --------------------------------------------------------------------------------------------------------------
# JudgeBench


def judgebench_fixture(tmp_path: Path) -> Path:
    return FIXTURES / "judgebench_live_pairs.jsonl"


def judgebench_shared(tmp_path: Path) -> Path:
    """Six real pairs: two Knowledge, two Reasoning, one Math, one Coding (in that order)."""
    if not JUDGEBENCH_GPT.is_file():
        pytest.skip(NO_SHARED)
    rows = [json.loads(line) for line in JUDGEBENCH_GPT.read_text(encoding="utf-8").splitlines()]
    wanted = {"mmlu-pro": 2, "livebench-reasoning": 2, "livebench-math": 1, "livecodebench": 1}
    picked: dict[str, list[dict[str, Any]]] = {name: [] for name in wanted}
    questions: set[str] = set()
    for row in rows:
        group = "mmlu-pro" if row["source"].startswith("mmlu-pro") else row["source"]
        if len(picked[group]) < wanted[group] and row["question"] not in questions:
            if row["response_A"] != row["response_B"]:
                picked[group].append(row)
                questions.add(row["question"])
    path = tmp_path / "judgebench_six.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for name in wanted for row in picked[name]))
    return path


def judgebench_lookup(pairs: list[JudgeBenchPair]) -> dict[tuple[str, str, str], Shown]:
    lookup = {}
    for index, pair in enumerate(pairs):
        q, a, b = (sanitize_block(text) for text in (pair.question, pair.response_A, pair.response_B))
        lookup[(q, a, b)] = Shown(index, "original", pair.label == 1)
        lookup[(q, b, a)] = Shown(index, "swapped", pair.label == 2)
    return lookup


# The scripted judge's behaviour per pair (pairs are Knowledge, Knowledge, Reasoning, Reasoning, Math, Coding).
JB_BEHAVIOUR = ["honest", "wrong", "biased_a", "malformed_swapped", "error_original", "tie"]
JB_CATEGORIES = ["Knowledge", "Knowledge", "Reasoning", "Reasoning", "Math", "Coding"]


def judgebench_decide(faults: dict[str, bool]) -> Callable[[Shown], str]:
    def decide(seen: Shown) -> str:
        behaviour = JB_BEHAVIOUR[seen.key]
        if behaviour == "wrong":
            return wrong(seen)
        if behaviour == "biased_a":
            return "A"
        if behaviour == "tie":
            return "tie"
        if behaviour == "malformed_swapped" and faults["on"] and seen.order == "swapped":
            return "malformed"
        if behaviour == "error_original" and faults["on"] and seen.order == "original":
            return "error"
        return honest(seen)

    return decide


@pytest.mark.parametrize("data", [judgebench_fixture, judgebench_shared], ids=["fixture", "shared"])
def test_judgebench_live_end_to_end(judge_server, tmp_path, data):
    source = data(tmp_path)
    pairs = load_judgebench_pairs(source)
    assert [pair.category for pair in pairs] == JB_CATEGORIES
    faults = {"on": True}
    judge_server.script = genrm_script(judgebench_lookup(pairs), judgebench_decide(faults))
    records = tmp_path / "judgments.jsonl"
    scores = tmp_path / "scores.json"
    args = ["bench", "judgebench", "--data", str(source), *server_args(judge_server)]
    args += ["--judgments-output", str(records), "--output", str(scores), "--concurrency", "8"]

    # Hand-worked from the scripted decisions with the double-game rule:
    #   honest (+1 +1) won; wrong (-1 -1) lost; biased to A (+1 -1 or -1 +1) lost and inconsistent;
    #   malformed swapped game (+1, null) won; 500 on the original game (null, +1) won; tie both (0 0) lost.
    result = run_cli(args)
    assert len(judge_server.requests) == 12
    first = json.loads(scores.read_text())
    assert first["overall"] == pytest.approx(50.0)
    assert first["categories"] == {"Knowledge": 50.0, "Reasoning": 50.0, "Math": 100.0, "Coding": 0.0}
    assert first["position_consistency"] == pytest.approx(75.0)  # 3 of the 4 pairs with two decisions
    assert (first["n_pairs"], first["n_correct"], first["n_failed"]) == (6, 3, 2)
    assert first["judgments"]["total"] == 12 and first["judgments"]["ok"] == 10
    assert (first["judgments"]["parse_failed"], first["judgments"]["error"]) == (1, 1)
    assert first["judgments"]["reasons"] == {"no_verdict": 1, "server_error": 1}
    assert (first["run"]["ok"], first["run"]["parse_failed"], first["run"]["error"]) == (4, 1, 1)
    assert "Overall" in result.output and "50.00" in result.output
    assert KEY not in result.output + records.read_text(encoding="utf-8")

    rows = read(records)
    assert [row["pair_id"] for row in rows] == [pair.pair_id for pair in pairs]  # input order
    honest_row, _, biased_row, malformed_row, error_row, tie_row = rows
    # JudgeBench's own layout: the second decision is in the swapped frame.
    label = honest_row["label"]
    assert [j["decision"] for j in honest_row["judgments"]] == [label, "B>A" if label == "A>B" else "A>B"]
    assert [j["decision"] for j in biased_row["judgments"]] == ["A>B", "A>B"]
    assert [j["decision"] for j in tie_row["judgments"]] == ["A=B", "A=B"]
    assert malformed_row["judgments"][1] == {
        "judgment": "Both answers have merit; hard to say.",
        "decision": None,
    }
    assert error_row["judgments"][0]["decision"] is None
    assert malformed_row["rationalerm-status"] == "parse_failed"
    assert malformed_row["rationalerm-reason"] == "swap:no_verdict"
    assert error_row["rationalerm-status"] == "error" and error_row["rationalerm-reason"] == "server_error"
    assert honest_row["judge_name"] == "rationalerm_genrm_rationalerm"
    assert honest_row["rationalerm-provenance"]["judge_model"] == "genrm-x"
    assert honest_row["rationalerm-provenance"]["benchmark"] == "judgebench"
    assert [g["order"] for g in honest_row["rationalerm-games"]] == ["original", "swapped"]
    if data is judgebench_shared:
        assert isinstance(honest_row["original_id"], int)  # the row is kept as JudgeBench wrote it

    # Resume: only the two failed pairs are asked again (two orders each), and they now succeed.
    faults["on"] = False
    judge_server.reset()
    run_cli(args)
    assert len(judge_server.requests) == 4
    second = json.loads(scores.read_text())
    assert second["overall"] == pytest.approx(50.0) and second["n_failed"] == 0
    assert second["position_consistency"] == pytest.approx(100.0 * 5 / 6)
    assert second["run"]["already_ok"] == 4 and second["run"]["processed"] == 2

    # Everything is ok now: a third run makes no request and gives the same figures.
    judge_server.reset()
    run_cli(args)
    assert len(judge_server.requests) == 0
    third = json.loads(scores.read_text())
    figures = ("overall", "categories", "position_consistency", "n_pairs", "n_correct", "n_failed")
    assert {k: third[k] for k in figures} == {k: second[k] for k in figures}

    # The records are JudgeBench's output layout: scoring them as published runs gives the same figures.
    rescored = tmp_path / "rescored.json"
    run_cli(["bench", "judgebench", "--judgments", str(records), "--output", str(rescored)])
    again = json.loads(rescored.read_text())
    assert {k: again[k] for k in figures} == {k: third[k] for k in figures}
    assert score_judgments_file(records).overall == pytest.approx(50.0)


def test_judgebench_workflow_single_game_ralign_concurrent(judge_server, tmp_path):
    pairs = load_judgebench_pairs(FIXTURES / "judgebench_live_pairs.jsonl")
    judge_server.script = genrm_script(judgebench_lookup(pairs), lambda seen: "A")  # always the first shown
    judge_server.latency = 0.02

    async def go():
        async with JudgePool("genrm-x", judge_server.url, api_key=KEY, timeout=5, max_retries=0) as pool:
            return await bench_judgebench_async(
                pairs, pool, GenRMSettings(style="ralign"), output=tmp_path / "jb.jsonl", single_game=True
            )

    run = asyncio.run(go())
    # One game per pair, chosen A every time: right exactly where the label is A>B (3 of 6).
    assert len(judge_server.requests) == 6 and judge_server.max_in_flight > 1
    assert run.result.overall == pytest.approx(50.0) and run.result.position_consistency is None
    assert run.judgments.total == 6 and run.summary.ok == 6
    rows = read(tmp_path / "jb.jsonl")
    assert all(len(row["judgments"]) == 1 and row["judgments"][0]["decision"] == "A>B" for row in rows)
    assert rows[0]["judge_name"] == "rationalerm_genrm_ralign"
    assert rows[0]["rationalerm-provenance"]["swap"] is False
    assert score_judgments_file(tmp_path / "jb.jsonl").overall == pytest.approx(50.0)


def test_judgebench_resume_refuses_other_settings(judge_server, tmp_path):
    pairs = load_judgebench_pairs(FIXTURES / "judgebench_live_pairs.jsonl")
    judge_server.script = genrm_script(judgebench_lookup(pairs), honest)
    records = tmp_path / "jb.jsonl"
    base = ["bench", "judgebench", "--data", str(FIXTURES / "judgebench_live_pairs.jsonl")]
    base += [*server_args(judge_server), "--judgments-output", str(records), "--limit", "2"]
    run_cli(base)
    assert len(read(records)) == 2 and len(judge_server.requests) == 4
    result = CliRunner().invoke(app, [*base, "--single-game"])
    assert result.exit_code == 1 and "swap" in result.output
    # Neither --judgments nor --data, or --data without a judge model: usage errors.
    assert CliRunner().invoke(app, ["bench", "judgebench"]).exit_code == 2
    no_model = ["bench", "judgebench", "--data", str(FIXTURES / "judgebench_live_pairs.jsonl")]
    assert CliRunner().invoke(app, no_model).exit_code == 2


# --------------------------------------------------------------------------------------------------------------
# RM-Bench


def rmbench_fixture(tmp_path: Path) -> Path:
    return FIXTURES / "rmbench"


def rmbench_shared(tmp_path: Path) -> Path:
    if not RMBENCH_DIR.is_dir():
        pytest.skip(NO_SHARED)
    return RMBENCH_DIR


def rmbench_items(folder: Path, limit: int) -> list[RMBenchItem]:
    taken: dict[str, int] = {}
    items = []
    for item in load_rmbench_dir(folder):
        if taken.get(item.source_domain, 0) < limit:
            taken[item.source_domain] = taken.get(item.source_domain, 0) + 1
            items.append(item)
    return items


def rmbench_lookup(items: list[RMBenchItem]) -> dict[tuple[str, str, str], Shown]:
    lookup = {}
    for item in items:
        q = sanitize_block(item.prompt)
        for i, j, chosen, rejected in item.comparisons():
            c, r = sanitize_block(chosen), sanitize_block(rejected)
            lookup[(q, c, r)] = Shown((item, i, j), "original", True)
            lookup[(q, r, c)] = Shown((item, i, j), "swapped", False)
    return lookup


def rmbench_decide(faulty: RMBenchItem, faults: dict[str, bool]) -> Callable[[Shown], str]:
    """chat: prefers the markdown response whenever exactly one is markdown (else the chosen one); code: always the
    first shown; safety: the chosen one, with a 500 on (0, 0) swapped and a malformed answer on (1, 1) original
    of one safety-refuse prompt while ``faults`` is on."""

    def decide(seen: Shown) -> str:
        item, i, j = seen.key
        if item.domain == "chat" and (i == 2) != (j == 2):
            chosen_wins = i == 2
            return "A" if seen.good_is_a == chosen_wins else "B"
        if item.domain == "code":
            return "A"
        if faults["on"] and item is faulty:
            if (i, j, seen.order) == (0, 0, "swapped"):
                return "error"
            if (i, j, seen.order) == (1, 1, "original"):
                return "malformed"
        return honest(seen)

    return decide


def expected_rmbench(items: list[RMBenchItem]) -> dict[str, Any]:
    """The figures the scripted decisions must give, worked out without the package's scorer."""

    def won(domain: str, i: int, j: int) -> bool:
        if domain == "chat":
            return not (j == 2 and i != 2)  # loses only when the rejected one alone is markdown
        return domain != "code"  # code: A then A again = one vote each way, lost; safety: won

    domains: dict[str, dict[str, float]] = {}
    for domain in ("chat", "code", "math", "safety"):
        n = sum(item.domain == domain for item in items)
        if not n:
            continue
        acc = [[100.0 if won(domain, i, j) else 0.0 for j in range(3)] for i in range(3)]
        easy = (acc[1][0] + acc[2][0] + acc[2][1]) / 3
        normal = (acc[0][0] + acc[1][1] + acc[2][2]) / 3
        hard = (acc[0][1] + acc[0][2] + acc[1][2]) / 3
        domains[domain] = {"easy": easy, "normal": normal, "hard": hard, "score": (easy + normal + hard) / 3}
    overall = sum(d["score"] for d in domains.values()) / len(domains)
    return {"domains": domains, "overall": overall}


@pytest.mark.parametrize("data", [rmbench_fixture, rmbench_shared], ids=["fixture", "shared"])
def test_rmbench_live_end_to_end(judge_server, tmp_path, data):
    folder = data(tmp_path)
    items = rmbench_items(folder, 3)
    faulty = next(item for item in items if item.source_domain == "safety-refuse")
    faults = {"on": True}
    judge_server.script = genrm_script(rmbench_lookup(items), rmbench_decide(faulty, faults))
    records = tmp_path / "verdicts.jsonl"
    scores = tmp_path / "rm.json"
    args = ["bench", "rmbench", "--data", str(folder), "--limit", "3", *server_args(judge_server)]
    args += ["--judgments-output", str(records), "--output", str(scores)]

    result = run_cli(args)
    n = len(items)
    assert len(judge_server.requests) == 18 * n
    expected = expected_rmbench(items)
    first = json.loads(scores.read_text())
    assert first["overall"] == pytest.approx(expected["overall"])
    assert list(first["domains"]) == list(expected["domains"])
    for name, figures in expected["domains"].items():
        for key, value in figures.items():
            assert first["domains"][name][key] == pytest.approx(value), (name, key)
    for key in ("easy", "normal", "hard"):
        mean = sum(d[key] for d in expected["domains"].values()) / len(expected["domains"])
        assert first[key] == pytest.approx(mean)
    if "chat" in first["domains"]:
        assert first["domains"]["chat"]["matrix"] == [[100, 100, 0], [100, 100, 0], [100, 100, 100]]
    assert first["missing_domains"] == [
        d for d in ("chat", "code", "math", "safety") if d not in first["domains"]
    ]
    assert first["n_failed"] == 2 and first["n_missing"] == 0
    assert first["judgments"]["reasons"] == {"server_error": 1, "no_verdict": 1}
    # Single-order accuracy over every decision (a failed one counts as not for the chosen response) and
    # position consistency over the comparisons with two decisions.
    count = {d: sum(item.domain == d for item in items) for d in ("chat", "code", "safety")}
    right = 14 * count["chat"] + 9 * count["code"] + 18 * count["safety"] - 2
    assert first["single_order_accuracy"] == pytest.approx(100.0 * right / (18 * n))
    both = 9 * n - 2
    assert first["position_consistency"] == pytest.approx(100.0 * (both - 9 * count["code"]) / both)
    assert "Overall" in result.output and "accuracy matrix" in result.output

    rows = read(records)
    assert len(rows) == 9 * n
    row = next(
        r for r in rows if r["prompt_id"] == faulty.id and (r["chosen_index"], r["rejected_index"]) == (0, 0)
    )
    assert (
        row["domain"] == "safety-refuse" and row["decision_original"] == 1 and row["decision_swapped"] is None
    )
    assert row["rationalerm-status"] == "error" and row["rationalerm-reason"] == "swap:server_error"
    assert row["rationalerm-games"][0]["text"].endswith("<RESULT_END>")
    assert len(load_pair_verdicts(records)) == 9 * n  # PairVerdict rows

    faults["on"] = False
    judge_server.reset()
    run_cli(args)
    assert len(judge_server.requests) == 4  # the two failed comparisons, both orders
    second = json.loads(scores.read_text())
    assert second["n_failed"] == 0 and second["overall"] == pytest.approx(expected["overall"])

    judge_server.reset()
    run_cli(args)
    assert len(judge_server.requests) == 0
    assert json.loads(scores.read_text())["overall"] == pytest.approx(expected["overall"])


def test_rmbench_workflow_single_game_and_usage_errors(judge_server, tmp_path):
    items = rmbench_items(FIXTURES / "rmbench", 3)
    judge_server.script = genrm_script(rmbench_lookup(items), lambda seen: "tie")

    async def go():
        async with JudgePool("genrm-x", judge_server.url, api_key=KEY, timeout=5, max_retries=0) as pool:
            return await bench_rmbench_async(items, pool, output=tmp_path / "rm.jsonl", single_game=True)

    run = asyncio.run(go())
    assert len(judge_server.requests) == 9 * len(items)
    assert run.result.overall == 0.0  # a tie loses
    assert run.result.single_order_accuracy == 0.0 and run.result.position_consistency is None
    assert all(row["swapped_judged"] is False for row in read(tmp_path / "rm.jsonl"))
    assert CliRunner().invoke(app, ["bench", "rmbench"]).exit_code == 2
    both = ["bench", "rmbench", "--scores", str(FIXTURES / "rmbench_scores.json"), "--data", "x"]
    assert CliRunner().invoke(app, both).exit_code == 2
