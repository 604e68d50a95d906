"""Start-up stays cheap: ``import rationalerm`` and the CLI load no heavy dependency until a command needs it; every
public name still resolves lazily; a JudgeError from any command ends the CLI with a plain ``error:`` line."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rationalerm
from rationalerm.cli import app
from rationalerm.errors import (
    ConfigError,
    InputError,
    JudgeError,
    JudgeRefusedError,
    JudgeUnavailableError,
    RationaleRMError,
    RecordError,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "metajudge_output_demo.jsonl"
INIT = ROOT / "src" / "rationalerm" / "__init__.py"
COMMANDS = (
    "analyze agree generate decompose evaluate judge golden metarm report prepare-rl serve-reward train tag bench"
).split()

# Not loaded by `import rationalerm`, `import rationalerm.cli` or `rationalerm --help` (numpy and scipy either:
# measured, none of these needs them).
HEAVY = ("openai", "torch", "matplotlib", "datasets", "aiohttp", "numpy", "scipy", "transformers", "pyarrow")
# Not loaded by `rationalerm analyze` (which does need numpy for its bootstrap).
NOT_FOR_ANALYZE = (
    "openai",
    "torch",
    "matplotlib",
    "datasets",
    "aiohttp",
    "transformers",
    "sentence_transformers",
)


def loaded_after(code: str, *, check: tuple[str, ...] = HEAVY) -> list[str]:
    """Run ``code`` in a fresh interpreter and return which of ``check`` it left in sys.modules (a SystemExit of a
    CLI run is caught; its output is discarded)."""
    probe = (
        "import json, sys\n"
        "try:\n" + "".join(f"    {line}\n" for line in code.splitlines()) + "except SystemExit:\n    pass\n"
        f"sys.__stderr__.write('\\nLOADED=' + json.dumps([m for m in {list(check)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    marker = done.stderr.rpartition("LOADED=")
    assert marker[1], f"probe failed:\n{done.stderr}"
    return json.loads(marker[2])


def test_import_rationalerm_loads_nothing_heavy() -> None:
    assert loaded_after("import rationalerm") == []


def test_import_cli_loads_nothing_heavy() -> None:
    assert loaded_after("import rationalerm.cli") == []


def test_help_loads_nothing_heavy() -> None:
    code = "sys.argv = ['rationalerm', '--help']\nfrom rationalerm.cli import main\nmain()"
    assert loaded_after(code) == []


def test_analyze_loads_only_what_it_needs() -> None:
    code = f"sys.argv = ['rationalerm', 'analyze', {str(DEMO)!r}]\nfrom rationalerm.cli import main\nmain()"
    assert loaded_after(code, check=NOT_FOR_ANALYZE) == []


# ------------------------------------------------------------------------------------------------------------------
# The lazy public API


def test_every_public_name_resolves() -> None:
    for name in rationalerm.__all__:
        assert getattr(rationalerm, name) is not None, name
    namespace: dict[str, object] = {}
    exec(f"from rationalerm import {', '.join(rationalerm.__all__)}", namespace)
    assert namespace["JudgeRefusedError"] is JudgeRefusedError
    assert issubclass(JudgeRefusedError, JudgeError) and issubclass(JudgeUnavailableError, JudgeError)
    assert issubclass(JudgeError, RationaleRMError)
    assert rationalerm.analyze.__module__ == "rationalerm.runs.analyze"
    assert isinstance(rationalerm.__version__, str) and rationalerm.__version__


def test_public_names_and_lazy_table_agree() -> None:
    """__all__, the name table __getattr__ reads, and the TYPE_CHECKING imports list the same names."""
    table = set(rationalerm._MODULE_OF)
    assert sorted(rationalerm.__all__) == rationalerm.__all__
    assert set(rationalerm.__all__) == table | {"__version__"}
    typed: set[str] = set()
    for node in ast.walk(ast.parse(INIT.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                typed |= {alias.name for alias in stmt.names}
                for alias in stmt.names:
                    assert rationalerm._MODULE_OF[alias.name] == stmt.module, alias.name
    assert typed == table
    assert set(rationalerm.__all__) <= set(dir(rationalerm))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        rationalerm.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec("from rationalerm import no_such_name", {})
    from rationalerm import jsonfast  # submodules still import as before

    assert jsonfast.__name__ == "rationalerm.jsonfast"


# ------------------------------------------------------------------------------------------------------------------
# The CLI


def test_help_lists_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from rationalerm.cli import main; main()", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for command in COMMANDS:
        assert f" {command} " in done.stdout, command


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"rationalerm {rationalerm.__version__}"


# Server text with rich markup in it (and an unbalanced closing tag that rich would refuse to render).
REFUSAL = "http://judge.test/v1 refused the API key (HTTP 401): [bold]Unauthorized[/bold] [/] [red]x"


def test_judge_error_ends_any_command_with_a_plain_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import rationalerm.runs.analyze as workflow

    def refuse(*args: object, **kwargs: object) -> None:
        raise JudgeRefusedError(REFUSAL, endpoint="http://judge.test/v1", status=401)

    monkeypatch.setattr(workflow, "analyze", refuse)
    result = CliRunner().invoke(app, ["analyze", str(DEMO)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {REFUSAL}"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_judge_error_in_a_subcommand_group(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import rationalerm.bench.judgebench as judgebench

    def unavailable(*args: object, **kwargs: object) -> None:
        raise JudgeUnavailableError("the judge at http://judge.test/v1 kept failing [5xx]")

    monkeypatch.setattr(judgebench, "score_judgments_file", unavailable)
    result = CliRunner().invoke(app, ["bench", "judgebench", "--judgments", str(tmp_path / "j.jsonl")])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: the judge at http://judge.test/v1 kept failing [5xx]"


def test_judge_error_through_main_exits_1_without_traceback() -> None:
    code = (
        "import rationalerm.runs.analyze as workflow\n"
        "from rationalerm.errors import JudgeRefusedError\n"
        "def refuse(*args, **kwargs):\n"
        f"    raise JudgeRefusedError({REFUSAL!r})\n"
        "workflow.analyze = refuse\n"
        "from rationalerm.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "analyze", str(DEMO)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: {REFUSAL}"
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InputError("a[/b].jsonl:3: field '[x]': bad [bold]value[/bold]"), 1),
        (RecordError("[x]", "not a list [/]"), 1),
        (ConfigError("--dedupe must be error, first or last, not '[red]'"), 2),
        (RationaleRMError("some [i]other[/i] failure"), 1),
        (ImportError("reading parquet needs pyarrow: pip install 'rationalerm[hub]'"), 2),
        (ValueError("concurrency must be at least 1 [not 0]"), 2),
    ],
)
def test_each_error_class_ends_a_command_with_one_code_and_its_message(
    monkeypatch: pytest.MonkeyPatch, error: Exception, code: int
) -> None:
    import rationalerm.runs.analyze as run

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(run, "analyze", fail)
    result = CliRunner().invoke(app, ["analyze", str(DEMO)])
    assert result.exit_code == code
    assert result.stderr.strip() == f"error: {error}"  # printed as given, never read as markup
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_unexpected_error_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import rationalerm.runs.analyze as run

    def bug(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(run, "analyze", bug)
    result = CliRunner().invoke(app, ["analyze", str(DEMO)])
    assert isinstance(result.exception, KeyError)


def test_shared_options_are_defined_once_and_keep_the_key_out_of_reprs() -> None:
    """--base-url and --api-key read the same in every command that calls the judge, and the key given never shows
    in the option group a command receives."""
    from rationalerm.cli.options import Judge

    helps = {}
    for command in ("judge", "generate", "decompose", "golden", "metarm", "tag"):
        done = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
        assert done.exit_code == 0, done.output
        lines = [line for line in done.output.splitlines() if "--base-url" in line or "--api-key" in line]
        helps[command] = [" ".join(line.split()) for line in lines]
    assert len(helps["judge"]) == 2 and len(set(map(tuple, helps.values()))) == 1, helps
    assert "sk-secret" not in repr(Judge(judge_model="m", api_key="sk-secret"))
