"""`rationalerm judge` and the workflow under it, end to end over HTTP against the scripted judge server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from judge_server import JudgeServer, chat_reply, error_reply, list_sizes, metajudge_text
from rationalerm.io import InputError
from rationalerm.llm import JudgePool
from rationalerm.matchers import Matcher, MatchRequest
from rationalerm.matchers.llm import LLMMatcher
from rationalerm.parse import ParseFailure, parse_metajudge
from rationalerm.records import Matching, sample_from_row
from rationalerm.runs.analyze import analyze
from rationalerm.runs.judge import judge_async, judge_samples

MODEL = "genrm"
KEY = "sk-test-SECRET-7c1e0b93d2"
CLI = [sys.executable, "-c", "from rationalerm.cli import main; main()"]


def make_row(i: int, n_human: int = 3, n_model: int = 4) -> dict:
    return {
        "id": f"s{i}",
        "domain": "code",
        "context": [{"role": "user", "content": f"question {i}"}],
        "response1": "one",
        "response2": "two",
        "label": 1,
        "human-checklist": [f"Response 1 point {j} ({i})" for j in range(n_human)],
        f"{MODEL}-checklist": [f"Response A reason {j} ({i})" for j in range(n_model)],
        f"{MODEL}-label": "A>B",
    }


def write_rows(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def read_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_judge(
    server: JudgeServer, source: Path, output: Path, *, structured=False, max_model_items=5, **kwargs
):
    async def run():
        async with JudgePool(
            "judge-1", server.url, api_key=KEY, timeout=2, backoff_base=0.01, max_retries=2, concurrency=8
        ) as pool:
            matcher = LLMMatcher(pool, structured=structured, temperature=0.6, max_tokens=256)
            return await judge_async(
                source, output, model=MODEL, matcher=matcher, max_model_items=max_model_items, **kwargs
            )

    return asyncio.run(run())


def test_one_record_per_sample_in_the_released_layout(judge_server, tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(i, n_model=7 if i == 0 else 2) for i in range(6)])
    output = tmp_path / "out.jsonl"
    summary = run_judge(judge_server, source, output)
    assert (summary.total, summary.ok, summary.failed) == (6, 6, 0)
    records = read_records(output)
    assert [r["rationalerm"]["sample_id"] for r in records] == [f"s{i}" for i in range(6)]
    first = records[0]
    assert first["status"] == "success" and first["metadata"]["id"] == "s0"
    assert parse_metajudge(first["samples"][0]["generated_text"], 3, 5) == Matching.from_triples(
        first["rationalerm"]["matching"], 3, 5
    )
    block = first["rationalerm"]
    assert block["status"] == "ok" and block["reason"] is None and block["attempts"] == 1
    assert (block["model_items_total"], block["model_items_sent"], block["model_items_cut"]) == (7, 5, True)
    assert block["usage"]["total_tokens"] == 120
    provenance = block["provenance"]
    assert provenance["judge_model"] == "judge-1" and provenance["base_url"] == judge_server.url
    assert provenance["prompt_version"].startswith("metajudge_v1@")
    assert {"temperature", "max_tokens", "seed", "structured", "rationalerm_version"} <= set(provenance)
    # The model list was cut before sending: the judge saw S1..S5 only.
    assert list_sizes(judge_server.requests[0].body) in {(3, 5), (3, 2)}
    assert sorted(list_sizes(r.body)[1] for r in judge_server.requests) == [2, 2, 2, 2, 2, 5]
    # `rationalerm analyze` reads the output directly.
    (result,) = analyze([output], n_resamples=0).results
    assert result.model == MODEL and result.valid == 6


def test_no_cap_sends_every_model_item(judge_server, tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(0, n_model=8)])
    run_judge(judge_server, source, tmp_path / "out.jsonl", max_model_items=None)
    assert list_sizes(judge_server.requests[0].body) == (3, 8)


def test_parse_failures_are_recorded_then_retried_on_rerun(judge_server, tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(i) for i in range(8)])
    output = tmp_path / "out.jsonl"
    judge_server.script = lambda req, n: (
        chat_reply("I think they match.") if "point 0 (3)" in req["messages"][0]["content"] else None
    )
    first = run_judge(judge_server, source, output)
    assert (first.ok, first.parse_failed) == (7, 1)
    failed = [r for r in read_records(output) if r["rationalerm"]["status"] != "ok"]
    assert len(failed) == 1 and failed[0]["rationalerm"]["sample_id"] == "s3"
    assert failed[0]["rationalerm"]["reason"] == "no_result_block"
    assert failed[0]["rationalerm"]["answers"] == 3  # the first answer and two format retries
    assert failed[0]["samples"][0]["generated_text"] == "I think they match."

    judge_server.reset()
    judge_server.script = None
    second = run_judge(judge_server, source, output)
    assert (second.already_ok, second.judged, second.ok) == (7, 1, 1)
    assert judge_server.count == 1
    records = read_records(output)
    assert [r["rationalerm"]["sample_id"] for r in records] == [f"s{i}" for i in range(8)]
    assert all(r["rationalerm"]["status"] == "ok" for r in records)


def test_server_errors_end_as_explicit_errors(judge_server, tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(i) for i in range(3)])
    judge_server.script = lambda req, n: error_reply(500)
    summary = run_judge(judge_server, source, tmp_path / "out.jsonl")
    assert summary.error == 3 and summary.reasons == Counter({"server_error": 3})
    record = read_records(tmp_path / "out.jsonl")[0]
    assert record["status"] == "failed" and record["samples"] == []
    assert record["rationalerm"]["status"] == "error" and record["rationalerm"]["attempts"] == 3
    assert "gave up after 3 attempts" in record["rationalerm"]["detail"]


def test_bad_rows_are_reported_and_the_rest_still_run(judge_server, tmp_path):
    rows = [make_row(0), "{not json", {**make_row(1), "human-checklist": "oops"}, make_row(2), make_row(0)]
    missing = make_row(3)
    del missing[f"{MODEL}-checklist"]
    source = write_rows(tmp_path / "in.jsonl", [*rows, missing])
    # two rows with one id stop the run before anything is sent, naming both lines (issue 19) ...
    with pytest.raises(InputError, match=r"in\.jsonl:5: field 'id': duplicate id 's0': lines 1 and 5"):
        run_judge(judge_server, source, tmp_path / "out.jsonl")
    assert judge_server.count == 0 and not (tmp_path / "out.jsonl").exists()
    # ... unless the user says which to keep
    summary = run_judge(judge_server, source, tmp_path / "out.jsonl", dedupe="first")
    problems = [str(p) for p in summary.problems]
    assert any(p.startswith(f"{source}:2: ") and "not valid JSON" in p for p in problems)
    assert any(p.startswith(f"{source}:3: field 'human-checklist'") for p in problems)
    assert any(p.startswith(f"{source}:5: field 'id'") and "duplicate" in p for p in problems)
    assert any(p.startswith(f"{source}:6: field '{MODEL}-checklist'") for p in problems)
    assert (
        summary.ok == 2 and summary.error == 1 and summary.reasons == Counter({"missing_model_checklist": 1})
    )
    with pytest.raises(InputError, match=r"in\.jsonl:2"):
        run_judge(judge_server, source, tmp_path / "strict.jsonl", strict=True, dedupe="first")


def test_structured_mode_writes_the_canonical_text(judge_server, tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(0)])
    output = tmp_path / "out.jsonl"
    run_judge(judge_server, source, output, structured=True)
    body = judge_server.requests[0].body
    schema = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema" and schema["strict"] is True
    assert set(schema["schema"]["properties"]["matches"]["items"]["required"]) == {"human", "model", "score"}
    (record,) = read_records(output)
    assert json.loads(record["rationalerm"]["raw_text"])["matches"][0] == {
        "human": 1,
        "model": 1,
        "score": 1.0,
    }
    assert (
        parse_metajudge(record["samples"][0]["generated_text"], 3, 4).triples()
        == record["rationalerm"]["matching"]
    )


def test_structured_answers_get_the_same_validation(judge_server, tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(0)])
    bad = json.dumps({"reasoning": "", "matches": [{"human": 1, "model": 9, "score": 1}]})
    judge_server.script = lambda req, n: chat_reply(bad)
    summary = run_judge(judge_server, source, tmp_path / "out.jsonl", structured=True)
    assert summary.parse_failed == 1 and summary.reasons == Counter({"model_index_out_of_range": 1})


def test_resume_refuses_a_different_judge(judge_server, tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(0)])
    output = tmp_path / "out.jsonl"
    run_judge(judge_server, source, output)
    with pytest.raises(InputError, match="max_model_items"):
        run_judge(judge_server, source, output, max_model_items=3)


def test_llm_matcher_is_a_one_to_one_matcher(judge_server):
    answer = metajudge_text([(1, 2, 0.5), (2, 2, 1.0), (3, 0, 0.0)])
    judge_server.script = lambda req, n: chat_reply(answer)

    async def run():
        async with JudgePool("judge-1", judge_server.url, backoff_base=0.01) as pool:
            matcher = LLMMatcher(pool)
            assert isinstance(matcher, Matcher)
            return await matcher.match(
                [MatchRequest("a", ["h1", "h2", "h3"], ["m1", "m2"]), MatchRequest("b", [], ["m1"])]
            )

    resolved, empty = asyncio.run(run())
    assert resolved.triples() == [[1, 0, 0.0], [2, 2, 1.0], [3, 0, 0.0]]
    assert isinstance(empty, ParseFailure) and empty.reason == "empty_human_list"
    assert judge_server.count == 1


def test_judge_samples_in_memory_and_empty_model_lists_cost_nothing(judge_server):
    samples = [sample_from_row(make_row(i, n_model=0 if i == 1 else 2)) for i in range(3)]

    async def run():
        async with JudgePool("judge-1", judge_server.url, backoff_base=0.01) as pool:
            return await judge_samples(samples, model=MODEL, matcher=LLMMatcher(pool))

    results = asyncio.run(run())
    assert [r.sample_id for r in results] == ["s0", "s1", "s2"] and all(r.ok for r in results)
    assert results[1].verdict is not None and results[1].verdict.matching is not None
    assert results[1].verdict.matching.triples() == [[1, 0, 0.0], [2, 0, 0.0], [3, 0, 0.0]]
    assert judge_server.count == 2


# --------------------------------------------------------------------------------------------------------------
# The command line, in subprocesses


def cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=60, **kwargs)


def test_cli_resumes_after_sigkill_without_losing_or_duplicating(tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(i) for i in range(40)])
    output = tmp_path / "out.jsonl"
    cache = tmp_path / "cache.sqlite"
    with JudgeServer(latency=0.15) as server:
        args = ["judge", str(source), "--model", MODEL, "--judge-model", "judge-1", "--base-url", server.url,
                "--output", str(output), "--cache", str(cache), "--concurrency", "4"]  # fmt: skip
        proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not output.exists() or output.read_text().count("\n") < 10):
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        written = read_records(output)
        assert 10 <= len(written) < 40
        first_run_requests = server.count
        server.latency = 0.0
        done = cli(*args)
        assert done.returncode == 0, done.stderr
        rerun_requests = server.count - first_run_requests
    records = read_records(output)
    ids = [r["rationalerm"]["sample_id"] for r in records]
    assert ids == [f"s{i}" for i in range(40)]  # each sample exactly once, in input order
    assert all(r["rationalerm"]["status"] == "ok" for r in records)
    # Only the samples not yet written were asked again (those in flight at the kill were answered and cached
    # or are asked once more).
    assert rerun_requests <= 40 - len(written)
    assert {r["rationalerm"]["sample_id"] for r in written} <= set(ids)


def test_cli_never_shows_the_api_key(tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(i) for i in range(6)])
    output, log, cache = tmp_path / "out.jsonl", tmp_path / "judge.log", tmp_path / "cache.sqlite"
    echo = f"Incorrect API key provided: {KEY}"

    def script(req, n):
        if "point 0 (0)" in req["messages"][0]["content"]:
            return error_reply(400, echo)
        if n % 3 == 0:
            return error_reply(500, echo)
        return None

    with JudgeServer(script) as server:
        url_with_credentials = server.url.replace("http://", f"http://user:{KEY}@")
        done = cli("judge", str(source), "--model", MODEL, "--judge-model", "judge-1",
                   "--base-url", url_with_credentials, "--api-key", KEY, "--output", str(output),
                   "--cache", str(cache), "--log-file", str(log), "--max-retries", "3")  # fmt: skip
        assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"  # URL credentials are not sent
    assert done.returncode == 0, done.stderr
    assert "judged now" in done.stdout and "retry" in log.read_text()
    records = read_records(output)
    assert Counter(r["rationalerm"]["status"] for r in records) == Counter({"ok": 5, "error": 1})
    assert "***" in next(r for r in records if r["rationalerm"]["status"] == "error")["rationalerm"]["detail"]
    for name, text in {
        "stdout": done.stdout,
        "stderr": done.stderr,
        "output": output.read_text(),
        "log": log.read_text(),
        "cache": cache.read_bytes().decode("latin-1"),
    }.items():
        assert KEY not in text, f"the key leaked into {name}"


def test_cli_stops_on_a_rejected_key_with_its_output_whole_and_resumable(tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(i) for i in range(12)])
    output = tmp_path / "out.jsonl"
    args = ("judge", str(source), "--model", MODEL, "--judge-model", "judge-1", "--api-key", KEY,
            "--output", str(output), "--no-cache", "--concurrency", "1")  # fmt: skip
    revoked = lambda req, n: error_reply(401, f"Incorrect API key provided: {KEY}") if n > 5 else None  # noqa: E731
    with JudgeServer(revoked) as server:
        stopped = cli(*args, "--base-url", server.url)
        assert server.count == 6  # the 401 was not retried, and nothing went out after it
    assert stopped.returncode == 1
    assert "rejected the API key" in stopped.stderr and "Traceback" not in stopped.stderr
    assert KEY not in stopped.stderr + stopped.stdout + output.read_text()
    first = read_records(output)
    assert len(first) == 5 and all(r["rationalerm"]["status"] == "ok" for r in first)
    with JudgeServer() as server:
        resumed = cli(*args, "--base-url", server.url)
        assert resumed.returncode == 0, resumed.stderr
        assert server.count == 7  # only the samples not yet judged
    ids = [r["rationalerm"]["sample_id"] for r in read_records(output)]
    assert ids == [f"s{i}" for i in range(12)]


def test_cli_stops_on_an_unknown_model_and_names_the_served_ones(tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(i) for i in range(3)])
    missing = lambda req, n: error_reply(404, f"The model `{req['model']}` does not exist.")  # noqa: E731
    with JudgeServer(missing) as server:
        server.models = ["Qwen/Qwen3-8B"]
        done = cli("judge", str(source), "--model", MODEL, "--judge-model", "qwen3", "--base-url", server.url,
                   "--output", str(tmp_path / "out.jsonl"), "--no-cache")  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "does not serve model 'qwen3'; it serves: 'Qwen/Qwen3-8B'" in " ".join(done.stderr.split())


def test_cli_exits_nonzero_when_nothing_succeeds(tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(0)])
    with JudgeServer(lambda req, n: error_reply(400, "no such model")) as server:
        done = cli("judge", str(source), "--model", MODEL, "--judge-model", "nope", "--base-url", server.url,
                   "--output", str(tmp_path / "out.jsonl"), "--no-cache")  # fmt: skip
    assert done.returncode == 1 and "no sample was judged successfully" in done.stderr
    assert "http_400" in done.stdout


def test_cli_reads_base_url_from_the_environment(tmp_path):
    source = write_rows(tmp_path / "in.jsonl", [make_row(0)])
    with JudgeServer() as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": KEY}
        done = cli("judge", str(source), "--model", MODEL, "--judge-model", "j", "--no-cache",
                   "--output", str(tmp_path / "out.jsonl"), env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    missing = {k: v for k, v in os.environ.items() if k != "OPENAI_BASE_URL"}
    done = cli("judge", str(source), "--model", MODEL, "--judge-model", "j", env=missing)
    assert done.returncode == 2 and "OPENAI_BASE_URL" in done.stderr


def test_cli_fails_an_oversized_sample_without_sending_it(tmp_path):
    rows = [make_row(i) for i in range(3)]
    rows[1][f"{MODEL}-checklist"][0] = "x" * 5_000_000  # a 5 MB reason
    rows[2][f"{MODEL}-checklist"][0] = "word " * 1000  # 5,000 characters: over a cap of 4,000 too
    source = write_rows(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out.jsonl"
    with JudgeServer() as server:
        done = cli("judge", str(source), "--model", MODEL, "--judge-model", "judge-1", "--base-url", server.url,
                   "--output", str(output), "--no-cache")  # fmt: skip
        assert server.count == 1  # only the sample of normal size went out
    assert done.returncode == 0, done.stderr
    by_id = {r["rationalerm"]["sample_id"]: r["rationalerm"] for r in read_records(output)}
    assert by_id["s0"]["status"] == "ok"
    for sample in ("s1", "s2"):
        assert by_id[sample]["status"] == "error" and by_id[sample]["reason"] == "item_too_long"
    assert "model item 1 has 5,000,000 characters, over the cap of 4,000" in by_id["s1"]["detail"]
    with JudgeServer() as server:  # with the item cap off, the prompt cap still keeps the 5 MB one home
        cli("judge", str(source), "--model", MODEL, "--judge-model", "judge-1", "--base-url", server.url,
            "--output", str(output), "--no-cache", "--max-item-chars", "0")  # fmt: skip
        assert server.count == 1
    by_id = {r["rationalerm"]["sample_id"]: r["rationalerm"] for r in read_records(output)}
    assert by_id["s1"]["reason"] == "prompt_too_large" and by_id["s2"]["status"] == "ok"
