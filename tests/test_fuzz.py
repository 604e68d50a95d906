"""Fuzzing every reader and the reward server with random and mutated rows (issue 19).

The properties: nothing crashes; what cannot be read is a named error (an :class:`InputError` naming the file, a
RowProblem with its line, an HTTP 4xx with a message); every valid row is still processed; no output is left
half-written. Examples are bounded so the whole file runs in well under two minutes.
"""

from __future__ import annotations

import asyncio
import json
import math
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rationalerm.io import InputError, RowProblem, encoding_policy, iter_jsonl, read_jsonl
from rationalerm.records import RecordError, sample_from_row

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MODEL = "m"

# Text that has broken things before: rich markup, brackets, control and non-BMP characters, JSON-ish fragments.
nasty_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["[/x]", "[bold]", "rationalerm[hub]", ":smile:", "\u2028", "\x00", "😀", '{"a":', "NaN", ""]
    ),
)
labels = st.one_of(
    st.sampled_from([1, 2, 0, "A>B", "B>>A", "A=B", "x", 3, -1, True, None, "", "1"]),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), nasty_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(nasty_text, inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def rows(draw: st.DrawFn, index: int = 0) -> dict[str, Any]:
    """A HelpSteer3-Atomic row, its fields drawn from values that are valid and values that are not."""
    row: dict[str, Any] = {
        "id": draw(st.one_of(nasty_text, st.integers(), st.none())),
        "context": draw(st.one_of(st.just([{"role": "user", "content": "q"}]), nasty_text, json_values)),
        "response1": draw(st.one_of(nasty_text, json_values)),
        "response2": draw(st.one_of(nasty_text, json_values)),
        "label": draw(labels),
        "human-checklist": draw(st.one_of(st.lists(nasty_text, max_size=4), json_values)),
        f"{MODEL}-checklist": draw(st.one_of(st.lists(nasty_text, max_size=4), json_values)),
        f"{MODEL}-label": draw(labels),
    }
    for key in draw(st.lists(st.sampled_from(sorted(row)), max_size=3)):
        row.pop(key, None)
    return row


def encode(row: dict[str, Any]) -> bytes:
    return json.dumps(row, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def lines(draw: st.DrawFn) -> list[bytes]:
    """Lines of a JSONL file: rows as written, and rows mutated (cut, bad bytes, another JSON value, junk)."""
    out = []
    for _ in range(draw(st.integers(0, 8))):
        line = encode(draw(rows()))
        mutation = draw(st.sampled_from(["none", "none", "cut", "bytes", "value", "junk", "blank"]))
        if mutation == "cut":
            line = line[: draw(st.integers(0, max(0, len(line) - 1)))]
        elif mutation == "bytes":
            at = draw(st.integers(0, len(line)))
            line = (
                line[:at]
                + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\r", b"\x00"]))
                + line[at:]
            )
        elif mutation == "value":
            line = json.dumps(draw(json_values)).encode()
        elif mutation == "junk":
            line = draw(st.binary(max_size=20))
        elif mutation == "blank":
            line = b"   "
        out.append(line.replace(b"\n", b" "))
    return out


def valid_objects(data: list[bytes]) -> list[dict]:
    """The lines a correct reader must give back as rows (valid UTF-8 JSON objects)."""
    found = []
    for line in data:
        for piece in line.replace(b"\r", b"\n").split(b"\n"):
            try:
                value = json.loads(piece.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                continue
            if isinstance(value, dict):
                found.append(value)
    return found


def same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@FUZZ
@given(data=lines(), replace=st.booleans())
def test_iter_jsonl_reads_every_valid_row_or_names_the_problem(tmp_path_factory, data, replace):
    path = tmp_path_factory.mktemp("fuzz") / "in.jsonl"
    path.write_bytes(b"\n".join(data) + b"\n")
    notes: list[RowProblem] = []
    try:
        with encoding_policy("replace" if replace else "strict", on_replaced=notes.append):
            items = list(iter_jsonl(path))
    except InputError as exc:
        assert str(path) in str(exc)
        message = str(exc)
        assert "not valid UTF-8" in message or "JSON array" in message or "gzip" in message
        if "not valid UTF-8" in message:
            assert not replace
        return
    got = [row for _, row in items if isinstance(row, dict)]
    for problem in (p for _, p in items if isinstance(p, RowProblem)):
        assert problem.path == str(path) and problem.line >= 1 and problem.message
    expected = valid_objects(data)
    # every valid row comes back, in order (a line with replaced bytes may add rows: they are extra, reported)
    position = 0
    for want in expected:
        while position < len(got) and not same(got[position], want):
            position += 1
        assert position < len(got), f"valid row lost: {want!r}"
        position += 1
    assert all(n.action == "replaced" for n in notes)
    assert read_jsonl  # the list form is iter_jsonl collected


@FUZZ
@given(
    value=st.one_of(st.lists(st.one_of(rows(), json_values), max_size=5), json_values),
    suffix=st.sampled_from([".json", ".jsonl"]),
)
def test_iter_rows_reads_json_and_jsonl_files_or_names_the_problem(tmp_path_factory, value, suffix):
    from rationalerm.data.rows import iter_rows

    path = tmp_path_factory.mktemp("rows") / f"in{suffix}"
    path.write_bytes(json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass"))
    try:
        items = list(iter_rows(path))
    except InputError as exc:
        assert str(path) in str(exc)
        return
    got = [row for _, row in items if isinstance(row, dict)]
    if suffix == ".json" and isinstance(value, list):
        assert len(got) == sum(isinstance(v, dict) for v in value)
    for _, item in items:
        assert isinstance(item, dict) or (isinstance(item, RowProblem) and item.message)


@FUZZ
@given(row=rows())
def test_sample_from_row_accepts_or_names_the_field(row):
    try:
        sample = sample_from_row(row, models=[MODEL])
    except RecordError as exc:
        assert exc.field and exc.message
        return
    assert isinstance(sample.id, str)
    json.dumps(sample.to_row(), allow_nan=True, default=str)


@settings(FUZZ, max_examples=40)
@given(data=lines(), dedupe=st.sampled_from(["error", "first", "last"]))
def test_the_row_runner_processes_valid_rows_and_never_half_writes(tmp_path_factory, data, dedupe):
    from rationalerm.runs.rows import row_key
    from rationalerm.runs.runner import OK, OutputLayout, RowOutcome, run_rows

    folder = tmp_path_factory.mktemp("runner")
    source, target = folder / "in.jsonl", folder / "out.jsonl"
    source.write_bytes(b"\n".join(data) + b"\n")
    layout = OutputLayout("fuzz-")
    processed: list[dict] = []

    async def process(row: dict) -> RowOutcome:
        processed.append(row)
        out = dict(row)
        layout.mark(out, OK, None, None, {})
        return RowOutcome(out, OK)

    async def run():
        return await run_rows(
            lambda: iter_jsonl(source),
            target,
            source_name=str(source),
            task="fuzz",
            layout=layout,
            provenance={},
            process=process,
            dedupe=dedupe,
        )

    try:
        with encoding_policy("replace", on_replaced=None):
            summary = asyncio.run(run())
    except InputError as exc:
        assert str(source) in str(exc)
        assert not processed and not target.exists()  # stopped before anything was processed or written
        return
    written = [json.loads(line) for line in target.read_bytes().split(b"\n") if line]
    assert len(written) == summary.ok == len(processed)
    keys = [row_key(r) for r in written]
    assert len(keys) == len(set(keys))
    # one output row per distinct key of the valid input rows (lines read with replaced bytes may add some)
    assert len(written) >= len({row_key(r) for r in valid_objects(data)})


@FUZZ
@given(data=lines())
def test_evaluate_and_analyze_readers_never_crash(tmp_path_factory, data):
    from rationalerm.runs.analyze import analyze
    from rationalerm.runs.evaluate import read_samples

    path = tmp_path_factory.mktemp("readers") / "in.jsonl"
    path.write_bytes(b"\n".join(data) + b"\n")
    try:
        loaded = read_samples(path, labels_from="none")
    except InputError as exc:
        assert str(path) in str(exc) or "checklist" in str(exc)
    else:
        assert all(isinstance(s.id, str) for s in loaded.samples)
        assert loaded.invalid_labels <= len(loaded.samples)
    try:
        analyze([path], n_resamples=0)
    except InputError as exc:
        assert str(exc)


# --------------------------------------------------------------------------------------------------------------
# The reward server


def _post(url: str, data: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@st.composite
def reward_bodies(draw: st.DrawFn) -> bytes:
    n = draw(st.integers(0, 3))
    label_rows = [draw(rows()) for _ in range(n)]
    for row in label_rows:
        row.setdefault("human-checklist", ["Response 1 is right"])
    body: dict[str, Any] = {
        "query": [
            draw(st.one_of(nasty_text, st.just("1. Response A is right\n\\boxed{A>B}"))) for _ in range(n)
        ],
        "prompts": [draw(nasty_text) for _ in range(n)],
        "labels": [draw(st.one_of(st.just(json.dumps(r, allow_nan=True)), nasty_text)) for r in label_rows],
    }
    mutation = draw(st.sampled_from(["none", "none", "drop", "type", "cut", "bytes"]))
    if mutation == "drop":
        body.pop(draw(st.sampled_from(sorted(body))))
    elif mutation == "type":
        body[draw(st.sampled_from(sorted(body)))] = draw(json_values)
    raw = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
    if mutation == "cut":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif mutation == "bytes":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + b"\xff" + raw[at:]
    return raw


def test_the_reward_server_answers_every_fuzzed_request(tmp_path):
    from rationalerm.integrations import ScorerSpec
    from rationalerm.integrations.openrlhf import RewardServer

    with RewardServer(ScorerSpec(kind="outcome")) as server:

        @settings(max_examples=80, deadline=None)
        @given(body=reward_bodies())
        def check(body: bytes) -> None:
            status, answer = _post(server.url, body)
            assert status in (200, 400), (status, answer)
            if status == 400:
                assert answer["error"]
                return
            n = len(answer["rewards"])
            assert all(isinstance(r, int | float) and not math.isnan(r) for r in answer["rewards"])
            assert len(answer["scores"]) == n

        check()


def test_fuzz_helpers_find_valid_rows():
    assert valid_objects([b'{"a": 1}', b"\xff", b"[1]"]) == [{"a": 1}]
    assert Path(__file__).exists()


# --------------------------------------------------------------------------------------------------------------
# The command line: a fuzzed MetaJudge output never ends in a traceback


DEMO_OUTPUT = Path(__file__).parent.parent / "examples" / "metajudge_output_demo.jsonl"


@st.composite
def metajudge_lines(draw: st.DrawFn) -> list[bytes]:
    """Lines of a MetaJudge output: real records of the demo, records with fuzzed rows and answers, and junk."""
    real = DEMO_OUTPUT.read_bytes().splitlines()[:20]
    out = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["real", "fuzzed", "mutated"]))
        if kind == "real":
            out.append(draw(st.sampled_from(real)))
        elif kind == "fuzzed":
            record = {
                "prompt": draw(nasty_text),
                "samples": [{"generated_text": draw(st.one_of(nasty_text, st.just("R1@S1: 1.0")))}],
                "status": draw(st.sampled_from(["success", "failed", "[/x]"])),
                "metadata": draw(st.one_of(rows(), json_values)),
            }
            out.append(encode(record))
        else:
            out.extend(draw(lines())[:1])
    return [line.replace(b"\n", b" ") for line in out]


@settings(FUZZ, max_examples=30)
@given(data=metajudge_lines(), replace=st.booleans())
def test_the_analyze_command_reports_or_names_the_problem(tmp_path_factory, data, replace):
    from typer.testing import CliRunner

    from rationalerm.cli import app

    folder = tmp_path_factory.mktemp("cli") / "a["
    folder.mkdir()
    path = folder / "x].jsonl"  # the path holds "[/x]"
    path.write_bytes(b"\n".join(data) + b"\n")
    args = ["analyze", str(path), "--bootstrap", "0"] + (["--encoding-errors", "replace"] if replace else [])
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert "error:" in result.output
