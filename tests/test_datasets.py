"""Dataset loaders on local files: HelpSteer3-Atomic, HelpSteer3 preference, JudgeBench, RM-Bench."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rationalerm.data import (
    annotator_rationales,
    count_rows,
    iter_rows,
    load_helpsteer3_preference,
    load_judgebench,
    load_rationalerm,
    load_rmbench,
)
from rationalerm.io import InputError

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "helpsteer3_atomic_demo.jsonl"
HS3 = Path(__file__).parent / "fixtures" / "judge_side" / "helpsteer3_preference.jsonl"
SHARED = Path(os.environ.get("RATIONALERM_SHARED_DATA") or ROOT.parent / "shared" / "data")


def shared(path: str) -> Path:
    target = SHARED / path
    if not target.exists():
        pytest.skip(f"shared data not found at {target} (set RATIONALERM_SHARED_DATA)")
    return target


def test_helpsteer3_atomic_from_jsonl_json_parquet_and_folder(tmp_path):
    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    (tmp_path / "demo.json").write_text(json.dumps(rows), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "demo.parquet")
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "helpsteer3_test_1000.jsonl").write_text(DEMO.read_text(encoding="utf-8"), encoding="utf-8")
    loaded = [load_rationalerm(p) for p in (DEMO, tmp_path / "demo.json", tmp_path / "demo.parquet", folder)]
    for samples in loaded:
        assert len(samples) == 36
        first = samples[0]
        assert first.id == "demo-general-001" and first.domain == "general" and first.human_label == 2
        assert set(first.judgments) == {"judge-grounded", "judge-surface", "judge-mixed"}
        assert first.judgments["judge-grounded"].label == 2
    assert [s.human_checklist for s in loaded[2]] == [s.human_checklist for s in loaded[0]]


def test_helpsteer3_preference_rows_become_records_with_labels_and_rationales():
    samples = load_helpsteer3_preference(HS3)
    assert [s.human_label for s in samples] == [2, 1, 1, 2]
    assert all(s.human_checklist == [] for s in samples)
    assert (
        annotator_rationales(samples[0].row)[1]
        == "Response 1 is factually wrong about the date. Response 2 is better."
    )
    assert annotator_rationales(samples[3].row) == []
    assert samples[0].id == load_helpsteer3_preference(HS3)[0].id  # stable content ids


def test_bad_rows_are_named_and_reported(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = HS3.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(
        "\n".join(
            [
                good,
                "[1, 2]",
                json.dumps({"context": "q", "response1": "a", "response2": "b", "overall_preference": 9}),
            ]
        )
        + "\n"
    )
    problems = []
    samples = load_helpsteer3_preference(path, on_problem=problems.append)
    assert len(samples) == 1
    assert [(p.line, p.field) for p in problems] == [(2, None), (3, "overall_preference")]
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        load_helpsteer3_preference(path)
    with pytest.raises(InputError, match="no such file"):
        load_rationalerm(tmp_path / "missing.jsonl")


def test_rows_from_a_json_object_holding_a_list(tmp_path):
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps({"data": [{"a": 1}, "x"]}))
    rows = list(iter_rows(path))
    assert rows[0] == (1, {"a": 1}) and rows[1][1].line == 2


def test_hub_names_need_the_datasets_package(monkeypatch):
    # without the hub extra: neither datasets nor huggingface_hub (online: the offline switches unset)
    monkeypatch.setitem(sys.modules, "datasets", None)
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    for variable in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ImportError, match=r"rationalerm\[hub\]"):
        load_rationalerm("Qwen/RationaleRM")
    with pytest.raises(ImportError, match=r"rationalerm\[hub\]"):
        load_helpsteer3_preference("nvidia/HelpSteer3")
    with pytest.raises(ImportError, match=r"rationalerm\[hub\]"):
        load_judgebench("gpt")


def test_judgebench_and_rmbench_from_the_shared_data():
    gpt = load_judgebench(shared("judgebench/dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl"))
    assert len(gpt) == 350 and sum(p.label == 1 for p in gpt) == 193
    items = load_rmbench(shared("rmbench"))
    assert len(items) == 129 + 228 + 284 + 157
    assert {i.domain for i in items} == {"chat", "code", "safety"}
    chat = load_rmbench(shared("rmbench/chat_filtered.json"))
    assert len(chat) == 129 and len(chat[0].chosen) == 3


def test_gzip_files_are_read_transparently_and_a_corrupt_one_is_named(tmp_path):
    import gzip

    rows = [{"a": 1}, {"b": 2}]
    lines = tmp_path / "rows.jsonl.gz"
    lines.write_bytes(gzip.compress(b'{"a": 1}\n\n{"b": 2}\n'))
    array = tmp_path / "rows.json.gz"
    array.write_bytes(gzip.compress(json.dumps(rows).encode()))
    assert list(iter_rows(lines)) == [(1, rows[0]), (3, rows[1])]
    assert list(iter_rows(array)) == [(1, rows[0]), (2, rows[1])]
    assert count_rows(lines) == 2 and count_rows(array) == 2
    torn = tmp_path / "torn.jsonl.gz"
    torn.write_bytes(lines.read_bytes()[:-12])
    with pytest.raises(InputError, match=r"torn\.jsonl\.gz:\d+: not a readable gzip file"):
        list(iter_rows(torn))
    plain = tmp_path / "plain.jsonl.gz"
    plain.write_text('{"a": 1}\n')
    with pytest.raises(InputError, match=r"plain\.jsonl\.gz:1: not a readable gzip file"):
        list(iter_rows(plain))
