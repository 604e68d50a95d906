"""JSON on the hot paths (orjson, with the standard library deciding what it refuses), atomic writes of pieces, the
append-only JSONL writer, the judge output compaction that moves lines as slices, and the one resume mechanism
(ResumableOutput, RunSummary)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rationalerm import jsonfast
from rationalerm.io import (
    InputError,
    JsonlAppender,
    ResumableOutput,
    atomic_write_bytes,
    dumps_line,
    iter_jsonl,
)
from rationalerm.io import RowProblem as IoRowProblem
from rationalerm.io.resume import JudgeRunSummary, TagRunSummary
from rationalerm.runs.judge import _compact, _line_key

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_dumps_and_loads_round_trip_like_the_standard_library(value) -> None:
    encoded = jsonfast.dumps_bytes(value)
    assert json.loads(encoded) == value  # valid JSON for any reader ...
    assert jsonfast.loads(encoded) == value  # ... and read back the same
    assert jsonfast.loads(json.dumps(value)) == value
    assert b"\n" not in encoded  # one JSONL line


def test_what_orjson_refuses_the_standard_library_decides() -> None:
    assert jsonfast.loads(str(2**80)) == 2**80
    assert math.isnan(jsonfast.loads('{"x": NaN}')["x"])
    assert jsonfast.loads('"\\ud800"') == "\ud800"
    assert jsonfast.loads(jsonfast.dumps_bytes({"big": 2**80})) == {"big": 2**80}
    lone = jsonfast.dumps_bytes({"s": "a\ud800b"})  # a lone surrogate: escaped, still valid UTF-8 JSON
    assert lone.decode("utf-8") and json.loads(lone) == {"s": "a\ud800b"}
    with pytest.raises(json.JSONDecodeError) as caught:
        jsonfast.loads('{"a": 1,, }')
    assert caught.value.colno == 9  # the standard message and position


def test_output_is_compact_utf8_and_numpy_and_defaults_work() -> None:
    assert jsonfast.dumps({"a": [1, 2], "é": "ü"}) == '{"a":[1,2],"é":"ü"}'
    assert jsonfast.dumps({1: "int key"}) == '{"1":"int key"}'
    assert json.loads(jsonfast.dumps({"v": np.arange(3), "f": np.float64(0.5)})) == {"v": [0, 1, 2], "f": 0.5}
    assert jsonfast.dumps({"p": Path("x/y")}, default=str) == '{"p":"x/y"}'
    with pytest.raises(TypeError):
        jsonfast.dumps({"s": {1, 2}})
    assert dumps_line({"p": Path("a")}) == '{"p":"a"}\n'


def test_sorted_keys_give_one_encoding_per_content() -> None:
    a = {"b": 1, "a": {"d": [1, {"z": 0, "y": 2**80}], "c": None}}
    b = {"a": {"c": None, "d": [1, {"y": 2**80, "z": 0}]}, "b": 1}
    assert jsonfast.dumps_bytes(a, sort_keys=True) == jsonfast.dumps_bytes(b, sort_keys=True)
    assert jsonfast.dumps_bytes(a, sort_keys=True).startswith(b'{"a":{"c":null')  # also where json decides
    assert jsonfast.dumps({"b": 1, "a": 2}, sort_keys=False) == '{"b":1,"a":2}'


def test_sample_fingerprints_follow_content_not_identity() -> None:
    from rationalerm.reward import RewardSample

    def sample(**changes):
        fields = {
            "human_checklist": ("Response 1 gets the year wrong.",),
            "human_label": 2,
            "context": ({"role": "user", "content": "When?"},),
            "response1": "1658",
            "response2": "1648",
        }
        return RewardSample(**{**fields, **changes})

    base = sample().fingerprint()
    assert sample(id="other id").fingerprint() == base
    assert sample(context=({"content": "When?", "role": "user"},)).fingerprint() == base  # key order
    for changed in (
        sample(human_label=1),
        sample(response2="1649"),
        sample(human_checklist=("Response 1 gets the year wrong.", "More.")),
        sample(context=({"role": "user", "content": "When? "},)),
        sample(golden="A golden judgment."),
    ):
        assert changed.fingerprint() != base


def test_atomic_write_of_pieces(tmp_path: Path) -> None:
    pieces = [f"line {i}\n".encode() for i in range(3000)]  # more than one writev takes
    data = b"".join(pieces)
    view = memoryview(data)
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"old content")
    atomic_write_bytes(target, [view[0:7], *pieces[1:]])
    assert target.read_bytes() == data
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    atomic_write_bytes(target, [])
    assert target.read_bytes() == b""


def test_appender_returns_the_bytes_it_wrote_and_repairs_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"done": 1}\n{"torn": ')
    with JsonlAppender(path) as out:
        sizes = [out.write({"id": i, "text": "ü" * i}) for i in range(3)]
    data = path.read_bytes()
    assert len(data) == len(b'{"done": 1}\n') + sum(sizes)
    rows = [row for _, row in iter_jsonl(path)]
    assert rows == [{"done": 1}, {"id": 0, "text": ""}, {"id": 1, "text": "ü"}, {"id": 2, "text": "üü"}]
    assert not any(isinstance(row, IoRowProblem) for row in rows)


def _record(sample_id: str, model: str = "m", status: str = "ok") -> dict:
    return {
        "prompt": "p",
        "samples": [],
        "status": "success",
        "metadata": {"id": sample_id, "note": '"rationalerm": {"sample_id": "fake"}'},
        "rationalerm": {"sample_id": sample_id, "model": model, "status": status},
    }


def test_line_key_reads_compact_and_spaced_records() -> None:
    compact = jsonfast.dumps(_record("s1"))
    spaced = json.dumps(_record("s2"))  # as earlier versions wrote
    assert _line_key(compact) == ("m", "s1")
    assert _line_key(spaced) == ("m", "s2")
    assert _line_key(json.dumps({"rationalerm": {"model": "m"}})) is None
    assert isinstance(_line_key("[1, 2]"), IoRowProblem)


def test_compaction_moves_lines_in_input_order(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    # an earlier run's lines (one of another model, one spaced), then this run's, in completion order
    head = json.dumps(_record("s0")) + "\n" + jsonfast.dumps(_record("s9", model="other")) + "\n"
    path.write_text(head, encoding="utf-8")
    offset = path.stat().st_size
    written = []
    with JsonlAppender(path) as out:
        for sample_id in ("s3", "s1", "s2"):
            written.append((sample_id, out.write(_record(sample_id))))
    before = {line for line in path.read_bytes().splitlines()}
    _compact(path, "m", ["s0", "s1", "s2", "s3"], (offset, written))
    lines = path.read_bytes().splitlines()
    assert [_line_key(line.decode())[1] for line in lines] == ["s0", "s1", "s2", "s3", "s9"]
    assert set(lines) == before  # moved as they were, not re-encoded


def test_compaction_falls_back_to_reading_every_line_when_the_tail_is_not_as_written(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with JsonlAppender(path) as out:
        written = [(sid, out.write(_record(sid))) for sid in ("b", "a")]
    with open(path, "ab") as handle:  # something else appended meanwhile
        handle.write((jsonfast.dumps(_record("c")) + "\n").encode())
    _compact(path, "m", ["a", "b", "c"], (0, written))
    assert [_line_key(line)[1] for line in path.read_text(encoding="utf-8").splitlines()] == ["a", "b", "c"]
    # wrong lengths are not trusted either
    _compact(path, "m", ["c", "b", "a"], (0, [("c", 5), ("b", 7), ("a", os.path.getsize(path))]))
    assert [_line_key(line)[1] for line in path.read_text(encoding="utf-8").splitlines()] == ["c", "b", "a"]


def _resumable(path: Path) -> ResumableOutput:
    return ResumableOutput(
        path,
        key=lambda row: str(row["id"]) if row.get("model") == "m" else None,
        status_at=("status",),
        provenance_at=("meta", "provenance"),
        resume_keys=("judge_model",),
        final=("ok", "skipped"),
    )


def test_resumable_output_keeps_final_rows_and_other_runs_and_drops_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    prov = {"meta": {"provenance": {"judge_model": "j"}}}
    rows = [
        {"id": "a", "model": "m", "status": "ok", "v": 1, **prov},
        {"id": "b", "model": "m", "status": "error", **prov},  # retried
        {"id": "a", "model": "other", "status": "error"},  # another run's row: kept as it is
        {"id": "c", "model": "m", "status": "skipped", **prov},
        {"id": "a", "model": "m", "status": "ok", "v": 2, **prov},  # a repeat: the last one wins
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"id": "torn', encoding="utf-8")
    done = _resumable(path).prepare({"judge_model": "j"})
    assert {key: row.get("v") for key, row in done.items()} == {"a": 2, "c": None}
    assert [(r["id"], r["model"]) for _, r in iter_jsonl(path)] == [("a", "m"), ("a", "other"), ("c", "m")]
    with _resumable(path) as out:
        out.write({"id": "b", "model": "m", "status": "ok"})
    _resumable(path).compact(["c", "b", "a"], (0, []))
    assert [(r["id"], r["model"]) for _, r in iter_jsonl(path)] == [
        ("c", "m"),
        ("b", "m"),
        ("a", "m"),
        ("a", "other"),
    ]
    assert _resumable(path).prepare({}, resume=False) == {} and not path.exists()


def test_resumable_output_refuses_rows_of_another_judge(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    row = {"id": "a", "model": "m", "status": "ok", "meta": {"provenance": {"judge_model": "old"}}}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        _resumable(path).prepare({"judge_model": "new"})
    problem = caught.value.problem
    assert (problem.line, problem.field) == (1, "meta.provenance.judge_model")
    assert "judge_model='old'" in problem.message and "--restart" in problem.message


def test_run_summary_views_keep_each_commands_layout() -> None:
    summary = TagRunSummary("in", "out", "m")
    for status, reason in (
        ("ok", None),
        ("skipped", "empty_model_list"),
        ("parse_failed", "x"),
        ("error", "x"),
    ):
        summary.add(status, reason)
    data = summary.as_dict()
    assert list(data)[:6] == ["input", "output", "model", "total", "already_done", "tagged"]
    assert (data["tagged"], data["ok"], data["skipped"], data["failed"]) == (4, 1, 1, 2)
    assert data["reasons"] == {"empty_model_list": 1, "x": 2}
    judged = JudgeRunSummary("in", "out", "m")
    judged.add("ok")
    assert (judged.judged, judged.already_ok, judged.model) == (1, 0, "m") and "cached" in judged.as_dict()
