"""The public API: about 30 names in ``rationalerm.__all__``, each documented and typed; one sync/async rule
(``x()`` and ``x_async()``); every name the previous release exported still resolves, to the same object, with a
DeprecationWarning naming its replacement; docs/api.md is what scripts/gen_api_docs.py makes of the code today."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import json
import re
import sys
import tomllib
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import rationalerm

ROOT = Path(__file__).resolve().parents[1]

# Every name `rationalerm` exported in the previous release (its __all__, 88 with __version__). Users may hold any.
PREVIOUS_RELEASE = """
AnalyzeReport BenchRun Completion CompletionCache DecomposeSettings EvaluateReport GenRMJudgment GenRMSettings
InputError JsonSchema JudgeError JudgePool JudgeRefusedError JudgeRunSummary JudgeUnavailableError JudgedSample
Judgment LLMMatcher LocalMatcher Match MatchRequest MatchVerdict Matcher Matching MetaJudgeRecord ModelResult
ParseFailure PreferenceSample Prompt RAlignScores RAlignSettings RationaleRMError RewardConfig RewardResult
RewardSample RewardScorer RowProblem SampleMetrics SampleResult Usage __version__ agree analyze average_precision
bootstrap_ci build_report decompose_file decompose_rationales evaluate evaluate_samples extract_reference_scores
generate_file generate_judgments golden_file judge_file judge_judgebench judge_pair judge_rmbench judge_samples
load_helpsteer3_preference load_judgebench load_prompt load_rationalerm load_rmbench match_sync metarm_file
optimal_matching paired_bootstrap paper_metrics parse_decomposition parse_direction parse_metajudge
parse_metarm_verdict parse_reasons parse_verdict prepare_rl ralign_scores reference_metrics resolve_one_to_one
run_metarm sample_from_row score_batch score_judgments_file score_rmbench_scores strip_hidden_reasoning summarize
tag_file write_golden
""".split()

# The runs that may wait on a judge: each has x() and x_async().
JUDGE_RUNS = (
    "evaluate",
    "judge",
    "generate",
    "decompose",
    "metarm",
    "tag",
    "bench_judgebench",
    "bench_rmbench",
)

PUBLIC = [name for name in rationalerm.__all__ if name != "__version__"]


def resolve_dotted(path: str) -> Any:
    """The object a dotted name such as ``rationalerm.runs.judge.judge_samples`` names (the longest importable
    module, then attributes)."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ModuleNotFoundError(path)


def test_previous_names_are_public_or_deprecated() -> None:
    assert len(PREVIOUS_RELEASE) == 88 == len(set(PREVIOUS_RELEASE))
    public, deprecated = set(rationalerm.__all__), set(rationalerm._DEPRECATED)
    assert not public & deprecated
    assert set(PREVIOUS_RELEASE) <= public | deprecated, sorted(set(PREVIOUS_RELEASE) - public - deprecated)
    assert deprecated <= set(PREVIOUS_RELEASE)  # nothing is deprecated that was never public


def test_about_thirty_names_in_documented_groups() -> None:
    things = {name.removesuffix("_async") for name in PUBLIC}
    assert 25 <= len(things) <= 35, sorted(things)
    grouped = [name for names in rationalerm._SECTIONS.values() for name in names]
    assert len(grouped) == len(set(grouped))
    assert sorted(grouped) == sorted(PUBLIC)
    assert set(rationalerm._SECTIONS["Errors"]) == set(importlib.import_module("rationalerm.errors").__all__)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_is_documented_and_typed(name: str) -> None:
    obj = getattr(rationalerm, name)
    assert obj.__module__.startswith("rationalerm."), obj.__module__
    assert len(inspect.getdoc(obj) or "") >= 20, f"{name} has no docstring"
    if inspect.isclass(obj) and issubclass(obj, BaseException) and "__init__" not in vars(obj):
        return  # an exception that keeps Exception's signature
    signature = inspect.signature(obj)
    for parameter in signature.parameters.values():
        assert parameter.annotation is not inspect.Parameter.empty, f"{name}: {parameter.name} has no type"
    if not inspect.isclass(obj):
        assert signature.return_annotation is not inspect.Signature.empty, f"{name} has no return type"


def test_one_sync_async_rule() -> None:
    public = set(PUBLIC)
    for name in JUDGE_RUNS:
        assert name in public and f"{name}_async" in public, name
    for name in public:
        obj = getattr(rationalerm, name)
        if name.endswith("_async"):
            sync = name.removesuffix("_async")
            assert sync in public, f"{name} without {sync}"
            assert inspect.iscoroutinefunction(obj), f"{name} is not a coroutine function"
            assert not inspect.iscoroutinefunction(getattr(rationalerm, sync)), f"{sync} is async"
        elif inspect.isfunction(obj):
            assert not inspect.iscoroutinefunction(obj), f"{name} is async: call it {name}_async"


@pytest.mark.parametrize("name", sorted(rationalerm._DEPRECATED))
def test_deprecated_name_warns_and_resolves_to_its_old_object(name: str) -> None:
    where, instead = rationalerm._DEPRECATED[name]
    with pytest.warns(
        DeprecationWarning, match=rf"rationalerm\.{name} is deprecated.*use rationalerm\.{instead}$"
    ) as seen:
        value = getattr(rationalerm, name)
    assert all(Path(w.filename) == Path(__file__) for w in seen), "the warning points at the caller's line"
    module, _, attribute = where.partition(":")
    assert value is getattr(importlib.import_module(f"rationalerm.{module}"), attribute or name)
    replacement = resolve_dotted(f"rationalerm.{instead}")  # the name the warning recommends exists
    assert callable(replacement), instead
    if instead in rationalerm.__all__:
        assert value is replacement, f"{name} is a plain alias of {instead}"
    if inspect.isfunction(value):
        # an old run name keeps its calling convention: awaitable where it was, plain where it was
        assert inspect.iscoroutinefunction(value) == (name in ASYNC_BEFORE)


# The run functions of the previous release that were coroutine functions.
ASYNC_BEFORE = {
    "judge_file",
    "judge_samples",
    "generate_judgments",
    "decompose_rationales",
    "run_metarm",
    "write_golden",
    "tag_file",
    "judge_judgebench",
    "judge_rmbench",
    "evaluate_samples",
    "judge_pair",
    "score_batch",
}


def test_deprecated_names_warn_on_from_import_and_on_every_use() -> None:
    for _ in range(2):  # not cached in the module: the second use warns too
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            namespace: dict[str, Any] = {}
            exec("from rationalerm import judge_file, run_metarm", namespace)
        messages = [str(w.message) for w in seen if w.category is DeprecationWarning]
        assert any("rationalerm.judge_file is deprecated" in m for m in messages), messages
        assert any("use rationalerm.metarm_async" in m for m in messages), messages
    assert namespace["judge_file"] is importlib.import_module("rationalerm.runs.judge").judge_async
    assert "judge_file" not in dir(rationalerm) and "judge_file" not in rationalerm.__all__


def test_public_names_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for name in rationalerm.__all__:
            getattr(rationalerm, name)


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_api_docs", ROOT / "scripts" / "gen_api_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_api_docs", module)
    spec.loader.exec_module(module)
    return module


def test_docs_api_md_is_current() -> None:
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    expected = _load_script().render()
    assert page == expected, "docs/api.md is stale: run python scripts/gen_api_docs.py"
    for name in PUBLIC:
        assert f"### `{name}`" in page, name
    for name, (_, instead) in rationalerm._DEPRECATED.items():
        assert f"| `{name}` | `rationalerm.{instead}` |" in page, name


class _Thing:
    """An object whose default repr holds its address."""


def test_signature_text_wraps_and_hides_addresses() -> None:
    script = _load_script()

    def run(path: str, *, thing: object = _Thing(), n: int = 3) -> None:
        """Run."""

    text = script.signature_text("def ", "run", run)
    assert " at 0x" not in text and "_Thing object>, n: int = 3) -> None" in text
    assert text.startswith("def run(path: str, *, thing: object = <")
    long = script.signature_text("def ", "a_rather_long_function_name_" * 3, run)
    assert long.splitlines()[1] == "    path: str," and long.endswith(") -> None")


# ------------------------------------------------------------------------------------------------------------------
# The README's example, through the public names, over real HTTP to the scripted judge


def _rows(path: Path, n: int) -> Path:
    rows = [
        {
            "id": f"s{i}",
            "context": [{"role": "user", "content": f"question {i}"}],
            "response1": "one",
            "response2": "two",
            "label": 1,
            "human-checklist": [f"Response 1 point {j} ({i})" for j in range(3)],
            "genrm-checklist": [f"Response A reason {j} ({i})" for j in range(2)],
            "genrm-label": "A>B",
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _outcomes(path: Path) -> list[tuple[str, str, str]]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(r["rationalerm"]["sample_id"], r["status"], r["samples"][0]["generated_text"]) for r in records]


def test_judge_and_its_deprecated_name_write_the_same_records(judge_server, tmp_path: Path) -> None:
    source = _rows(tmp_path / "in.jsonl", 4)
    pool = rationalerm.JudgePool("judge-1", [judge_server.url], concurrency=4, backoff_base=0.01)
    summary = rationalerm.judge(
        source, tmp_path / "new.jsonl", model="genrm", matcher=rationalerm.LLMMatcher(pool)
    )
    assert (summary.processed, summary.ok, judge_server.count) == (4, 4, 4)

    with pytest.warns(DeprecationWarning, match="use rationalerm.judge_async"):
        judge_file = rationalerm.judge_file

    async def old_way() -> Any:
        async with rationalerm.JudgePool("judge-2", judge_server.url, backoff_base=0.01) as old_pool:
            return await judge_file(
                source, tmp_path / "old.jsonl", model="genrm", matcher=rationalerm.LLMMatcher(old_pool)
            )

    asyncio.run(old_way())
    new, old = _outcomes(tmp_path / "new.jsonl"), _outcomes(tmp_path / "old.jsonl")
    assert [status for _, status, _ in new] == ["success"] * 4  # the released layout's word for ok
    assert new == old and [sample_id for sample_id, _, _ in new] == ["s0", "s1", "s2", "s3"]


def test_one_root_catches_a_bad_input_before_any_request(judge_server, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    pool = rationalerm.JudgePool("judge-1", [judge_server.url])
    with pytest.raises(rationalerm.RationaleRMError) as caught:
        rationalerm.judge(empty, tmp_path / "out.jsonl", model="genrm", matcher=rationalerm.LLMMatcher(pool))
    assert isinstance(caught.value, rationalerm.InputError) and isinstance(caught.value, ValueError)
    assert str(empty) in str(caught.value)
    assert judge_server.count == 0 and not (tmp_path / "out.jsonl").exists()


# ------------------------------------------------------------------------------------------------------------------
# docs/architecture.md draws the layers that the import-linter contract enforces


def test_architecture_page_draws_the_contract_layers() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    picture = page.split("## The layers", 1)[1].split("```", 2)[1]
    rows = [line.split("  ")[0].strip() for line in picture.splitlines() if line and not line.startswith(" ")]
    assert rows == layers
    for layer in layers:
        for module in re.split(r" [:|] ", layer):
            assert f"| {module} |" in page or f"| `{module}" in page, (
                f"{module} has no row in the module table"
            )


def test_readme_python_examples_import_current_names() -> None:
    """Every ``from rationalerm... import ...`` line of the README's Python examples works and warns of nothing."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    imports = [line for line in lines if re.match(r"from rationalerm[\w.]* import ", line)]
    assert len(imports) >= 4, imports
    for line in imports:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            exec(line, {})
