"""GenRM, decomposition and MetaRM answer parsers: every verdict spelling, hidden reasoning, and never raising."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rationalerm.parse import (
    CLAIM_COUNT_MISMATCH,
    NO_METARM_VERDICT,
    NO_REASONS,
    NO_VERDICT,
    TIE_NOT_ALLOWED,
    Decomposition,
    IgnoredStatement,
    ParseFailure,
    parse_decomposition,
    parse_metarm_verdict,
    parse_reasons,
    parse_verdict,
    strip_hidden_reasoning,
)
from rationalerm.records import parse_direction

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "helpsteer3_atomic_demo.jsonl"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\boxed{A>>B}", 1),
        (r"\boxed{A>B}", 1),
        (r"\boxed{A=B}", 0),
        (r"\boxed{B>A}", 2),
        (r"\boxed{B>>A}", 2),
        (r"\boxed{A»B}", 1),
        (r"\boxed{B»A}", 2),
        (r"\boxed{ A > B }", 1),
        (r"\boxed{B >> A}", 2),
        (r"\boxed{A = B}", 0),
        (r"\boxed{A<B}", 2),
        (r"\boxed{A \gg B}", 1),
        (r"\boxed{\text{B}}", 2),
        (r"$\boxed{A}$", 1),
        (r"boxed{B}", 2),
        (r"\boxed{Response A}", 1),
        (r"\boxed{A&gt;B}", 1),
        ("Final verdict: A>B", 1),
        ("**Final verdict:** [[B>>A]]", 2),
        ("My final verdict is: [[A=B]]", 0),
        ("Verdict: Response B is better.", 2),
        ("Final assessment result: B»A", 2),
    ],
)
def test_every_verdict_spelling_gives_its_direction(text, expected):
    assert parse_verdict(f"Some reasoning first.\n{text}") == expected


def test_the_last_box_wins_over_a_quoted_format():
    text = r"Options are \boxed{A>>B} ... \boxed{B>>A}. After checking: \boxed{B>A}"
    assert parse_verdict(text) == 2


def test_missing_or_unclear_verdicts_are_named_failures():
    assert parse_verdict("Both have merits.").reason == NO_VERDICT
    assert parse_verdict(r"\boxed{A>B or B>A}").reason == "unreadable_verdict"
    assert parse_verdict(None).reason == "not_text"
    assert parse_verdict("<think>A is clearly better: \\boxed{A}").reason == "empty_after_reasoning"


def test_ralign_style_refuses_ties_and_reads_letters():
    assert parse_verdict(r"... \boxed{A}", "ralign") == 1
    assert parse_verdict(r"... \boxed{B}", "ralign") == 2
    failure = parse_verdict(r"\boxed{A=B}", "ralign")
    assert isinstance(failure, ParseFailure) and failure.reason == TIE_NOT_ALLOWED


def test_hidden_reasoning_is_stripped_before_parsing():
    text = (
        "<think>Maybe \\boxed{A>>B}? No.</think>\n<RESULT_START>\n1. B is right.\n\\boxed{B>A}\n<RESULT_END>"
    )
    assert strip_hidden_reasoning(text).startswith("<RESULT_START>")
    assert parse_verdict(text) == 2
    assert parse_reasons(text) == ["B is right."]
    assert strip_hidden_reasoning("visible <think>cut off while thinking \\boxed{A}") == "visible"
    assert strip_hidden_reasoning("a</think>b</thinking>c") == "c"


def test_reasons_of_the_bundled_examples_equal_their_checklists():
    rows = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]
    compared = 0
    for row in rows:
        for model in ("judge-grounded", "judge-surface", "judge-mixed"):
            text = row[f"{model}-generated_text"]
            assert parse_reasons(text) == row[f"{model}-checklist"], (row["id"], model)
            assert parse_verdict(text) == parse_direction(row[f"{model}-label"])
            compared += 1
    assert compared == 108


def test_reasons_join_wrapped_lines_and_sub_items_and_drop_bold():
    text = (
        "<RESULT_START>\nList of reasons:\n- **Response A** has a bug in\n  the loop bound.\n"
        "  - the last element is skipped\n- Response B cites the right year.\n"
        "Final assessment result: \\boxed{B>A}\n<RESULT_END>"
    )
    assert parse_reasons(text) == [
        "Response A has a bug in the loop bound. the last element is skipped",
        "Response B cites the right year.",
    ]
    assert parse_reasons("No list here. \\boxed{A}").reason == NO_REASONS


def test_ralign_reasons_come_from_the_head_to_head_section():
    text = (
        "Requirements:\n- answer the date question\n\nAnswer A:\n- wrong year\n\nAnswer B:\n- right year\n\n"
        "Head-to-head:\n- A states 1658; the treaty is from 1648.\n- B adds the Calvinist extension.\n\n"
        "Missing information:\n- none\n\n\\boxed{B}"
    )
    assert parse_reasons(text, "ralign") == [
        "A states 1658; the treaty is from 1648.",
        "B adds the Calvinist extension.",
    ]


DECOMPOSITION = """Reasoning about the summary.
<RESULT_START>
CLAIM_COUNT=3
CLAIMS:
- C1: Response 1 dates the treaty to 1658; it was 1648.
- C2: Response 1 omits the Calvinist extension
  of the Augsburg settlement.
- C3: Response 2 cites no source for the population figure.
IGNORED_SUMMARY:
- Response 2 is better overall (Reason: vague, no specific problem)
- Response 1 reads well (Reason: praise, not a problem)
<RESULT_END>"""


def test_decomposition_reads_claims_and_ignored_statements_with_reasons():
    parsed = parse_decomposition(DECOMPOSITION)
    assert isinstance(parsed, Decomposition)
    claims, ignored = parsed
    assert claims == [
        "Response 1 dates the treaty to 1658; it was 1648.",
        "Response 1 omits the Calvinist extension of the Augsburg settlement.",
        "Response 2 cites no source for the population figure.",
    ]
    assert ignored == [
        IgnoredStatement("Response 2 is better overall", "vague, no specific problem"),
        IgnoredStatement("Response 1 reads well", "praise, not a problem"),
    ]


def test_decomposition_empty_and_mismatched_counts():
    empty = parse_decomposition(
        "<RESULT_START>\nCLAIM_COUNT=0\nCLAIMS:\n- (none)\nIGNORED_SUMMARY:\n- It is better (Reason: vague)\n<RESULT_END>"
    )
    assert empty == Decomposition([], [IgnoredStatement("It is better", "vague")])
    wrong = parse_decomposition(DECOMPOSITION.replace("CLAIM_COUNT=3", "CLAIM_COUNT=4"))
    assert isinstance(wrong, ParseFailure) and wrong.reason == CLAIM_COUNT_MISMATCH
    assert parse_decomposition("no structure at all").reason == "no_claims_section"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<golden_key_points>x</golden_key_points><final_verdict>Correct</final_verdict>", "Correct"),
        ("<final_verdict> **Incorrect**. </final_verdict>", "Incorrect"),
        (
            "<think><final_verdict>Incorrect</final_verdict></think><final_verdict>correct</final_verdict>",
            "Correct",
        ),
    ],
)
def test_metarm_verdicts(text, expected):
    assert parse_metarm_verdict(text) == expected


def test_metarm_without_a_verdict_tag_fails():
    assert parse_metarm_verdict("The GenRM is Correct.").reason == NO_METARM_VERDICT
    assert parse_metarm_verdict("<final_verdict>maybe</final_verdict>").reason == "unknown_metarm_verdict"


@given(st.one_of(st.text(), st.none(), st.integers(), st.binary()))
def test_parsers_never_raise(value):
    for parse in (
        parse_verdict,
        parse_reasons,
        parse_decomposition,
        parse_metarm_verdict,
        strip_hidden_reasoning,
    ):
        parse(value)
    if isinstance(value, str):
        parse_verdict(value + "\\boxed{" + value, "ralign")
        parse_decomposition("<RESULT_START>CLAIM_COUNT=" + value + "\nCLAIMS:\n- C1:" + value)
