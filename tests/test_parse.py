"""The MetaJudge answer parser: every tolerated variant and every failure reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rationalerm.parse import (
    DUPLICATE_HUMAN_ITEM,
    HUMAN_INDEX_OUT_OF_RANGE,
    MISSING_HUMAN_ITEM,
    MODEL_INDEX_OUT_OF_RANGE,
    NO_RESULT_BLOCK,
    NO_SCORE_LINES,
    NOT_TEXT,
    SCORE_OUT_OF_RANGE,
    ParseFailure,
    extract_reference_scores,
    find_result_block,
    parse_metajudge,
)
from rationalerm.records import Matching


def block(*lines: str, before: str = "Some reasoning first.\n", after: str = "") -> str:
    return before + "<RESULT_START>\n" + "\n".join(lines) + "\n<RESULT_END>" + after


def triples(result: Matching) -> list[tuple[int, int, float]]:
    assert isinstance(result, Matching), result
    return [(p.human, p.model, p.score) for p in result.pairs]


EXPECTED = [(1, 2, 0.75), (2, 0, 0.0), (3, 1, 1.0)]


@pytest.mark.parametrize(
    "lines",
    [
        ["- R1@S2: 0.75", "- R2@S0: 0", "- R3@S1: 1.0"],  # the canonical form
        ["R1@S2: 0.75", "R2@S0: 0", "R3@S1: 1"],  # no bullets, integer score
        ["* R1@S2: 0.750", "• R2@S0: 0.00", "+ R3@S1: 1.00"],  # other bullets, trailing zeros
        ["- **R1@S2**: 0.75", "- **R2@S0:** 0", "- **R3@S1: 1.0**"],  # bold in every place
        ["-   R1 @ S2 :  0.75", "-R2@S0:0", "- R3@ S1 : 1.0"],  # extra or missing spaces
        ["- R1@S2 = 0.75", "- R2@S0 = 0", "- R3@S1 = 1"],  # '=' instead of ':'
        ["1. R1@S2: 0.75", "2) R2@S0: 0", "3. R3@S1: 1.0"],  # numbered
        ["- `R1@S2`: 0.75", "- r2@s0: 0", "- R3@S1: 1.0 (fully covered)"],  # backticks, lower case, comment
    ],
)
def test_tolerated_line_variants(lines: list[str]) -> None:
    assert triples(parse_metajudge(block(*lines), 3, 4)) == EXPECTED


def test_leading_dot_score() -> None:
    result = parse_metajudge(block("- R1@S1: .5", "- R2@S2: .25"), 2, 2)
    assert triples(result) == [(1, 1, 0.5), (2, 2, 0.25)]


def test_text_around_block_and_header_line() -> None:
    text = block(
        "Scores corresponding to claims:",
        "- R1@S2: 0.75",
        "- R2@S0: 0",
        "- R3@S1: 1.0",
        before="Let me compare R1 with S2 carefully. R1@S1: 0.25 would be too low.\n",
        after="\nThat is my final answer.",
    )
    assert triples(parse_metajudge(text, 3, 4)) == EXPECTED


def test_last_block_wins_over_format_echo_in_reasoning() -> None:
    text = "The format is <RESULT_START>\n- R1@Sx: a decimal\n<RESULT_END>.\n" + block(
        "- R1@S1: 0.5", before="Now the answer:\n"
    )
    assert triples(parse_metajudge(text, 1, 1)) == [(1, 1, 0.5)]


def test_missing_end_tag_runs_to_end() -> None:
    text = "reasoning\n<RESULT_START>\n- R1@S1: 1\n- R2@S0: 0\n"
    assert triples(parse_metajudge(text, 2, 1)) == [(1, 1, 1.0), (2, 0, 0.0)]


@pytest.mark.parametrize(
    "tags",
    [
        ("<RESULT_START>", "<RESULT_END>"),
        ("<RESULT START>", "<RESULT END>"),
        ("[RESULT_START]", "[RESULT_END]"),
        ("<result_start>", "</result_end>"),
    ],
)
def test_tag_variants(tags: tuple[str, str]) -> None:
    text = f"x\n{tags[0]}\n- R1@S1: 1\n{tags[1]}\ny"
    assert find_result_block(text) is not None
    assert triples(parse_metajudge(text, 1, 1)) == [(1, 1, 1.0)]


def test_s0_with_nonzero_score_is_no_match() -> None:
    assert triples(parse_metajudge(block("- R1@S0: 0.5"), 1, 3)) == [(1, 0, 0.0)]


def test_exact_duplicate_line_is_tolerated() -> None:
    assert triples(parse_metajudge(block("- R1@S1: 1", "- R1@S1: 1"), 1, 1)) == [(1, 1, 1.0)]


def test_shared_model_index_is_kept_for_the_metrics_to_resolve() -> None:
    result = parse_metajudge(block("- R1@S1: 1", "- R2@S1: 0.5"), 2, 2)
    assert triples(result) == [(1, 1, 1.0), (2, 1, 0.5)]


def test_lines_in_any_order_come_back_in_human_order() -> None:
    assert triples(parse_metajudge(block("- R2@S1: 1", "- R1@S0: 0"), 2, 1)) == [(1, 0, 0.0), (2, 1, 1.0)]


@pytest.mark.parametrize(
    ("text", "n_human", "n_model", "reason"),
    [
        (None, 1, 1, NOT_TEXT),
        (42, 1, 1, NOT_TEXT),
        ("no block here R1@S1: 1", 1, 1, NO_RESULT_BLOCK),
        ("", 1, 1, NO_RESULT_BLOCK),
        (block("nothing to see"), 1, 1, NO_SCORE_LINES),
        (block("- R1@S1: 1", "- R2@S1: 1"), 1, 1, HUMAN_INDEX_OUT_OF_RANGE),
        (block("- R0@S1: 1"), 1, 1, HUMAN_INDEX_OUT_OF_RANGE),
        (block("- R1@S3: 1"), 1, 2, MODEL_INDEX_OUT_OF_RANGE),
        (block("- R1@S1: 1.5"), 1, 1, SCORE_OUT_OF_RANGE),
        (block("- R1@S1: -0.5"), 1, 1, SCORE_OUT_OF_RANGE),
        (block("- R1@S1: 1", "- R1@S2: 0.5"), 1, 2, DUPLICATE_HUMAN_ITEM),
        (block("- R1@S1: 1"), 2, 1, MISSING_HUMAN_ITEM),
        (block("- R2@S1: 1"), 2, 1, MISSING_HUMAN_ITEM),
    ],
)
def test_failure_reasons(text: object, n_human: int, n_model: int, reason: str) -> None:
    result = parse_metajudge(text, n_human, n_model)
    assert isinstance(result, ParseFailure)
    assert result.reason == reason
    assert str(result).startswith(reason)


@given(st.text(max_size=400), st.integers(0, 8), st.integers(0, 8))
def test_never_raises_on_any_text(text: str, n_human: int, n_model: int) -> None:
    result = parse_metajudge(text, n_human, n_model)
    assert isinstance(result, Matching | ParseFailure)
    extracted = extract_reference_scores(text)
    assert isinstance(extracted, list | ParseFailure)


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.sampled_from([0, 0.25, 0.5, 0.75, 1.0])), min_size=1, max_size=7
    ),
    st.sampled_from(["- ", "* ", "", "1. "]),
    st.sampled_from([": ", " = ", ":"]),
    st.booleans(),
)
def test_round_trip_of_generated_answers(
    rows: list[tuple[int, float]], bullet: str, sep: str, bold: bool
) -> None:
    lines = []
    for i, (s, score) in enumerate(rows, start=1):
        key = f"R{i}@S{s}"
        lines.append(f"{bullet}{'**' + key + '**' if bold else key}{sep}{score}")
    result = parse_metajudge(block(*lines), len(rows), 6)
    assert triples(result) == [
        (i, s, float(score) if s else 0.0) for i, (s, score) in enumerate(rows, start=1)
    ]


class TestReferenceExtraction:
    """The released script's strict rule, kept apart from the tolerant parser."""

    def test_canonical(self) -> None:
        assert extract_reference_scores(block("- R1@S2: 0.75", "- R2@S0: 0")) == [(1, 2, 0.75), (2, 0, 0.0)]

    def test_strict_regex_ignores_what_it_does_not_match(self) -> None:
        # no bullet, '=', bold and '.5' are invisible to the released regex
        text = block("R1@S2: 0.75", "- R2@S1 = 1", "- **R3@S1**: 1", "- R4@S1: .5", "- R5@S1: 1")
        assert extract_reference_scores(text) == [(5, 1, 1.0)]

    def test_first_block_wins(self) -> None:
        text = block("- R1@S1: 1") + block("- R1@S2: 0.5")
        assert extract_reference_scores(text) == [(1, 1, 1.0)]

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("- R1@S1: 1", NO_RESULT_BLOCK),
            ("<RESULT_START>\n- R1@S1: 1\n", NO_RESULT_BLOCK),  # needs both tags
            (block("R1@S1: 1"), NO_SCORE_LINES),
            (block("- R1@S1: 2"), SCORE_OUT_OF_RANGE),
        ],
    )
    def test_errors(self, text: str, reason: str) -> None:
        result = extract_reference_scores(text)
        assert isinstance(result, ParseFailure) and result.reason == reason
