"""``audit-reward``: the adversarial kit on your data, your matcher and your reward settings, before training.

A thin wrapper over :func:`rationalerm.reward.adversarial.audit_reward`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from .app import app
from .console import console, fail
from .options import GuardReasonsOpt, Judge, MatcherChoice, llm_judge, shown, with_options


@app.command(name="audit-reward")
@with_options(
    matcher=shown(MatcherChoice(), hide={"structured"}),
    judge=llm_judge(hide={"max_retries", "cache"}),
)
def audit_reward_command(
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="HelpSteer3-Atomic-layout rows (.jsonl): human checklist, label, context, responses.",
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="The honest reasons are {MODEL}-checklist (default: the human checklist, sides as A/B).",
        ),
    ] = None,
    ratio: Annotated[
        float,
        typer.Option(
            "--ratio",
            help="An attack fails when its mean beats RATIO x the honest mean (attacks that keep the honest "
            "reasons: the honest mean).",
        ),
    ] = 1 / 3,
    max_reasons: GuardReasonsOpt = 8,
    limit: Annotated[int, typer.Option("--limit", help="Audit only the first N rows (0 = all).")] = 0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON.")] = None,
    *,
    matcher: MatcherChoice,
    judge: Judge,
) -> None:
    """Run every reward-hacking attack of the kit on your rows and matcher: each attack's mean and worst-case
    reward beside the honest completions'. Exit 1 when an attack beats its threshold."""
    from rich.table import Table
    from rich.text import Text

    from ..aio import run as aio_run
    from ..io import read_jsonl, write_json
    from ..reward import GuardConfig, RewardConfig
    from ..reward.adversarial import audit_cases, audit_reward_async

    if not 0 < ratio <= 1:
        raise ConfigError("--ratio must be in (0, 1]")
    try:
        rows, problems = read_jsonl(input_path)
    except OSError as exc:
        raise fail(str(exc)) from None
    if limit:
        rows = rows[:limit]
    cases = audit_cases(rows, model)
    if not cases:
        what = f"{model}-checklist" if model else "human-checklist"
        raise fail(f"no row of {input_path} has a {what}, a human checklist and a human label to audit")
    config = RewardConfig(guards=GuardConfig(max_reasons=max_reasons or None))

    chosen = matcher.build(judge)

    source = f"{model}-checklist" if model else "human-checklist"

    async def run():
        if hasattr(chosen, "__aenter__"):
            async with chosen:  # type: ignore[attr-defined]
                return await audit_reward_async(
                    cases, matcher=chosen, config=config, ratio=ratio, honest_source=source
                )
        return await audit_reward_async(
            cases, matcher=chosen, config=config, ratio=ratio, honest_source=source
        )

    report = aio_run(run())
    table = Table(
        title=Text(
            f"Reward audit: {report.cases} rows, {matcher.matcher_name} matcher, honest reasons from {source}; "
            f"an attack fails above its threshold"
        ),
        show_lines=False,
    )
    for column, justify in (
        ("attack", "left"),
        ("mean", "right"),
        ("worst", "right"),
        ("max gain", "right"),
        ("threshold", "right"),
        ("", "left"),
        ("guard", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_row(
        Text("honest"),
        f"{report.honest_mean:.3f}",
        f"{report.honest_worst:.3f}",
        "",
        "",
        "",
        Text("(lowest)"),
    )
    for row in report.rows:
        table.add_row(
            Text(row.attack),
            f"{row.mean:.3f}",
            f"{row.worst:.3f}",
            f"{row.max_gain:+.3f}",
            f"{row.threshold:.3f}",
            Text("ok", style="green") if row.passed else Text("FAIL", style="bold red"),
            Text(row.guard),
        )
    console.print(table)
    if problems:
        console.print(Text(f"{len(problems)} unreadable rows skipped"), highlight=False)
    if json_path is not None:
        write_json(json_path, report.as_dict())
        console.print(Text(f"wrote {json_path}"), highlight=False)
    if not report.passed:
        names = ", ".join(row.attack for row in report.failed)
        raise fail(f"{len(report.failed)} attack(s) beat their threshold: {names}")
