"""`rationalerm decompose`: HelpSteer3 rationales into atomic checklists, in and out of the item range."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

from judge_server import chat_reply, prompt_text
from rationalerm.llm import JudgePool
from rationalerm.records import sample_from_row
from rationalerm.runs.decompose import DecomposeSettings, decompose_async, field_texts

FIXTURES = Path(__file__).parent / "fixtures" / "judge_side"
SOURCE = FIXTURES / "helpsteer3_preference.jsonl"
CLI = [sys.executable, "-c", "from rationalerm.cli import main; main()"]


def decomposer(request: dict, number: int):
    """One claim per sentence naming a problem of a response ("wrong", "claims", "no", ...); vague ones ignored."""
    rationales = re.search(
        r"<annotator_rationales>\n(.*?)\n</annotator_rationales>", prompt_text(request), re.S
    )
    assert rationales is not None
    sentences = [s.strip() for s in re.split(r"(?<=\.)\s+", rationales.group(1)) if s.strip()]
    sentences = [re.sub(r"^\[\d+\]\s*", "", s) for s in sentences]
    claims = [s for s in sentences if re.search(r"wrong|claims|no |not |mutates|ignores|misnames", s)]
    ignored = [s for s in sentences if s not in claims]
    lines = [f"CLAIM_COUNT={len(claims)}", "CLAIMS:"] + [f"- C{i}: {c}" for i, c in enumerate(claims, 1)]
    lines += ["IGNORED_SUMMARY:"] + [f"- {s} (Reason: not a specific problem)" for s in ignored]
    return chat_reply("Thinking.\n<RESULT_START>\n" + "\n".join(lines) + "\n<RESULT_END>")


def run(server, output, **kwargs):
    async def go():
        async with JudgePool("decomposer", server.url, timeout=5, backoff_base=0.01, max_retries=1) as pool:
            return await decompose_async(SOURCE, output, pool=pool, **kwargs)

    return asyncio.run(go())


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_rows_in_and_out_of_range_are_kept_and_marked(judge_server, tmp_path):
    judge_server.script = decomposer
    problems = []
    output = tmp_path / "out.jsonl"
    summary = run(
        judge_server, output, settings=DecomposeSettings(min_items=1, max_items=7), on_problem=problems.append
    )
    rows = read(output)
    assert len(rows) == 4 and summary.ok == 3 and summary.error == 1
    westphalia, hi, reverse, empty = rows
    assert westphalia["human-checklist"] == [
        "Response 1 gets the year wrong (1658).",
        "Response 1 is factually wrong about the date.",
    ]
    assert westphalia["human-checklist-in_range"] is True and westphalia["human-checklist-range"] == "ok"
    assert {"statement": "Response 2 is better.", "reason": "not a specific problem"} in westphalia[
        "human-checklist-ignored"
    ]
    assert hi["human-checklist"] == [] and hi["human-checklist-range"] == "too_few"
    assert hi["human-checklist-in_range"] is False and hi["human-checklist-status"] == "ok"
    assert reverse["human-checklist-count"] == 8 and reverse["human-checklist-range"] == "too_many"
    assert summary.tags == {"ok": 1, "too_few": 1, "too_many": 1}
    assert empty["human-checklist-status"] == "error" and empty["human-checklist-reason"] == "bad_row"
    assert [(p.line, p.field) for p in problems] == [(4, "individual_preference[].reasoning")]
    assert westphalia["individual_preference"][0]["score"] == 2  # source fields kept
    assert westphalia["human-checklist-provenance"]["text_fields"] == ["individual_preference[].reasoning"]
    sample = sample_from_row(westphalia)  # the output is a HelpSteer3-Atomic row downstream readers accept
    assert sample.human_label == 2 and len(sample.human_checklist) == 2


def test_rationales_are_inserted_as_inert_lines(judge_server, tmp_path):
    judge_server.script = decomposer
    run(
        judge_server,
        tmp_path / "out.jsonl",
        settings=DecomposeSettings(text_fields=("individual_preference[].reasoning",)),
    )
    prompt = next(prompt_text(r.body) for r in judge_server.requests if "1658" in prompt_text(r.body))
    assert "[1] @Response 2 is better than @Response 1." in prompt
    assert "[2] Response 1 is factually wrong about the date." in prompt


def test_field_paths():
    row = {"a": {"b": "x"}, "l": [{"t": "one"}, {"t": " "}, {"t": "two"}], "n": 3}
    assert field_texts(row, "a.b") == ["x"]
    assert field_texts(row, "l[].t") == ["one", "two"]
    assert field_texts(row, "l[1].t") == []
    assert field_texts(row, "missing") == []


def test_cli_decompose_end_to_end(judge_server, tmp_path):
    judge_server.script = decomposer
    output = tmp_path / "cli.jsonl"
    result = subprocess.run(
        [
            *CLI,
            "decompose",
            str(SOURCE),
            "--judge-model",
            "decomposer",
            "--base-url",
            judge_server.url,
            "--text-field",
            "individual_preference[].reasoning",
            "--min-items",
            "3",
            "--max-items",
            "7",
            "--output",
            str(output),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = read(output)
    assert [r["human-checklist-range"] for r in rows[:3]] == ["too_few", "too_few", "too_many"]
    assert "too_many" in result.stdout and "skipped" in result.stderr
