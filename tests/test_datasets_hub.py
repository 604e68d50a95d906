"""Each dataset as its owners publish it, on local replicas of the Hub repositories (``hub_replicas.py``).

Every replica is read three ways: through ``datasets.load_dataset`` (the card's configs and file names are what
``datasets`` expects), through a snapshot folder written by ``huggingface_hub.snapshot_download(local_dir=...)``, and
through the Hub id in offline mode (``HF_HUB_OFFLINE=1``), from a hub cache that ``snapshot_download`` filled from
the replica Hub. ``test_online_*`` run the online path, ``datasets.load_dataset("Qwen/RationaleRM", ...)`` itself,
in a subprocess whose ``HF_ENDPOINT`` points at the replica Hub on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rationalerm.cli import app
from rationalerm.data import (
    LabelJoin,
    join_labels,
    load_helpsteer3_preference,
    load_judgebench,
    load_rationalerm,
    load_rmbench,
    normalise_row,
    preference_key,
    read_rationalerm,
)
from rationalerm.io import InputError
from rationalerm.runs.bench import load_judgebench_rows
from rationalerm.runs.prepare_rl import prepare_rl

pytest.importorskip("datasets")
pytest.importorskip("huggingface_hub")

import hub_replicas as replicas
from hub_replicas import REPOS, HubReplica, download_snapshot, fill_hub_cache, write_repo

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RATIONALERM_SHARED_DATA") or ROOT.parent / "shared" / "data")


def folder_name(repo_id: str) -> str:
    return repo_id.replace("/", "__")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The replica repositories, as published."""
    base = tmp_path_factory.mktemp("published")
    return {repo: write_repo(repo, base / folder_name(repo)) for repo in REPOS}


@pytest.fixture(scope="module")
def hub(published: dict[str, Path]):
    with HubReplica(published) as server:
        yield server


@pytest.fixture(scope="module")
def hub_cache(hub: HubReplica, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hub cache holding every replica, filled by ``huggingface_hub.snapshot_download``."""
    cache = tmp_path_factory.mktemp("hub-cache")
    for repo in REPOS:
        fill_hub_cache(hub, repo, cache)
    return cache


@pytest.fixture(scope="module")
def snapshots(hub: HubReplica, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A ``--local-dir`` snapshot folder of every replica."""
    base = tmp_path_factory.mktemp("snapshots")
    return {repo: download_snapshot(hub, repo, base / folder_name(repo)) for repo in REPOS}


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, hub_cache: Path) -> Path:
    """Offline mode with the filled hub cache, as a user sets it: ``HF_HUB_OFFLINE=1 HF_HUB_CACHE=...``."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    return hub_cache


@pytest.fixture
def empty_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Offline mode with an empty hub cache."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    return tmp_path / "empty-cache"


# --------------------------------------------------------------------------------------------------------------
# The replicas are what `datasets` reads as the cards say


def test_replicas_load_through_datasets_as_their_cards_define(
    published: dict[str, Path], tmp_path: Path
) -> None:
    from datasets import load_dataset
    from datasets.exceptions import DatasetGenerationError

    cache = str(tmp_path / "datasets-cache")
    atomic = published["Qwen/RationaleRM"]
    # One config, two splits whose columns differ: asking for a split builds both and fails to cast them to one
    # schema, which is why the loaders read one file per split.
    with pytest.raises(DatasetGenerationError):
        load_dataset(str(atomic), split="test", cache_dir=cache)
    test = load_dataset(
        str(atomic), data_files={"test": "data/helpsteer3_test_1000.jsonl"}, split="test", cache_dir=cache
    )
    assert "model-low_deceptive_alignment-checklist" in test.column_names and len(test) == 6
    full = load_dataset(
        str(atomic),
        data_files={"full": "data/helpsteer3_human_checklist.jsonl"},
        split="full",
        cache_dir=cache,
    )
    assert set(full.column_names) == {"domain", "context", "response1", "response2", "human-checklist"}
    hs3 = load_dataset(str(published["nvidia/HelpSteer3"]), "preference", cache_dir=cache)
    assert {name: len(split) for name, split in hs3.items()} == {"train": 3, "validation": 3}
    assert hs3["train"][0]["overall_preference"] == 2
    judgebench = load_dataset(str(published["ScalerLab/JudgeBench"]), cache_dir=cache)
    assert {name: len(split) for name, split in judgebench.items()} == {"gpt": 3, "claude": 2}
    assert judgebench["gpt"][0]["original_id"] == "1420"
    rmbench = load_dataset(str(published["THU-KEG/RM-Bench"]), cache_dir=cache)
    assert list(rmbench) == ["train"] and len(rmbench["train"]) == 5


# --------------------------------------------------------------------------------------------------------------
# HelpSteer3-Atomic: the Hub id (offline, from the hub cache), a snapshot folder, a data file


def test_rationalerm_from_the_hub_cache_a_snapshot_and_a_file(
    offline: Path, snapshots: dict[str, Path], published: dict[str, Path]
) -> None:
    by_id = read_rationalerm("Qwen/RationaleRM")
    assert by_id.source.origin == "hub cache" and by_id.source.split == "test"
    assert by_id.source.repo_path == "data/helpsteer3_test_1000.jsonl"
    assert str(by_id.source.path).startswith(str(offline))
    snapshot = read_rationalerm(snapshots["Qwen/RationaleRM"])
    assert snapshot.source.origin == "snapshot"
    file = read_rationalerm(published["Qwen/RationaleRM"] / "data" / "helpsteer3_test_1000.jsonl")
    assert file.source.origin == "file"
    assert by_id.rows == snapshot.rows == file.rows
    samples = load_rationalerm("Qwen/RationaleRM")
    assert len(samples) == 6
    assert set(samples[0].judgments) == {"model-low_deceptive_alignment", "model-high_deceptive_alignment"}
    assert [s.human_label for s in samples] == [2, 1, 1, 2, 1, None]  # row 5 matched swapped, row 6 unmatched
    full = load_rationalerm(snapshots["Qwen/RationaleRM"], split="full")
    assert len(full) == 6 and all(not s.judgments for s in full)
    assert [s.id for s in full] == [s.id for s in samples]  # same content, same ids from every source


def test_the_first_commit_layout_with_files_at_the_root_still_reads(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    for relative, data in replicas.repo_files("Qwen/RationaleRM").items():
        target = folder / Path(relative).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    data = read_rationalerm(folder, split="full", labels_from="none")
    assert data.source.repo_path == "helpsteer3_human_checklist.jsonl" and len(data.rows) == 6


def test_label_join_counts_and_names_what_it_could_not_match(
    offline: Path, snapshots: dict[str, Path]
) -> None:
    data = read_rationalerm("Qwen/RationaleRM")
    labels = data.labels
    assert (labels.rows, labels.in_data, labels.matched, labels.swapped, labels.ambiguous) == (6, 0, 5, 1, 0)
    assert labels.source is not None and labels.source.startswith(
        "nvidia/HelpSteer3 (train + validation, hub cache"
    )
    assert [position for position, _ in labels.unlabelled] == [6]
    assert labels.as_dict()["unlabelled_rows"][0]["id"] == load_rationalerm("Qwen/RationaleRM")[5].id
    # the swapped row gets HelpSteer3's preference turned around: there response 2 (here response 1) was better
    assert data.rows[4][1]["overall_preference"] == -3
    off = read_rationalerm("Qwen/RationaleRM", labels_from="none")
    assert (
        off.labels.matched == 0
        and len(off.labels.unlabelled) == 6
        and off.labels.note == "--labels-from none"
    )
    explicit = read_rationalerm(
        snapshots["Qwen/RationaleRM"], labels_from=str(snapshots["nvidia/HelpSteer3"])
    ).labels
    assert (explicit.matched, explicit.swapped, len(explicit.unlabelled)) == (5, 1, 1)
    one_file = snapshots["nvidia/HelpSteer3"] / "preference" / "train.jsonl.gz"
    partial = read_rationalerm(snapshots["Qwen/RationaleRM"], labels_from=str(one_file)).labels
    assert partial.source == str(one_file) and partial.matched == 3  # pairs 0, 1 and 4 are train rows


def test_labels_in_the_rows_win_and_conflicting_sources_are_ambiguous(tmp_path: Path) -> None:
    rows = replicas.atomic_rows(with_models=False)
    rows[0]["label"] = 1  # the data's own label, against HelpSteer3's +2
    positioned = list(enumerate(rows, start=1))
    train = replicas.helpsteer3_rows("train")
    conflicting = [*train, {**train[1], "overall_preference": 2}]  # pair 1 again, the other way
    source = tmp_path / "hs3.jsonl.gz"
    source.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in conflicting).encode()))
    report = join_labels(positioned, source)
    assert report.in_data == 1 and rows[0]["label"] == 1 and "overall_preference" not in rows[0]
    assert report.ambiguous == 1 and "overall_preference" not in rows[1]
    assert report.matched == 1  # pair 4, swapped (pairs 2 and 3 are validation rows, row 6 is nowhere)
    assert [p for p, _ in report.unlabelled] == [2, 3, 4, 6]
    line = report.summary_line()
    assert (
        "1 of 6 rows carried a human label" in line and "1 ambiguous" in line and "4 left without one" in line
    )


def test_auto_labels_are_not_fetched_for_a_local_file_when_helpsteer3_is_not_cached(
    empty_cache: Path, published: dict[str, Path]
) -> None:
    data = read_rationalerm(published["Qwen/RationaleRM"] / "data" / "helpsteer3_test_1000.jsonl")
    assert data.labels.source is None and data.labels.matched == 0 and len(data.labels.unlabelled) == 6
    assert data.labels.note is not None and "--labels-from nvidia/HelpSteer3" in data.labels.note


def test_preference_key_is_canonical_json_of_turns_and_responses() -> None:
    turns = [{"role": "user", "content": "hi"}]
    key = preference_key(turns, "a", "b")
    assert key == preference_key([{"content": "hi", "role": "user"}], "a", "b")  # key order
    assert key == preference_key([{"role": "user", "content": "hi", "edited": None}], "a", "b")  # other keys
    assert key != preference_key(turns, "b", "a") and key != preference_key(turns, "a", "b ")
    assert len(key) == 64


def test_rows_are_normalised_the_same_from_every_source() -> None:
    from_arrow = {
        "context": [{"role": "user", "content": "x", "name": None}],
        "response1": "a",
        "extra": None,
    }
    assert normalise_row(from_arrow) == {
        "context": [{"role": "user", "content": "x"}],
        "response1": "a",
        "extra": None,
    }


# --------------------------------------------------------------------------------------------------------------
# HelpSteer3, JudgeBench, RM-Bench


def test_helpsteer3_from_the_hub_cache_a_snapshot_and_a_gzip_file(
    offline: Path, snapshots: dict[str, Path]
) -> None:
    validation = load_helpsteer3_preference("nvidia/HelpSteer3")
    train = load_helpsteer3_preference(snapshots["nvidia/HelpSteer3"], split="train")
    from_gz = load_helpsteer3_preference(snapshots["nvidia/HelpSteer3"] / "preference" / "train.jsonl.gz")
    assert [s.human_label for s in validation] == [1, 2, 0]
    assert [s.id for s in train] == [s.id for s in from_gz] and len(train) == 3
    assert train[0].row["individual_preference"][1]["reasoning"] == "Checked the facts in both responses."


def test_judgebench_splits_from_the_hub_cache_a_snapshot_and_a_github_file(
    offline: Path, snapshots: dict[str, Path], tmp_path: Path
) -> None:
    gpt = load_judgebench("gpt")
    assert [p.original_id for p in gpt] == ["1420", None, None] and [p.label for p in gpt] == [1, 2, 1]
    assert load_judgebench("ScalerLab/JudgeBench", split="claude") == load_judgebench(
        "ScalerLab/JudgeBench:claude"
    )
    folder = snapshots["ScalerLab/JudgeBench"]
    assert load_judgebench(folder, split="gpt") == gpt == load_judgebench(f"{folder}:gpt")
    # the GitHub file writes original_id as a number; the pair holds text from every source
    github = tmp_path / "dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl"
    github.write_text(
        "".join(
            json.dumps({**r, "original_id": int(r["original_id"]) if r["original_id"] else None}) + "\n"
            for r in replicas.judgebench_rows("gpt")
        )
    )
    assert load_judgebench(github) == gpt
    rows = load_judgebench_rows(f"{folder}:claude")
    assert [r["original_id"] for r in rows] == ["1420", None] and rows[0]["label"] == "A>B"


def test_rmbench_from_the_hub_cache_and_a_snapshot_holding_only_total_dataset(
    offline: Path, snapshots: dict[str, Path]
) -> None:
    items = load_rmbench("THU-KEG/RM-Bench")
    assert [i.source_domain for i in items] == ["chat", "code", "math", "safety-refuse", "safety-response"]
    assert [i.domain for i in items][-2:] == ["safety", "safety"] and items[0].id == "100"
    folder = snapshots["THU-KEG/RM-Bench"]
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["README.md", "total_dataset.json"]
    assert load_rmbench(folder) == items


def test_rmbench_github_folder_still_reads(tmp_path: Path) -> None:
    folder = tmp_path / "rmbench"
    folder.mkdir()
    rows = [{k: v for k, v in r.items() if k != "domain"} for r in replicas.rmbench_rows()[:2]]
    (folder / "chat_filtered.json").write_text(json.dumps(rows[:1]))
    (folder / "code_filtered.json").write_text(json.dumps(rows[1:]))
    assert [i.source_domain for i in load_rmbench(folder)] == ["chat", "code"]


# --------------------------------------------------------------------------------------------------------------
# Errors name what was asked, list what exists, say the fix


def test_a_wrong_split_or_config_lists_the_published_ones(offline: Path, snapshots: dict[str, Path]) -> None:
    with pytest.raises(
        InputError, match=r"no split 'train'; Qwen/RationaleRM's card defines full \(.*\), test"
    ):
        read_rationalerm("Qwen/RationaleRM", split="train")
    with pytest.raises(
        InputError, match=r"no split 'test'; nvidia/HelpSteer3's card defines train, validation"
    ):
        load_helpsteer3_preference(snapshots["nvidia/HelpSteer3"], split="test")
    with pytest.raises(InputError, match=r"no config 'feedback'; this loader reads config 'preference'"):
        load_helpsteer3_preference("nvidia/HelpSteer3", config="feedback")
    with pytest.raises(InputError, match=r"which split\? ScalerLab/JudgeBench has gpt \(350 .*\), claude"):
        load_judgebench("ScalerLab/JudgeBench")


def test_a_missing_file_lists_what_the_folder_holds_and_the_fix(tmp_path: Path) -> None:
    folder = write_repo("Qwen/RationaleRM", tmp_path / "partial", without=["data/helpsteer3_test_1000.jsonl"])
    with pytest.raises(InputError) as caught:
        read_rationalerm(folder)
    message = str(caught.value)
    assert "has no data/helpsteer3_test_1000.jsonl (split 'test')" in message
    assert "it holds: data/helpsteer3_human_checklist.jsonl" in message
    assert (
        f"hf download Qwen/RationaleRM data/helpsteer3_test_1000.jsonl --repo-type dataset --local-dir {folder}"
        in message
    )
    with pytest.raises(
        InputError, match=r"no total_dataset.json .* it holds: data/helpsteer3_human_checklist.jsonl"
    ):
        load_rmbench(folder)


def test_offline_without_a_cached_snapshot_says_how_to_get_one(empty_cache: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_rationalerm("Qwen/RationaleRM")
    message = str(caught.value)
    assert "offline mode is on (HF_HUB_OFFLINE)" in message and str(empty_cache) in message
    assert "hf download Qwen/RationaleRM --repo-type dataset" in message
    with pytest.raises(
        InputError, match=r"no such file or folder; give a data file, a snapshot folder of Qwen"
    ):
        read_rationalerm("runs/typo")


# --------------------------------------------------------------------------------------------------------------
# The commands


def test_evaluate_the_hub_id_offline_reports_outcome_accuracy_with_joined_labels(
    offline: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["evaluate", "Qwen/RationaleRM", "--output-dir", str(out), "--bootstrap", "50"]
    )
    assert result.exit_code == 0, result.output
    assert "5 joined from nvidia/HelpSteer3" in result.output and "1 left without one" in result.output
    summary = json.loads((out / "summary.json").read_text())
    models = {m["model"]: m for m in summary["models"]}
    low, high = models["model-low_deceptive_alignment"], models["model-high_deceptive_alignment"]
    # the low model's verdict agrees with every joined label, the high model's with none; row 6 has none
    assert (low["outcome_accuracy"], low["outcome_n"], low["outcome_unlabelled"]) == (1.0, 5, 1)
    assert (high["outcome_accuracy"], high["outcome_n"]) == (0.0, 5)
    assert summary["labels"]["matched"] == 5 and summary["labels"]["unlabelled"] == 1
    assert summary["provenance"]["source"]["origin"] == "hub cache"
    assert summary["provenance"]["source"]["repo_path"] == "data/helpsteer3_test_1000.jsonl"


def test_evaluate_a_snapshot_folder_and_the_full_split(
    offline: Path, snapshots: dict[str, Path], tmp_path: Path
) -> None:
    folder = str(snapshots["Qwen/RationaleRM"])
    result = CliRunner().invoke(
        app, ["evaluate", folder, "--output-dir", str(tmp_path / "a"), "--bootstrap", "20"]
    )
    assert result.exit_code == 0, result.output
    full = CliRunner().invoke(
        app, ["evaluate", "Qwen/RationaleRM", "--split", "full", "--output-dir", str(tmp_path / "b")]
    )
    assert full.exit_code == 1 and "Traceback" not in full.output
    assert "no '<model>-checklist' key in any row (split 'full' holds human checklists only" in full.output
    wrong = CliRunner().invoke(app, ["evaluate", folder, "--split", "train"])
    assert wrong.exit_code == 1 and "no split 'train'" in wrong.output and "full (" in wrong.output
    no_labels = CliRunner().invoke(
        app,
        [
            "evaluate",
            folder,
            "--labels-from",
            "none",
            "--output-dir",
            str(tmp_path / "c"),
            "--bootstrap",
            "20",
        ],
    )
    assert (
        no_labels.exit_code == 0
        and "left out of outcome accuracy for want of a human label" in no_labels.output
    )
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert all(m["outcome_accuracy"] is None and m["outcome_unlabelled"] == 6 for m in summary["models"])


def test_prepare_rl_on_the_full_split_joins_labels_and_counts_the_rest(offline: Path, tmp_path: Path) -> None:
    summary = prepare_rl("Qwen/RationaleRM", tmp_path / "train.jsonl", "trl")
    assert summary.source is not None and summary.source.split == "full"
    assert isinstance(summary.labels, LabelJoin) and summary.labels.matched == 5
    assert summary.written == 5 and summary.skipped == 1
    assert summary.problems[0].line == 6 and summary.problems[0].field == "label"
    rows = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    assert [r["human_label"] for r in rows] == ["B", "A", "A", "B", "A"]
    result = CliRunner().invoke(app, ["prepare-rl", "Qwen/RationaleRM", "-o", str(tmp_path / "v.parquet")])
    assert result.exit_code == 0, result.output
    assert "5 joined from nvidia/HelpSteer3" in result.output and "wrote 5 rows" in result.output


def test_generate_on_the_published_test_split_then_evaluate_its_output(
    offline: Path, judge_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from judge_server import chat_reply

    judge_server.script = lambda request, number: chat_reply(
        "<RESULT_START>\n1. Response A is correct.\n2. Response B is wrong.\n\\boxed{A>B}\n<RESULT_END>"
    )
    monkeypatch.chdir(tmp_path)
    args = ["--model-name", "gx", "--judge-model", "genrm-x", "--base-url", judge_server.url, "--no-cache"]
    result = CliRunner().invoke(app, ["generate", "Qwen/RationaleRM", *args, "--api-key", "k"])
    assert result.exit_code == 0, result.output
    output = tmp_path / "helpsteer3_test_1000.gx.genrm.jsonl"  # in the working folder, not the hub cache
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(rows) == 6 and all(r["gx-label"] == 1 for r in rows)
    assert "overall_preference" not in rows[0]  # the published fields as they are: no label added
    report = CliRunner().invoke(
        app, ["evaluate", str(output), "--model", "gx", "--output-dir", "out", "--bootstrap", "20"]
    )
    assert report.exit_code == 0, report.output
    gx = json.loads((tmp_path / "out" / "summary.json").read_text())["models"][0]
    # A is the human's choice in rows 2, 3 and 5 of the 5 with a joined label
    assert (gx["outcome_accuracy"], gx["outcome_n"], gx["outcome_unlabelled"]) == (0.6, 5, 1)


# --------------------------------------------------------------------------------------------------------------
# Online: datasets.load_dataset against the replica Hub (HF_ENDPOINT), in a subprocess


def _run_online(
    hub: HubReplica, tmp_path: Path, args: list[str], *, home: str = "hf-home"
) -> subprocess.CompletedProcess[str]:
    """``args`` run online against ``hub`` with a Hugging Face home of its own (``home`` under ``tmp_path``)."""
    env = dict(os.environ, HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path / home), HF_HUB_DISABLE_TELEMETRY="1")
    # (the local matcher sets HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE in this process when it loads its encoder)
    offline = (
        "HF_HUB_OFFLINE",
        "HF_DATASETS_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_HUB_CACHE",
        "HF_DATASETS_CACHE",
    )
    for variable in offline:
        env.pop(variable, None)
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)


def test_online_each_loader_reads_its_hub_id_through_datasets(hub: HubReplica, tmp_path: Path) -> None:
    script = """
import json
from rationalerm.data import *
data = read_rationalerm("Qwen/RationaleRM")
print(json.dumps({
    "origin": data.source.origin, "rows": len(data.rows), "matched": data.labels.matched,
    "labels_source": data.labels.source,
    "full": len(load_rationalerm("Qwen/RationaleRM", split="full", labels_from="none", require_human=True)),
    "hs3": [s.human_label for s in load_helpsteer3_preference("nvidia/HelpSteer3")],
    "judgebench": [p.original_id for p in load_judgebench("gpt")],
    "rmbench": [i.source_domain for i in load_rmbench("THU-KEG/RM-Bench")],
    "file": str(local_split_file("Qwen/RationaleRM", RATIONALERM, split="full").path),
}))
"""
    hub.requests.clear()
    result = _run_online(hub, tmp_path, [sys.executable, "-c", script])
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["origin"] == "hub" and got["rows"] == 6 and got["matched"] == 5
    assert got["labels_source"] == "nvidia/HelpSteer3 (train + validation, hub)"
    assert got["full"] == 6 and got["hs3"] == [1, 2, 0] and got["judgebench"] == ["1420", None, None]
    assert got["rmbench"] == ["chat", "code", "math", "safety-refuse", "safety-response"]
    # generate's path: the split's file fetched into the hub cache (hf_hub_download), then read by line
    assert got["file"].startswith(
        str(tmp_path / "hf-home" / "hub" / "datasets--Qwen--RationaleRM" / "snapshots")
    )
    assert got["file"].endswith("data/helpsteer3_human_checklist.jsonl")
    fetched = {
        path.rsplit("/", 1)[-1] for method, path in hub.requests if method == "GET" and "/resolve/" in path
    }
    assert {
        "helpsteer3_test_1000.jsonl",
        "train.jsonl.gz",
        "gpt-00000-of-00001.jsonl",
        "total_dataset.json",
    } <= fetched
    assert "claude-00000-of-00001.jsonl" not in fetched  # one file per split: the other split is never read


def test_online_evaluate_and_a_file_missing_from_the_repository(
    hub: HubReplica, published: dict[str, Path], tmp_path: Path
) -> None:
    rationalerm = [sys.executable, "-m", "rationalerm"]
    result = _run_online(hub, tmp_path, [*rationalerm, "evaluate", "Qwen/RationaleRM", "--bootstrap", "20"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((tmp_path / "runs" / "RationaleRM" / "summary.json").read_text())
    assert summary["provenance"]["source"]["origin"] == "hub" and summary["labels"]["matched"] == 5
    # auto labels from a Hub without nvidia/HelpSteer3: said, not fatal
    with HubReplica({"Qwen/RationaleRM": published["Qwen/RationaleRM"]}) as lone_hub:
        lone = _run_online(lone_hub, tmp_path, [*rationalerm, "evaluate", "Qwen/RationaleRM"], home="lone")
    assert lone.returncode == 0, lone.stdout[-2000:] + lone.stderr[-2000:]
    assert "6 left without one (nvidia/HelpSteer3 could not be read: nvidia/HelpSteer3: no such dataset" in (
        " ".join(lone.stdout.split())
    )
    # a repository laid out as its first commit was (files at the root): the message lists what it holds
    old = tmp_path / "old-layout"
    for relative, data in replicas.repo_files("Qwen/RationaleRM").items():
        (old / Path(relative).name).parent.mkdir(parents=True, exist_ok=True)
        (old / Path(relative).name).write_bytes(data)
    with HubReplica({"Qwen/RationaleRM": old}) as old_hub:
        missing = _run_online(old_hub, tmp_path, [*rationalerm, "evaluate", "Qwen/RationaleRM"], home="fresh")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "no file data/helpsteer3_test_1000.jsonl (split 'test') in the repository" in missing.stderr
    listing = (
        "it holds: .gitattributes, README.md, helpsteer3_human_checklist.jsonl, helpsteer3_test_1000.jsonl"
    )
    assert listing in missing.stderr


def test_online_the_readme_commands_hf_download_then_offline_evaluate(
    hub: HubReplica, tmp_path: Path
) -> None:
    hf = Path(sys.executable).parent / "hf"
    if not hf.exists():
        pytest.skip("the hf command of huggingface_hub is not installed beside this Python")
    for repo, extra in (("Qwen/RationaleRM", []), ("nvidia/HelpSteer3", ["--include", "preference/*"])):
        fetched = _run_online(hub, tmp_path, [str(hf), "download", repo, "--repo-type", "dataset", *extra])
        assert fetched.returncode == 0, fetched.stderr[-2000:]
    snapshot = _run_online(
        hub,
        tmp_path,
        [str(hf), "download", "Qwen/RationaleRM", "--repo-type", "dataset", "--local-dir", "snap"],
    )
    assert snapshot.returncode == 0, snapshot.stderr[-2000:]
    env = dict(
        os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf-home"), HF_ENDPOINT="http://127.0.0.1:9"
    )
    env.pop("HF_HUB_CACHE", None)
    rationalerm = [sys.executable, "-m", "rationalerm", "evaluate"]
    for source, out in (("Qwen/RationaleRM", "cached"), ("snap", "snapshot")):
        run = subprocess.run(
            [*rationalerm, source, "--output-dir", out, "--bootstrap", "20"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        summary = json.loads((tmp_path / out / "summary.json").read_text())
        assert summary["labels"]["matched"] == 5 and summary["labels"]["unlabelled"] == 1
        assert summary["provenance"]["source"]["origin"] == ("hub cache" if out == "cached" else "snapshot")


@pytest.mark.slow
def test_a_hub_that_cannot_be_reached_falls_back_to_the_hub_cache(hub_cache: Path, tmp_path: Path) -> None:
    """Not offline, but nothing listens at HF_ENDPOINT: after datasets' own retries (about 25 s), the split's file
    is read from the hub cache, and the source says so."""
    env = dict(
        os.environ, HF_ENDPOINT="http://127.0.0.1:9", HF_HOME=str(tmp_path), HF_HUB_CACHE=str(hub_cache)
    )
    for variable in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(variable, None)
    script = "from rationalerm.data import read_rationalerm as r; d = r('Qwen/RationaleRM'); "
    script += "print(d.source.origin, d.labels.matched)"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "hub cache 5"
