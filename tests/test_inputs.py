"""One input policy over the real command line (issue 19): data never read as rich markup, duplicate ids, bad
labels, invalid UTF-8, empty inputs and JSON arrays given as JSONL. Each case runs the CLI in a subprocess against
the scripted judge of ``judge_server.py`` where the command needs one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from judge_server import JudgeServer, chat_reply

CLI = [sys.executable, "-c", "from rationalerm.cli import main; main()"]
MODEL = "m1"
DEMO = Path(__file__).parent.parent / "examples" / "helpsteer3_atomic_demo.jsonl"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


def row(i: int | str, **extra) -> dict:
    return {
        "id": f"s{i}" if isinstance(i, int) else i,
        "domain": "code",
        "context": [{"role": "user", "content": f"question {i}"}],
        "response1": "one",
        "response2": "two",
        "label": 1,
        "human-checklist": [f"Response 1 point {j} ({i})" for j in range(2)],
        f"{MODEL}-checklist": [f"Response A reason {j} ({i})" for j in range(2)],
        f"{MODEL}-label": "A>B",
        **extra,
    }


def write(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def genrm(req, n):
    return chat_reply("1. Response A is right.\n\\boxed{A>B}")


def judge_args(server: JudgeServer, source: Path, output: Path, *more: str) -> list[str]:
    return ["judge", str(source), "--model", MODEL, "--judge-model", "j", "--base-url", server.url,
            "--output", str(output), "--no-cache", *more]  # fmt: skip


def generate_args(server: JudgeServer, source: Path, output: Path, *more: str) -> list[str]:
    return ["generate", str(source), "--model-name", "g", "--judge-model", "j", "--base-url", server.url,
            "--output", str(output), "--no-cache", *more]  # fmt: skip


# --------------------------------------------------------------------------------------------------------------
# 4. Data is never read as markup


def test_judge_prints_a_bad_row_whose_id_holds_markup_and_judges_the_others(tmp_path):
    (tmp_path / "a[").mkdir()
    source = write(
        tmp_path / "a[" / "b].jsonl", [row("[/x]", **{f"{MODEL}-checklist": "no list"}), row(1), row(2)]
    )
    output = tmp_path / "out.jsonl"
    with JudgeServer() as server:
        done = cli(*judge_args(server, source, output))
    assert done.returncode == 0, done.stderr
    assert "MarkupError" not in done.stderr
    assert [r["rationalerm"]["sample_id"] for r in records(output)] == ["s1", "s2"]
    assert f"{source}:1: field '{MODEL}-checklist'" in done.stderr


def test_paths_and_model_names_with_markup_print_as_given(tmp_path):
    folder = tmp_path / "x[red]["
    folder.mkdir()
    source = write(folder / "in[bold].jsonl", [row(1), row(2)])
    output = folder / "out[/b].jsonl"
    with JudgeServer() as server:
        done = cli(*judge_args(server, source, output))
    assert done.returncode == 0, done.stderr
    assert str(output) in done.stdout.replace("\n", "")


def test_evaluate_prints_a_model_named_like_markup(tmp_path):
    name = "[red]x[/red]"
    rows = [{**r, f"{name}-checklist": r[f"{MODEL}-checklist"], f"{name}-label": 1} for r in (row(1), row(2))]
    source = write(tmp_path / "in.jsonl", rows)
    done = cli("evaluate", str(source), "--output-dir", str(tmp_path / "out"), "--labels-from", "none")
    assert done.returncode == 0, done.stderr
    assert name in done.stdout


def test_help_shows_bracketed_tags_as_written():
    done = cli("evaluate", "--help")
    assert done.returncode == 0, done.stderr
    assert "[llm] The evaluator model." in " ".join(done.stdout.split())


def test_install_hint_keeps_its_extra(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from rationalerm import cli as cli_module

    def refuse(*args, **kwargs):
        raise ImportError("reading parquet needs pyarrow: pip install 'rationalerm[hub]'")

    monkeypatch.setattr("rationalerm.runs.evaluate.evaluate", refuse)
    result = CliRunner().invoke(cli_module.app, ["evaluate", str(DEMO), "--output-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "pip install 'rationalerm[hub]'" in result.output


def test_notes_keep_the_install_hints_they_carry(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from typer.testing import CliRunner

    from rationalerm import cli as cli_module

    hint = "the scatter plot needs matplotlib: pip install 'rationalerm[local]' or \"rationalerm[train]\""

    def build(*args, **kwargs):
        return SimpleNamespace(notes=[hint], html=tmp_path / "r.html", images=[])

    monkeypatch.setattr("rationalerm.report.build_report", build)
    result = CliRunner().invoke(cli_module.app, ["report", str(DEMO), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert hint in " ".join(result.output.split())


def test_problem_printer_prints_markup_as_text(capsys):
    from rationalerm.cli import ProblemPrinter
    from rationalerm.io import RowProblem

    printer = ProblemPrinter()
    printer(RowProblem("a[/b].jsonl", 3, "[x]", "bad [bold]value[/bold]"))
    err = capsys.readouterr().err
    assert "a[/b].jsonl:3: field '[x]': bad [bold]value[/bold]" in " ".join(err.split())


# --------------------------------------------------------------------------------------------------------------
# 5. One input policy


@pytest.mark.parametrize("command", ["judge", "generate"])
def test_duplicate_ids_stop_before_any_request_naming_both_lines(tmp_path, command):
    source = write(tmp_path / "in.jsonl", [row(1), row(2), row(1)])
    output = tmp_path / "out.jsonl"
    with JudgeServer(genrm if command == "generate" else None) as server:
        args = judge_args if command == "judge" else generate_args
        done = cli(*args(server, source, output))
        assert server.count == 0
    assert done.returncode == 1
    assert "duplicate id 's1': lines 1 and 3" in " ".join(done.stderr.split())
    assert "--dedupe" in done.stderr
    assert not output.exists()


@pytest.mark.parametrize("command", ["judge", "generate"])
@pytest.mark.parametrize("keep", ["first", "last"])
def test_dedupe_keeps_the_row_asked_for_and_reports_the_other(tmp_path, command, keep):
    first, last = row(1, domain="first"), row(1, domain="last")
    source = write(tmp_path / "in.jsonl", [first, row(2), last])
    output = tmp_path / "out.jsonl"
    with JudgeServer(genrm if command == "generate" else None) as server:
        args = judge_args if command == "judge" else generate_args
        done = cli(*args(server, source, output, "--dedupe", keep))
    assert done.returncode == 0, done.stderr
    rows = records(output)
    if command == "judge":
        rows = [r["metadata"] for r in rows]
    assert len(rows) == 2
    assert next(r["domain"] for r in rows if r["id"] == "s1") == keep
    dropped = 3 if keep == "first" else 1
    assert f"left out {source}:{dropped}: field 'id'" in " ".join(done.stderr.split())


def test_evaluate_stops_on_duplicate_ids_and_dedupe_reports_the_row_left_out(tmp_path):
    source = write(tmp_path / "in.jsonl", [row(1), row(2), row(1)])
    out = tmp_path / "report"
    done = cli("evaluate", str(source), "--output-dir", str(out), "--bootstrap", "0")
    assert done.returncode == 1
    assert "duplicate id 's1': lines 1 and 3" in " ".join(done.stderr.split())
    assert not (out / "summary.json").exists()
    done = cli("evaluate", str(source), "--output-dir", str(out), "--bootstrap", "0", "--dedupe", "last")
    assert done.returncode == 0, done.stderr
    assert f"left out {source}:1: field 'id'" in " ".join(done.stderr.split())
    assert len(records(out / "samples.jsonl")) == 2 * len(
        json.loads((out / "summary.json").read_text())["models"]
    )


@pytest.mark.parametrize("command", ["judge", "generate", "analyze", "evaluate"])
def test_invalid_utf8_is_an_error_naming_the_line(tmp_path, command):
    source = tmp_path / "in.jsonl"
    lines = [
        json.dumps(row(1)).encode(),
        json.dumps(row(2)).replace("question", "qu\udcffestion").encode("utf-8", "surrogateescape"),
    ]
    source.write_bytes(b"\n".join(lines) + b"\n")
    output = tmp_path / "out.jsonl"
    with JudgeServer(genrm if command == "generate" else None) as server:
        if command == "judge":
            args = judge_args(server, source, output)
        elif command == "generate":
            args = generate_args(server, source, output)
        elif command == "analyze":
            args = ["analyze", str(source)]
        else:
            args = ["evaluate", str(source), "--output-dir", str(tmp_path / "ev"), "--labels-from", "none"]
        done = cli(*args)
        assert server.count == 0
    assert done.returncode != 0
    assert f"{source}:2: not valid UTF-8 (byte 0xff" in " ".join(done.stderr.split())
    assert "--encoding-errors replace" in done.stderr


@pytest.mark.parametrize("command", ["judge", "generate"])
def test_encoding_errors_replace_reads_the_line_and_reports_it(tmp_path, command):
    source = tmp_path / "in.jsonl"
    lines = [
        json.dumps(row(1)).encode(),
        json.dumps(row(2)).replace("question", "qu\udcffestion").encode("utf-8", "surrogateescape"),
    ]
    source.write_bytes(b"\n".join(lines) + b"\n")
    output = tmp_path / "out.jsonl"
    with JudgeServer(genrm if command == "generate" else None) as server:
        args = judge_args if command == "judge" else generate_args
        done = cli(*args(server, source, output, "--encoding-errors", "replace"))
    assert done.returncode == 0, done.stderr
    assert len(records(output)) == 2
    assert "\ufffd" in output.read_text(encoding="utf-8")
    text = " ".join(done.stderr.split())
    assert f"replaced {source}:2: not valid UTF-8" in text
    assert text.count("not valid UTF-8") == 1


@pytest.mark.parametrize("content", [b"", b"\n  \n"])
@pytest.mark.parametrize("command", ["judge", "generate"])
def test_an_empty_input_exits_nonzero_saying_what_is_expected(tmp_path, command, content):
    source = tmp_path / "in.jsonl"
    source.write_bytes(content)
    output = tmp_path / "out.jsonl"
    with JudgeServer(genrm if command == "generate" else None) as server:
        args = judge_args if command == "judge" else generate_args
        done = cli(*args(server, source, output))
    assert done.returncode == 1
    assert "found no row" in done.stderr and "expected JSON Lines" in done.stderr
    assert not output.exists()


@pytest.mark.parametrize("command", ["judge", "generate", "analyze"])
@pytest.mark.parametrize("indent", [None, 2])
def test_a_json_array_given_as_jsonl_exits_nonzero(tmp_path, command, indent):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps([row(1), row(2)], indent=indent), encoding="utf-8")
    output = tmp_path / "out.jsonl"
    with JudgeServer(genrm if command == "generate" else None) as server:
        if command == "analyze":
            done = cli("analyze", str(source))
        else:
            args = judge_args if command == "judge" else generate_args
            done = cli(*args(server, source, output))
        assert server.count == 0
    assert done.returncode == 1
    assert "found a JSON array where JSON Lines are expected" in " ".join(done.stderr.split())
    assert not output.exists()


def test_generate_exits_nonzero_when_no_row_is_usable(tmp_path):
    source = write(tmp_path / "in.jsonl", ["{not json", "[1, 2]"[:0] or "3"])
    with JudgeServer(genrm) as server:
        done = cli(*generate_args(server, source, tmp_path / "out.jsonl"))
    assert done.returncode == 1
    assert "no usable row" in done.stderr


def test_invalid_labels_are_reported_with_their_lines_and_counted(tmp_path):
    rows = [row(1), row(2, label="x"), row(3, label=3), '{"id": "s4", "label": NaN}', row(5, label=True)]
    nan_row = row(4)
    nan_row["label"] = "NAN_PLACEHOLDER"
    rows[3] = json.dumps(nan_row).replace('"NAN_PLACEHOLDER"', "NaN")
    source = write(tmp_path / "in.jsonl", rows)
    out = tmp_path / "ev"
    done = cli("evaluate", str(source), "--output-dir", str(out), "--labels-from", "none")
    assert done.returncode == 0, done.stderr
    err = " ".join(done.stderr.split())
    for line, value in ((2, "'x'"), (3, "3"), (4, "nan"), (5, "True")):
        assert f"kept {source}:{line}: field 'label': {value} is not a valid label" in err
    assert "4 rows without a valid label were left out of outcome accuracy" in " ".join(done.stdout.split())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["invalid_labels"] == 4
    model = next(m for m in summary["models"] if m["model"] == MODEL)
    assert model["outcome_n"] == 1
    strict = cli("evaluate", str(source), "--output-dir", str(out), "--labels-from", "none", "--strict")
    assert strict.returncode == 1 and f"{source}:2: field 'label'" in " ".join(strict.stderr.split())


def test_analyze_reports_and_counts_invalid_labels(tmp_path):
    demo = Path(__file__).parent.parent / "examples" / "metajudge_output_demo.jsonl"
    rows = [json.loads(line) for line in demo.read_text(encoding="utf-8").splitlines()[:6]]
    for row_, value in zip(rows[1:4], ("x", 3, True), strict=True):
        row_["metadata"]["label"] = value
        row_["metadata"].pop("overall_preference", None)
    source = write(tmp_path / "run.jsonl", rows)
    done = cli("analyze", str(source))
    assert done.returncode == 0, done.stderr
    err = " ".join(done.stderr.split())
    for line, value in ((2, "'x'"), (3, "3"), (4, "True")):
        assert f"kept {source}:{line}: field 'label': {value} is not a valid label" in err
    assert "3 rows without a valid label were left out of outcome accuracy" in " ".join(done.stdout.split())
    strict = cli("analyze", str(source), "--strict")
    assert strict.returncode == 1 and f"{source}:2: field 'label'" in " ".join(strict.stderr.split())


@pytest.mark.parametrize("command", ["analyze", "evaluate"])
def test_readers_take_encoding_errors_replace(tmp_path, command):
    if command == "analyze":
        demo = Path(__file__).parent.parent / "examples" / "metajudge_output_demo.jsonl"
        lines = demo.read_bytes().splitlines()[:6]
    else:
        lines = [json.dumps(row(i)).encode() for i in range(4)]
    lines[1] = lines[1].replace(b"Response", b"Resp\xffonse", 1)
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    args = ["analyze", str(source)] if command == "analyze" else [
        "evaluate", str(source), "--output-dir", str(tmp_path / "ev"), "--labels-from", "none"]  # fmt: skip
    done = cli(*args, "--encoding-errors", "replace")
    assert done.returncode == 0, done.stderr
    assert f"replaced {source}:2: not valid UTF-8" in " ".join(done.stderr.split())
    assert cli(*args).returncode == 1


def test_tag_stops_on_duplicate_ids_and_prints_a_markup_judge_name(tmp_path):
    source = write(tmp_path / "in.jsonl", [row(1), row(2), row(1)])
    output = tmp_path / "out.jsonl"
    with JudgeServer() as server:
        args = ["tag", str(source), "--model-name", MODEL, "--judge-model", "[/j]", "--base-url", server.url,
                "--output", str(output), "--no-cache"]  # fmt: skip
        done = cli(*args)
        assert server.count == 0
        assert done.returncode == 1, done.stderr
        assert "duplicate id 's1': lines 1 and 3" in " ".join(done.stderr.split())
        assert not output.exists()
        again = cli(*args, "--dedupe", "first")
        assert server.count > 0
    assert "MarkupError" not in again.stderr and "Traceback" not in again.stderr
    assert f"left out {source}:3: field 'id'" in " ".join(again.stderr.split())
