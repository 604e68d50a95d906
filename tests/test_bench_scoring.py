"""Official JudgeBench and RM-Bench scoring: the rules on hand-made cases, the published runs, loaders and CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rationalerm.bench.judgebench import (
    judged_pair_from_row,
    load_judged_pairs,
    score_judged_pairs,
    score_judgments_file,
)
from rationalerm.bench.rmbench import (
    PairVerdict,
    ScoredItem,
    easy_normal_hard,
    load_pair_verdicts,
    score_rmbench_scores,
    score_rmbench_verdicts,
)
from rationalerm.bench.rules import double_game_won, flip, parse_decision
from rationalerm.cli import app
from rationalerm.data.judgebench import CATEGORIES, category_of, load_judgebench_pairs
from rationalerm.data.rmbench import load_rmbench_dir, load_rmbench_file
from rationalerm.io import InputError
from rationalerm.records import RecordError

FIXTURES = Path(__file__).parent / "fixtures" / "bench"


def _shared_data() -> Path:
    env = os.environ.get("RATIONALERM_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


SHARED = _shared_data()
needs_shared = pytest.mark.skipif(
    not (SHARED / "judgebench").is_dir() or not (SHARED / "rmbench").is_dir(),
    reason=f"benchmark data not found at {SHARED} (set RATIONALERM_SHARED_DATA to the shared/data folder)",
)

PUBLISHED_RUNS = {
    "dataset=judgebench,response_model=gpt-4o-2024-05-13,judge_name=arena_hard,judge_model=o1-mini-2024-09-12.jsonl": 65.71,
    "dataset=judgebench,response_model=claude-3-5-sonnet-20240620,judge_name=arena_hard,judge_model=claude-3-haiku-20240307.jsonl": 32.22,
    "dataset=judgebench,response_model=gpt-4o-2024-05-13,judge_name=reward_model,judge_model=Skywork_Skywork-Reward-Gemma-2-27B.jsonl": 64.29,
}


def _row(label: str, decisions: list[object], source: str = "mmlu-pro-law") -> dict[str, object]:
    judgments = [
        d if d is None or isinstance(d, dict) else {"judgment": {}, "decision": d} for d in decisions
    ]
    return {
        "pair_id": "x",
        "original_id": 1,
        "source": source,
        "question": "q",
        "response_model": "m",
        "response_A": "a",
        "response_B": "b",
        "label": label,
        "judgments": judgments,
    }


# --------------------------------------------------------------------------------------------------------------
# JudgeBench rules


def test_flip_and_decision_forms() -> None:
    assert [flip(d) for d in (1, 2, 0, None)] == [2, 1, 0, None]
    assert parse_decision("A>B") == 1 and parse_decision("B>A") == 2 and parse_decision("A=B") == 0
    assert parse_decision("A>>B") == 1 and parse_decision("B>>A") == 2
    assert parse_decision(None) is None and parse_decision("no idea") is None and parse_decision(1) is None


@pytest.mark.parametrize(
    ("decisions", "correct", "consistent", "failed"),
    [
        (["A>B", "B>A"], True, True, 0),  # right in both orders
        (["A>B", "A=B"], True, False, 0),  # right + tie
        (["A>B", "A>B"], False, False, 0),  # right + wrong: the judge only followed position
        (["B>A", "A>B"], False, True, 0),  # wrong in both orders
        (["A=B", "A=B"], False, True, 0),  # two ties
        (["A>B", None], True, None, 1),  # right + failure
        ([None, {"judgment": None, "decision": "B>A"}], True, None, 1),  # null judgment object
        ([None, None], False, None, 2),
        (["A>>B", "B>>A"], True, True, 0),  # strong preferences count as plain ones
        (["A>B", "garbled"], True, None, 1),  # unreadable = failure
        (["A>B"], True, None, 0),  # single game
        (["B>A"], False, None, 0),
        ([None], False, None, 1),
    ],
)
def test_double_game_rule(
    decisions: list[object], correct: bool, consistent: bool | None, failed: int
) -> None:
    pair = judged_pair_from_row(_row("A>B", decisions))
    assert pair.correct is correct
    assert pair.consistent is consistent
    assert pair.failed == failed


def test_rule_is_symmetric_in_the_label() -> None:
    assert judged_pair_from_row(_row("B>A", ["B>A", "A>B"])).correct
    assert not judged_pair_from_row(_row("B>A", ["A>B", "B>A"])).correct
    assert double_game_won([1, None], 1) and not double_game_won([1, 2], 1) and not double_game_won([], 1)


def test_categories() -> None:
    assert category_of("mmlu-pro-law") == "Knowledge"
    assert category_of("livebench-reasoning") == "Reasoning"
    assert category_of("livebench-math") == "Math"
    assert category_of("livecodebench") == "Coding"
    with pytest.raises(ValueError, match="unknown"):
        category_of("gsm8k")


def test_score_fixture_file() -> None:
    result = score_judgments_file(FIXTURES / "judgebench_judgments.jsonl")
    assert result.overall == 50.0
    assert result.categories == {"Knowledge": 100.0, "Reasoning": 100.0, "Math": 0.0, "Coding": 0.0}
    assert result.category_counts == dict.fromkeys(CATEGORIES, 1)
    assert result.position_consistency == pytest.approx(100 / 3)
    assert (result.n_pairs, result.n_correct, result.n_failed, result.n_consistency_pairs) == (4, 2, 2, 3)
    data = result.as_dict()
    assert data["judge_name"] == "fixture_judge"
    for key in ("overall", "categories", "position_consistency", "n_pairs", "n_failed", "category_counts"):
        assert key in data
    json.dumps(data)


def test_empty_category_and_no_consistency() -> None:
    result = score_judged_pairs([judged_pair_from_row(_row("A>B", ["A>B"]))])
    assert result.overall == 100.0
    assert result.categories["Coding"] is None and result.category_counts["Coding"] == 0
    assert result.position_consistency is None
    with pytest.raises(ValueError):
        score_judged_pairs([])


def test_judgebench_loader_fixture() -> None:
    pairs = load_judgebench_pairs(FIXTURES / "judgebench_pairs.jsonl")
    assert [p.category for p in pairs] == list(CATEGORIES)
    assert pairs[0].original_id == "101" and pairs[1].original_id is None
    assert [p.label for p in pairs] == [1, 2, 1, 2]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"label": "A=B"}, "label", "A>B"),
        ({"source": "gsm8k"}, "source", "unknown"),
        ({"question": None}, "question", "missing"),
        ({"response_A": ["x"]}, "response_A", "string"),
    ],
)
def test_judgebench_bad_rows_name_file_line_field(
    tmp_path: Path, change: dict[str, object], field: str, message: str
) -> None:
    lines = (FIXTURES / "judgebench_pairs.jsonl").read_text().splitlines()
    bad = json.loads(lines[2]) | change
    lines[2] = json.dumps(bad)
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        load_judgebench_pairs(path)
    problem = info.value.problem
    assert problem.path == str(path) and problem.line == 3 and problem.field == field
    assert message in str(info.value)
    seen = []
    assert len(load_judgebench_pairs(path, on_problem=seen.append)) == 3 and len(seen) == 1


def test_judgments_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "judged.jsonl"
    path.write_text(json.dumps(_row("A>B", [])) + "\nnot json\n")
    with pytest.raises(InputError, match=r"judged.jsonl:1: field 'judgments'"):
        score_judgments_file(path)
    seen = []
    with pytest.raises(InputError, match="no judged pair"):
        score_judgments_file(path, on_problem=seen.append)
    assert [p.line for p in seen] == [1, 2]
    with pytest.raises(RecordError, match="item 1"):
        judged_pair_from_row(_row("A>B", ["A>B"]) | {"judgments": ["A>B"]})


@needs_shared
@pytest.mark.parametrize("name", sorted(PUBLISHED_RUNS))
def test_published_runs_reproduce_official_scores(name: str) -> None:
    result = score_judgments_file(SHARED / "judgebench" / "outputs" / name)
    assert round(result.overall, 2) == PUBLISHED_RUNS[name]
    # The category scores are consistent with the overall one: their pair-weighted mean is the overall score.
    weighted = sum(result.categories[c] * result.category_counts[c] for c in CATEGORIES)  # type: ignore[operator]
    assert weighted / result.n_pairs == pytest.approx(result.overall)
    assert sum(result.category_counts.values()) == result.n_pairs


@needs_shared
def test_published_category_scores() -> None:
    """The leaderboard's category figures for the two gpt-4o runs, and the null decisions of the haiku run."""
    outputs = SHARED / "judgebench" / "outputs"
    names = sorted(PUBLISHED_RUNS)
    o1 = score_judgments_file(outputs / next(n for n in names if "o1-mini" in n))
    assert {c: round(v, 2) for c, v in o1.categories.items()} == {  # type: ignore[arg-type]
        "Knowledge": 58.44,
        "Reasoning": 62.24,
        "Math": 82.14,
        "Coding": 78.57,
    }
    skywork = score_judgments_file(outputs / next(n for n in names if "Skywork" in n))
    assert {c: round(v, 2) for c, v in skywork.categories.items()} == {  # type: ignore[arg-type]
        "Knowledge": 59.74,
        "Reasoning": 66.33,
        "Math": 83.93,
        "Coding": 50.0,
    }
    haiku = score_judgments_file(outputs / next(n for n in names if "haiku" in n))
    assert haiku.n_failed == 13 and haiku.n_consistency_pairs == 257


@needs_shared
def test_judgebench_real_pair_files() -> None:
    gpt = load_judgebench_pairs(
        SHARED / "judgebench" / "dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl"
    )
    claude = load_judgebench_pairs(
        SHARED / "judgebench" / "dataset=judgebench,response_model=claude-3-5-sonnet-20240620.jsonl"
    )
    assert (len(gpt), len(claude)) == (350, 270)
    assert sum(p.label == 1 for p in gpt) == 193 and sum(p.label == 1 for p in claude) == 143
    judged, judge = load_judged_pairs(SHARED / "judgebench" / "outputs" / sorted(PUBLISHED_RUNS)[1])
    assert judge == "arena_hard" and [j.pair_id for j in judged] == [p.pair_id for p in gpt]


# --------------------------------------------------------------------------------------------------------------
# RM-Bench


def test_easy_normal_hard_triangles() -> None:
    matrix = ((1.0, 2.0, 3.0), (4.0, 5.0, 6.0), (7.0, 8.0, 9.0))
    assert easy_normal_hard(matrix) == (19 / 3, 5.0, 11 / 3)


def test_scored_grid_is_strict() -> None:
    item = ScoredItem("1", "chat", (1.0, None, 2.0), (1.0, 0.5, float("nan")))
    assert item.grid() == ((False, True, False), (False, False, False), (True, True, False))


def test_rmbench_scores_hand_computed() -> None:
    # chat prompt 1: chosen [3,2,1] vs rejected [2.5,1.5,0.5] -> rows TTT, FTT, FFT
    # chat prompt 2: chosen [1,1,1] vs rejected [1,0,2]       -> every row F(tie) T F
    # chat matrix = [[50,100,50],[0,100,50],[0,50,50]]: normal 66.67, hard 66.67, easy 16.67, score 50
    # code: one prompt, every chosen beats every rejected: 100 everywhere
    result = score_rmbench_scores(FIXTURES / "rmbench_scores.json")
    chat, code = result.domains["chat"], result.domains["code"]
    assert chat.matrix == ((50.0, 100.0, 50.0), (0.0, 100.0, 50.0), (0.0, 50.0, 50.0))
    assert (chat.easy, chat.normal, chat.hard) == pytest.approx((50 / 3, 200 / 3, 200 / 3))
    assert chat.score == pytest.approx(50.0) and chat.n_prompts == 2
    assert code.score == 100.0
    assert result.overall == pytest.approx(75.0)
    assert (result.easy, result.normal, result.hard) == pytest.approx((175 / 3, 250 / 3, 250 / 3))
    assert result.missing_domains == ["math", "safety"]
    data = result.as_dict()
    assert data["matrix"][1][0] == pytest.approx(50.0)  # the mean of the domain matrices
    assert set(data["domains"]["chat"]) == {"easy", "normal", "hard", "score", "matrix", "n_prompts"}
    assert data["n_failed"] == 0 and data["position_consistency"] is None
    json.dumps(data)


def test_rmbench_scores_from_rows_and_files(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "domain": "safety-refuse", "score_chosen": [1, 1, 1], "score_rejected": [0, 0, 0]},
        {"id": 2, "domain": "safety-response", "score_chosen": [0, 0, None], "score_rejected": [1, 1, 1]},
    ]
    result = score_rmbench_scores(rows)
    assert list(result.domains) == ["safety"] and result.domains["safety"].n_prompts == 2
    assert result.overall == 50.0 and result.n_failed == 1
    # A file without `domain` takes it from its name (the official runner names results after the data file).
    path = tmp_path / "code_filtered_MyRM_REWORD_MODEL_20250101_000000.json"
    path.write_text(json.dumps([{"id": 5, "score_chosen": [2, 2, 2], "score_rejected": [1, 1, 3]}]))
    both = score_rmbench_scores([path, FIXTURES / "rmbench_scores.json"])
    assert both.domains["code"].n_prompts == 2
    with pytest.raises(InputError, match="scored twice"):
        score_rmbench_scores([path, path])


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"id": 1, "domain": "chat", "score_chosen": [1, 2], "score_rejected": [1, 2, 3]}, "score_chosen"),
        (
            {"id": 1, "domain": "chat", "score_chosen": [1, 2, 3], "score_rejected": ["x", 2, 3]},
            "score_rejected",
        ),
        ({"id": 1, "domain": "poetry", "score_chosen": [1, 2, 3], "score_rejected": [1, 2, 3]}, "domain"),
        ({"domain": "chat", "score_chosen": [1, 2, 3], "score_rejected": [1, 2, 3]}, "id"),
        ({"id": 1, "score_chosen": [1, 2, 3], "score_rejected": [1, 2, 3]}, "domain"),
    ],
)
def test_rmbench_bad_score_rows(tmp_path: Path, row: dict[str, object], field: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(
        json.dumps([{"id": 0, "domain": "chat", "score_chosen": [1, 1, 1], "score_rejected": [0, 0, 0]}, row])
    )
    with pytest.raises(InputError) as info:
        score_rmbench_scores(path)
    assert info.value.problem.field == field
    assert "element 2" in str(info.value) and str(path) in str(info.value)


def test_rmbench_loader_fixtures_and_bad_rows(tmp_path: Path) -> None:
    items = load_rmbench_dir(FIXTURES / "rmbench")
    assert [(i.source_domain, i.domain, i.id) for i in items] == [
        ("chat", "chat", "1"),
        ("chat", "chat", "2"),
        ("safety-refuse", "safety", "10"),
        ("safety-response", "safety", "11"),
    ]
    assert len(list(items[0].comparisons())) == 9
    assert next(iter(items[0].comparisons()))[2:] == ("c0 of 1", "r0 of 1")
    bad = json.loads((FIXTURES / "rmbench" / "chat_filtered.json").read_text())
    bad[1]["rejected"] = bad[1]["rejected"][:2]
    path = tmp_path / "chat_filtered.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(InputError, match=r"element 2: .*3 strings") as info:
        load_rmbench_file(path)
    assert info.value.problem.field == "rejected"
    path.write_text('{"not": "an array"}')
    with pytest.raises(InputError, match="JSON array"):
        load_rmbench_file(path)
    with pytest.raises(InputError, match="none of"):
        load_rmbench_dir(tmp_path / "nowhere")


@needs_shared
def test_rmbench_real_files() -> None:
    folder = SHARED / "rmbench"
    counts = {
        name: len(load_rmbench_file(folder / f"{name}_filtered.json"))
        for name in ("chat", "code", "safety-refuse", "safety-response")
    }
    assert counts == {"chat": 129, "code": 228, "safety-refuse": 284, "safety-response": 157}
    items = load_rmbench_dir(folder)
    assert len(items) == 798 and {i.domain for i in items} == {"chat", "code", "safety"}
    # A perfect scorer gets 100 everywhere; math is reported missing rather than silently dropped.
    rows = [
        {"id": i.id, "domain": i.source_domain, "score_chosen": [1, 1, 1], "score_rejected": [0, 0, 0]}
        for i in items
    ]
    result = score_rmbench_scores(rows)
    assert result.overall == 100.0 and result.missing_domains == ["math"]


def _verdicts() -> list[PairVerdict]:
    cases = {
        (0, 0): (1, 2),  # right twice -> won, consistent
        (0, 1): (1, 1),  # position-following -> lost, inconsistent
        (0, 2): (0, 2),  # tie + right -> won, inconsistent
        (1, 0): (None, 2),  # failure + right -> won
        (1, 1): (2, 1),  # wrong twice -> lost, consistent
        (1, 2): (0, 0),  # two ties -> lost, consistent
        (2, 0): (1, None),  # right + failure -> won
        (2, 2): (None, None),  # two failures -> lost
        # (2, 1) is missing -> lost
    }
    return [PairVerdict("p1", "chat", i, j, a, b) for (i, j), (a, b) in cases.items()]


def test_rmbench_verdicts_hand_computed(tmp_path: Path) -> None:
    result = score_rmbench_verdicts(_verdicts())
    chat = result.domains["chat"]
    assert chat.matrix == ((100.0, 0.0, 100.0), (100.0, 0.0, 0.0), (100.0, 0.0, 0.0))
    assert (chat.easy, chat.normal, chat.hard) == pytest.approx((200 / 3, 100 / 3, 100 / 3))
    assert result.n_failed == 4 and result.n_missing == 1
    assert result.single_order_accuracy == pytest.approx(100 * 6 / 16)
    assert result.position_consistency == pytest.approx(60.0)
    # Rows round-trip, and a later verdict for the same comparison replaces the earlier one.
    path = tmp_path / "verdicts.jsonl"
    rows = [v.to_row() for v in _verdicts()] + [PairVerdict("p1", "chat", 0, 1, 1, 2).to_row()]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    again = score_rmbench_verdicts(load_pair_verdicts(path))
    assert again.domains["chat"].matrix[0][1] == 100.0


def test_rmbench_single_order_verdicts() -> None:
    verdicts = [
        PairVerdict("p", "code", i, j, 1 if i >= j else 2, swapped_judged=False)
        for i in range(3)
        for j in range(3)
    ]
    result = score_rmbench_verdicts(verdicts)
    code = result.domains["code"]
    assert (code.easy, code.normal, code.hard) == (100.0, 100.0, 0.0)
    assert result.n_failed == 0 and result.position_consistency is None
    assert result.single_order_accuracy == pytest.approx(100 * 6 / 9)


def test_pair_verdict_validation(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="chosen_index"):
        PairVerdict("p", "chat", 3, 0, 1)
    with pytest.raises(RecordError, match="decision_original"):
        PairVerdict("p", "chat", 0, 0, 5)  # type: ignore[arg-type]
    with pytest.raises(RecordError, match="domain"):
        PairVerdict("p", "poetry", 0, 0, 1)
    path = tmp_path / "v.jsonl"
    path.write_text(json.dumps({"prompt_id": "p", "domain": "chat", "chosen_index": 0}) + "\n")
    with pytest.raises(InputError, match=r"v.jsonl:1: field 'rejected_index'"):
        load_pair_verdicts(path)


# --------------------------------------------------------------------------------------------------------------
# CLI


def test_cli_judgebench(tmp_path: Path) -> None:
    output = tmp_path / "out" / "jb.json"
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "judgebench",
            "--judgments",
            str(FIXTURES / "judgebench_judgments.jsonl"),
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Overall" in result.output and "50.00" in result.output
    data = json.loads(output.read_text())
    assert data["overall"] == 50.0 and data["categories"]["Knowledge"] == 100.0


def test_cli_judgebench_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(_row("C>D", ["A>B"])) + "\n")
    result = CliRunner().invoke(app, ["bench", "judgebench", "--judgments", str(path)])
    assert result.exit_code == 1
    assert "bad.jsonl:1" in result.output and "label" in result.output


def test_cli_rmbench(tmp_path: Path) -> None:
    output = tmp_path / "rm.json"
    extra = tmp_path / "safety-refuse_filtered_rm.json"
    extra.write_text(json.dumps([{"id": 3, "score_chosen": [1, 1, 1], "score_rejected": [0, 0, 0]}]))
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "rmbench",
            "--scores",
            str(FIXTURES / "rmbench_scores.json"),
            "--scores",
            str(extra),
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "missing domains" in result.output and "math" in result.output
    assert "Overall" in result.output and "[bold]" not in result.output and "[yellow]" not in result.output
    data = json.loads(output.read_text())
    assert data["domains_present"] == ["chat", "code", "safety"]
    assert data["overall"] == pytest.approx((50 + 100 + 100) / 3)


def test_cli_rmbench_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "rmbench", "--scores", str(tmp_path / "nope.json")])
    assert result.exit_code == 1 and "no such file" in result.output


def test_missing_files_are_input_errors(tmp_path: Path) -> None:
    for load in (load_judgebench_pairs, score_judgments_file, load_rmbench_file, load_pair_verdicts):
        with pytest.raises(InputError, match="no such file"):
            load(tmp_path / "absent.jsonl")
