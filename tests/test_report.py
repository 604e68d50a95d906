"""`report`: one self-contained HTML page (and PNGs beside it) from evaluate, MetaRM, bench and tag outputs."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rationalerm.cli import app
from rationalerm.io import InputError
from rationalerm.report import build_report, collect_inputs, find_ralign, wrong_reason_cases
from rationalerm.runs.evaluate import evaluate
from test_agree import ScaledMatcher
from test_evaluate import ExactMatcher

FIXTURES = Path(__file__).parent / "fixtures" / "report"
PNG = b"\x89PNG\r\n\x1a\n"


def tag_records() -> list[dict[str, Any]]:
    def record(sample: str, model: str, tags: list[tuple[str, list[str]]]) -> dict[str, Any]:
        items = [
            {"index": i, "text": f"reason {i}", "category": c, "flaws": f} for i, (c, f) in enumerate(tags, 1)
        ]
        return {
            "id": sample,
            "model": model,
            "status": "ok",
            "items": items,
            "provenance": {"judge_model": "t"},
        }

    return [
        record("s1", "grounded", [("evidence_grounded", []), ("evidence_grounded", [])]),
        record(
            "s2", "grounded", [("evidence_grounded", []), ("criterion_grounded", ["generic_correctness"])]
        ),
        record("s1", "surface", [("generic_style", ["style_only", "single_sided_praise"])]),
        record("s2", "surface", [("generic_style", ["single_sided_praise"]), ("criterion_grounded", [])]),
    ]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two evaluate runs of the same input (exact and a stricter matcher), bench, MetaRM and tag outputs."""
    root = tmp_path_factory.mktemp("report")
    data = root / "judged.jsonl"
    shutil.copy(FIXTURES / "judged.jsonl", data)
    exact, strict = root / "exact", root / "strict"
    evaluate(data, matcher=ExactMatcher(), output_dir=exact, n_resamples=200, plot=False)
    evaluate(data, matcher=ScaledMatcher(0.5), output_dir=strict, n_resamples=200, plot=False)
    extra = root / "extra"
    extra.mkdir()
    for name in ("judgebench_scores.json", "rmbench_scores.json", "metarm.ralign.json"):
        shutil.copy(FIXTURES / name, extra / name)
    (extra / "model.tags.jsonl").write_text("".join(json.dumps(r) + "\n" for r in tag_records()))
    (extra / "notes.txt.json").write_text('{"unrelated": true}')
    return {"root": root, "data": data, "exact": exact, "strict": strict, "extra": extra}


@pytest.fixture(scope="module")
def built(workspace: dict[str, Path]) -> tuple[Path, str, Any]:
    out = workspace["root"] / "site" / "report.html"
    result = build_report([workspace["exact"], workspace["strict"], workspace["extra"]], out, n_resamples=500)
    return out, out.read_text(encoding="utf-8"), result


def test_collect_classifies_every_output(workspace: dict[str, Path]) -> None:
    inputs = collect_inputs([workspace["exact"], workspace["extra"]])
    assert [r.name for r in inputs.runs] == ["exact"]
    assert sorted(b.kind for b in inputs.benches) == ["judgebench", "rmbench"]
    assert [(r.model, r.l_acc, r.f_score) for r in inputs.ralign] == [
        ("judge-grounded", 85.0, 75.0),
        ("judge-surface", 82.5, 37.5),
    ]
    assert len(inputs.tag_records) == 4
    assert any("notes.txt.json: skipped" in note for note in inputs.notes)
    with pytest.raises(InputError, match="no such file"):
        collect_inputs([workspace["root"] / "nope"])


def test_find_ralign_reads_fractions_percentages_and_mappings() -> None:
    rows = find_ralign(
        {"gpt": {"label_acc": 0.9, "spurious_correctness": 0.1, "fidelity_score": 0.81}}, "f", "x"
    )
    assert [(r.model, r.l_acc, r.s_corr, r.f_score) for r in rows] == [
        ("gpt", pytest.approx(90.0), pytest.approx(10.0), pytest.approx(81.0))
    ]
    listed = find_ralign([{"name": "m", "L-Acc": 72.9, "S-Corr": 45.8, "F-Score": 39.5}], "f", "x")
    assert [(r.model, r.l_acc, r.s_corr) for r in listed] == [("m", 72.9, 45.8)]
    assert find_ralign({"overall": 50.0}, "f", "x") == []


def test_page_is_self_contained(built: tuple[Path, str, Any]) -> None:
    out, page, result = built
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.IGNORECASE)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    # every plot is inlined and also saved beside the HTML, byte for byte
    saved = {p.read_bytes() for p in result.images}
    assert len(result.images) == len(sources) == 8
    for path in result.images:
        assert path.parent == out.parent and path.name.startswith("report-") and path.read_bytes()[:8] == PNG
    assert {base64.b64decode(s.split(",", 1)[1]) for s in sources} == saved


def test_page_sections(built: tuple[Path, str, Any]) -> None:
    _, page, _ = built
    for anchor in (
        "run1",
        "run1-domains",
        "run1-tests",
        "run1-cases",
        "run2",
        "agreement-1-2",
        "ralign",
        "judgebench",
        "rmbench",
        "tags",
        "notes",
    ):
        assert f'<section id="{anchor}">' in page, anchor
    assert page.count('<p class="intro">') == page.count("<section ")  # every section says how to read it
    # paired tests: grounded (2/3 on five samples, 1/2 on one) beats surface (0 everywhere) on all 6 samples
    row = re.search(r"<tr><td>grounded</td><td>surface</td>(.*?)</tr>", page)
    assert row is not None and "yes" in row.group(1) and "+0.639" in row.group(1)
    # agreement: the stricter matcher is exactly half the exact one
    agreement = page[page.index('id="agreement-1-2"') :]
    assert re.search(
        r"<td>per model</td><td class=num>3</td><td class=num>1\.000</td><td class=num>0\.50</td>", agreement
    )
    assert "85.0" in page and "Knowledge" in page and "missing domains" in page
    assert "Single-sided praise" in page and "75.0%" in page  # grounded: 3 of 4 reasons evidence-grounded


def test_user_strings_are_escaped(built: tuple[Path, str, Any]) -> None:
    _, page, _ = built
    assert "<script>alert" not in page
    assert html.escape("<script>alert('x')</script>") in page
    assert "mixed<i>" not in page and "mixed&lt;i&gt;" in page
    assert page.count("<script>") == 1  # only the page's own image self-check


def test_right_for_the_wrong_reasons(workspace: dict[str, Path], built: tuple[Path, str, Any]) -> None:
    _, page, _ = built
    run = collect_inputs([workspace["exact"]]).runs[0]
    cases = wrong_reason_cases(run, threshold=0.25, max_cases=3)
    # surface is right on s1-s5 with no matched reason; s6 has a wrong verdict; grounded is never that low
    assert [r["id"] for r in cases["surface"]] == ["s1", "s2", "s3"]
    assert cases["grounded"] == []
    assert [r["id"] for r in cases["mixed<i>"]] == ["s4", "s5", "s6"]
    section = page[page.index('id="run1-cases"') : page.index('id="run2"')]
    assert "surface</b> on sample <code>s1</code>" in section
    assert "Response 1 misses the empty-list case" in section  # the human reason, from the input file
    assert "Response A is more detailed" in section  # the model's reason
    assert "no model reason makes this point" in section and "matches no human reason" in section
    assert "grounded</b> on sample" not in section


def test_cases_show_the_matching_side_by_side(workspace: dict[str, Path], tmp_path: Path) -> None:
    # With a higher threshold, mixed<i>'s samples s1-s3 (one of three human reasons matched) become cases.
    result = build_report(
        [workspace["exact"]], tmp_path / "r.html", threshold=0.34, max_cases=5, n_resamples=100
    )
    page = result.html.read_text()
    case = page[page.index("mixed&lt;i&gt;</b> on sample <code>s1</code>") :]
    case = case[: case.index('<div class="case">')]
    human = re.findall(
        r'<li class="(matched|)"><span class="idx">(R\d)</span>.*?<span class="badge">(.*?)</span>', case
    )
    assert human == [
        ("", "R1", "no model reason makes this point"),
        ("", "R2", "no model reason makes this point"),
        ("matched", "R3", "matched S1 · 1"),
    ]
    model = re.findall(
        r'<li class="(matched|)"><span class="idx">(S\d)</span>.*?<span class="badge">(.*?)</span>', case
    )
    assert model[0] == ("matched", "S1", "matches R3 · 1") and len(model) == 3
    assert "rationale consistency <b>0.33</b>" in case


def test_cases_without_the_input_file(workspace: dict[str, Path], tmp_path: Path) -> None:
    data = tmp_path / "gone.jsonl"
    shutil.copy(workspace["data"], data)
    run = tmp_path / "run"
    evaluate(data, matcher=ExactMatcher(), output_dir=run, n_resamples=0, plot=False)
    data.unlink()
    result = build_report([run], tmp_path / "r.html", n_resamples=100)
    page = result.html.read_text()
    assert "is not available" in page and "<td>s1</td>" in page  # listed by id, no side-by-side texts
    assert "Response 1 misses the empty-list case" not in page


def test_nothing_to_report(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="nothing to report"):
        build_report([tmp_path], tmp_path / "r.html")


def test_report_command(workspace: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out" / "page.html"
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(workspace["exact"]),
            str(workspace["extra"]),
            "--output",
            str(out),
            "--bootstrap",
            "200",
            "--title",
            "My <judges>",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and out.is_file()
    assert "<title>My &lt;judges&gt;</title>" in out.read_text()
    assert sorted(p.name for p in out.parent.glob("*.png")) == [
        "page-ralign.png",
        "page-run1-differences.png",
        "page-run1-scatter.png",
        "page-tag-categories.png",
        "page-tag-flaws.png",
    ]
    bad = CliRunner().invoke(app, ["report", str(tmp_path / "missing")])
    assert bad.exit_code == 1 and "no such file" in bad.output


# --------------------------------------------------------------------------------------------------------------
# A real browser: the page renders, logs nothing to the console, and a screenshot is saved.


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render_in_chromium(page: Path, screenshot: Path) -> list[str]:
    """Screenshot ``page`` in headless Chromium; return the console messages it logged (any, errors included).
    Chromium prints page console output on stderr as ``...:CONSOLE...] "message", source: ...``."""
    browser = _chromium()
    assert browser is not None
    done = subprocess.run(
        [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={screenshot}",
            "--window-size=1280,2400",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(built: tuple[Path, str, Any], tmp_path: Path) -> None:
    out, page, _ = built
    # The check itself must see errors: a page with a broken inline image and a script error.
    broken = tmp_path / "broken.html"
    broken.write_text(
        page.replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1).replace(
            "</main>", "</main><script>undefinedFunction();</script>"
        )
    )
    messages = render_in_chromium(broken, tmp_path / "broken.png")
    assert any("image(s) failed to render" in m for m in messages)
    assert any("Uncaught ReferenceError" in m for m in messages)

    screenshot = out.with_name("report-screenshot.png")
    assert render_in_chromium(out, screenshot) == []
    data = screenshot.read_bytes()
    assert data[:8] == PNG and len(data) > 50_000  # a full page of text and plots, not a blank frame
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2400)
