"""The options several commands share, each defined once, and :func:`with_options`, which adds a group of them to a
command.

A group is a frozen dataclass whose fields carry their ``typer.Option`` (see :func:`option`): :class:`Judge` (model,
server, client and sampling), :class:`Resume` (output and restart), :class:`InputPolicy` (strict, dedupe, encoding
errors), :class:`GenRMChoice`, :class:`MatcherChoice`; a group may hold groups (a field whose default is one, as
:class:`rationalerm.cli.jobs.FileJob` holds a Judge, a Resume and an InputPolicy). Decorating a command with
``@with_options(judge=Judge(timeout=300.0))`` adds one option per field to the signature Typer reads (after the
command's own parameters) and calls the command with ``judge=Judge(...)`` built from what was given. The field values
of the instance passed are the options' defaults, so a command changes a default by building the group with another
value; :func:`shown` rewrites help texts or leaves options out (they keep their default). Typer reads the signature
through :func:`inspect.signature`, which honours the ``__signature__`` set here.

Invariants: a group checks its values when built and raises :class:`~rationalerm.errors.ConfigError` (exit 2 with
its message, mapped in :mod:`rationalerm.cli.app`); nothing here imports more than Typer and the standard library
at import time (the judge client and the matchers load when a command builds them); the API key is never in a
group's ``repr``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ConfigError


def option(default: Any, *decls: str, repr: bool = True, **settings: Any) -> Any:
    """A group field: its default and the ``typer.Option`` settings (names, help, ...) it is shown with. (A
    ``dataclasses.field``: the ``noqa: RUF009`` beside fields of mutable types says so to ruff.)"""
    return field(default=default, repr=repr, metadata={"decls": decls, "settings": settings})


@dataclass(frozen=True)
class Shown:
    """A group as one command shows it: ``help`` texts replaced per field, ``hide`` fields left out (at their
    default), ``prefix`` put before every help text (``"[llm] "``)."""

    group: Any
    help: dict[str, str] = field(default_factory=dict)
    hide: frozenset[str] = frozenset()
    prefix: str = ""


def shown(
    group: Any, *, help: dict[str, str] | None = None, hide: Iterable[str] = (), prefix: str = ""
) -> Shown:
    """``group`` shown with other help texts, without the fields in ``hide``, or with ``prefix`` on every help."""
    return Shown(group, dict(help or {}), frozenset(hide), prefix)


def _view(group: Any) -> Shown:
    return group if isinstance(group, Shown) else Shown(group)


def _is_group(value: Any) -> bool:
    return isinstance(value, Shown) or (dataclasses.is_dataclass(value) and not isinstance(value, type))


def _parameters(view: Shown) -> list[inspect.Parameter]:
    """The options of ``view``'s group, those of the groups it holds (a field whose default is a group) included."""
    hints = typing.get_type_hints(type(view.group))
    params = []
    for f in dataclasses.fields(view.group):
        value = getattr(view.group, f.name)
        if f.name in view.hide:
            continue
        if "decls" not in f.metadata:
            params += _parameters(_view(value)) if _is_group(value) else []
            continue
        settings = dict(f.metadata["settings"])
        text = view.help.get(f.name, settings.get("help"))
        if text is not None:
            settings["help"] = view.prefix + text
        info = typer.Option(*f.metadata["decls"], **settings)
        kind = inspect.Parameter.KEYWORD_ONLY
        params.append(
            inspect.Parameter(f.name, kind, default=value, annotation=Annotated[hints[f.name], info])
        )
    return params


def _build(view: Shown, values: dict[str, Any]) -> Any:
    """``view``'s group with the option values in ``values`` (taken out of it), held groups built likewise."""
    changes = {}
    for f in dataclasses.fields(view.group):
        value = getattr(view.group, f.name)
        if f.name in view.hide:
            changes[f.name] = value.group if isinstance(value, Shown) else value
        elif "decls" in f.metadata:
            changes[f.name] = values.pop(f.name)
        elif _is_group(value):
            changes[f.name] = _build(_view(value), values)
    return dataclasses.replace(view.group, **changes)


def with_options(**groups: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the options of each group (a group instance, or :func:`shown` of one) to the decorated command; the
    command receives each group, built from the given values, under its keyword."""
    views = {name: _view(g) for name, g in groups.items()}

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(command, eval_str=True)
        own = [p for name, p in signature.parameters.items() if name not in views]
        added = {name: _parameters(view) for name, view in views.items()}

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            for name, view in views.items():
                kwargs[name] = _build(view, kwargs)
            return command(**kwargs)

        params = own + [p for group in added.values() for p in group]
        wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper

    return decorate


# ----------------------------------------------------------------------------------------------------------------
# The judge


@dataclass(frozen=True)
class Judge:
    """The judge a command calls: its model, the OpenAI-compatible server it runs on, how the client treats that
    server, and how the model is asked to answer. ``judge_model`` is required unless a command gives a default."""

    judge_model: str = option(..., "--judge-model", help="The judge's model name on the server.")
    base_url: list[str] | None = option(  # noqa: RUF009
        None,
        "--base-url",
        help="OpenAI-compatible base URL; repeat to spread load (default: $OPENAI_BASE_URL).",
    )
    api_key: str | None = option(
        None,
        "--api-key",
        repr=False,
        help="API key (default: $OPENAI_API_KEY). Never logged.",
        show_default=False,
    )
    concurrency: int = option(64, "--concurrency", help="Requests in flight at once.")
    max_retries: int = option(5, "--max-retries", help="Transport retries per request.")
    timeout: float = option(120.0, "--timeout", help="Seconds per request.")
    cache: Path | None = option(None, "--cache", help="sqlite answer cache (default: ~/.cache/rationalerm).")  # noqa: RUF009
    no_cache: bool = option(False, "--no-cache", help="Neither read nor write the answer cache.")
    temperature: float = option(0.6, "--temperature", help="Sampling temperature.")
    max_tokens: int = option(8192, "--max-tokens", help="Completion token limit.")
    seed: int | None = option(None, "--seed", help="Sampling seed sent to the server.")
    max_format_retries: int = option(2, "--max-format-retries", help="Re-asks after an unreadable answer.")

    def urls(self) -> list[str]:
        """The base URLs given, else ``$OPENAI_BASE_URL``; a ConfigError when there is none or the concurrency
        cannot work (checked before any input is read)."""
        urls = list(self.base_url or []) or (
            [os.environ["OPENAI_BASE_URL"]] if os.environ.get("OPENAI_BASE_URL") else []
        )
        if not urls:
            raise ConfigError("no judge server: pass --base-url or set OPENAI_BASE_URL")
        if self.concurrency < 1:
            raise ConfigError("--concurrency must be at least 1")
        return urls

    def open_pool(self, **pool_settings: Any) -> Any:
        """A :class:`~rationalerm.llm.JudgePool` for the judge model (enter it with ``async with`` in the loop that
        uses it); ``pool_settings`` are further JudgePool keywords (``max_prompt_tokens``)."""
        from ..llm import JudgePool, default_cache_path

        cache = None if self.no_cache else (self.cache or default_cache_path())
        return JudgePool(
            self.judge_model,
            self.urls(),
            api_key=self.api_key,
            concurrency=self.concurrency,
            timeout=self.timeout,
            max_retries=self.max_retries,
            cache=cache,
            **pool_settings,
        )

    def sampling(self) -> dict[str, Any]:
        """``temperature``, ``max_tokens``, ``seed`` and ``max_format_retries`` as keywords (the names the settings
        classes, the matcher and the tagger take)."""
        names = ("temperature", "max_tokens", "seed", "max_format_retries")
        return {name: getattr(self, name) for name in names}


# ----------------------------------------------------------------------------------------------------------------
# Input and output files


@dataclass(frozen=True)
class InputPolicy:
    """How bad input rows are treated (the one input policy of :mod:`rationalerm.io`)."""

    strict: bool = option(False, "--strict", help="Stop at the first bad input row.")
    dedupe: str = option(
        "error",
        "--dedupe",
        help="Rows sharing an id: error (name both lines and stop), first or last (use that row, report the others).",
    )
    encoding_errors: str = option(
        "strict",
        "--encoding-errors",
        help="A line that is not valid UTF-8: strict (an error naming the line) or replace (read with U+FFFD in "
        "place of the bad bytes, and reported).",
    )

    def __post_init__(self) -> None:
        if self.encoding_errors not in ("strict", "replace"):
            raise ConfigError(f"--encoding-errors must be strict or replace, not {self.encoding_errors!r}")
        if self.dedupe not in ("error", "first", "last"):
            raise ConfigError(f"--dedupe must be error, first or last, not {self.dedupe!r}")


@dataclass(frozen=True)
class Resume:
    """Where a resumable run writes, and whether it starts over."""

    output: Path | None = option(None, "--output", "-o", help="Output JSONL (resumed if it exists).")  # noqa: RUF009
    restart: bool = option(False, "--restart", help="Discard an existing output instead of resuming.")


# Options several commands take with one meaning, defined once (each command gives its own default).
SplitOpt = Annotated[
    str | None,
    typer.Option(
        "--split",
        help="Split of Qwen/RationaleRM or its snapshot folder: test or full (default: test; prepare-rl: full).",
    ),
]
ModeOpt = Annotated[
    str,
    typer.Option(
        "--mode",
        help="paper (one-to-one matching, the paper's AP) or reference (as the released analysis script).",
    ),
]
MaxModelItemsOpt = Annotated[
    int,
    typer.Option(
        "--max-model-items", help="The model's first N reasons of each sample that are used (0 = all)."
    ),
]
BootstrapOpt = Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples for the 95% CIs.")]
BootstrapSeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")]
GuardReasonsOpt = Annotated[int, typer.Option("--max-reasons", help="The guards' reason cap (0 = none).")]

LabelsFromOpt = Annotated[
    str,
    typer.Option(
        "--labels-from",
        help="Where rows without a human label get one: auto (nvidia/HelpSteer3 from the hub cache, or from "
        "the Hub when INPUT came from it), nvidia/HelpSteer3, a snapshot folder or file of it, or none.",
    ),
]


def default_output(input_path: Path, suffix: str) -> Path:
    """``<input stem>.<suffix>.jsonl`` beside the input (characters unsafe in file names replaced)."""
    return input_path.with_name(f"{input_path.stem}.{safe_name(suffix, '-_.')}.jsonl")


def safe_name(text: str, keep: str = "-_.=,") -> str:
    """``text`` usable in a file name: characters other than letters, digits and ``keep`` become ``_``."""
    return "".join(c if c.isalnum() or c in keep else "_" for c in text)


def require_file(path: Path) -> None:
    """An input file that does not exist ends the command (exit 2) before anything is read or sent."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")


# ----------------------------------------------------------------------------------------------------------------
# The GenRM and the matcher


@dataclass(frozen=True)
class GenRMChoice:
    """How a GenRM is prompted (``generate`` and the live benchmarks)."""

    style: str = option(
        "rationalerm", "--style", help="GenRM prompt style: rationalerm (5-way) or ralign (A or B)."
    )
    max_reasons: int = option(5, "--max-reasons", help="Reasons asked for and kept (0 = no cap).")

    def settings(self, judge: Judge) -> Any:
        """The :class:`~rationalerm.runs.generate.GenRMSettings` of these options and the judge's sampling."""
        from ..runs.generate import GenRMSettings

        if self.style not in ("rationalerm", "ralign"):
            raise ConfigError(f"--style must be rationalerm or ralign, not {self.style!r}")
        if self.max_reasons < 0:
            raise ConfigError("--max-reasons must be 0 (no cap) or more")
        style: Any = self.style
        return GenRMSettings(style=style, max_reasons=self.max_reasons or None, **judge.sampling())


@dataclass(frozen=True)
class MatcherChoice:
    """Which matcher pairs a model's reasons with the human ones: the offline local one or an LLM judge."""

    matcher_name: str = option("local", "--matcher", help="local (offline, default) or llm.")
    structured: bool = option(False, "--structured", help="[llm] JSON-schema structured output.")
    calibration: Path | None = option(  # noqa: RUF009
        None, "--calibration", help="[local] A matcher fitted to your judge by `rationalerm calibrate`."
    )

    def build(self, judge: Judge) -> Any:
        """The matcher chosen; an LLM matcher comes over a new pool (enter it with ``async with`` in the loop that
        uses it). Options that cannot work raise ConfigError."""
        if self.calibration is not None and self.matcher_name != "local":
            raise ConfigError("--calibration fits the local matcher; use it with --matcher local")
        if self.matcher_name == "local":
            from ..matchers.local import LocalMatcher

            return LocalMatcher(scorer=self.calibration if self.calibration is not None else "packaged")
        if self.matcher_name != "llm":
            raise ConfigError(f"--matcher must be local or llm, not {self.matcher_name!r}")
        if not judge.judge_model:
            raise ConfigError("--matcher llm needs --judge-model (and --base-url or $OPENAI_BASE_URL)")
        from ..matchers.llm import LLMMatcher

        return LLMMatcher(judge.open_pool(), structured=self.structured, **judge.sampling())


def llm_judge(*, hide: Iterable[str] = ()) -> Shown:
    """The judge options of a command that calls a judge only with ``--matcher llm``: optional, marked "[llm]"."""
    help = {"judge_model": "The evaluator model."}
    return shown(
        Judge(judge_model=None), prefix="[llm] ", help=help, hide={"seed", "max_format_retries", *hide}
    )  # type: ignore[arg-type]


__all__ = [
    "BootstrapOpt",
    "BootstrapSeedOpt",
    "GenRMChoice",
    "GuardReasonsOpt",
    "InputPolicy",
    "Judge",
    "LabelsFromOpt",
    "MatcherChoice",
    "MaxModelItemsOpt",
    "ModeOpt",
    "Resume",
    "SplitOpt",
    "default_output",
    "llm_judge",
    "option",
    "require_file",
    "safe_name",
    "shown",
    "with_options",
]
