"""``audit-reward``: the adversarial kit on your data, your matcher and your reward settings, before training.

A thin wrapper over :func:`rationalerm.reward.adversarial.audit_reward`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..cli import app, console, fail


@app.command(name="audit-reward")
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
    matcher_name: Annotated[
        str, typer.Option("--matcher", help="local (offline, default) or llm.")
    ] = "local",
    ratio: Annotated[
        float,
        typer.Option(
            "--ratio",
            help="An attack fails when its mean beats RATIO x the honest mean (attacks that keep the honest "
            "reasons: the honest mean).",
        ),
    ] = 1 / 3,
    max_reasons: Annotated[int, typer.Option("--max-reasons", help="The guards' reason cap (0 = none).")] = 8,
    limit: Annotated[int, typer.Option("--limit", help="Audit only the first N rows (0 = all).")] = 0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON.")] = None,
    calibration: Annotated[
        Path | None,
        typer.Option(
            "--calibration", help="[local] A matcher fitted to your judge by `rationalerm calibrate`."
        ),
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option("--judge-model", help="[llm] The evaluator model.")
    ] = None,
    base_url: Annotated[
        list[str] | None, typer.Option("--base-url", help="[llm] OpenAI-compatible endpoint (repeatable).")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="[llm] Key (default: $OPENAI_API_KEY).")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="[llm] Requests in flight.")] = 64,
    temperature: Annotated[float, typer.Option("--temperature", help="[llm] Sampling temperature.")] = 0.6,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="[llm] Completion token limit.")] = 8192,
    timeout: Annotated[float, typer.Option("--timeout", help="[llm] Seconds per request.")] = 120.0,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="[llm] Do not read or write the cache.")
    ] = False,
) -> None:
    """Run every reward-hacking attack of the kit on your rows and matcher: each attack's mean and worst-case
    reward beside the honest completions'. Exit 1 when an attack beats its threshold."""
    from rich.table import Table
    from rich.text import Text

    from .. import aio
    from ..io import read_jsonl, write_json
    from ..reward import GuardConfig, RewardConfig
    from ..reward.adversarial import audit_cases, audit_reward_async

    if not 0 < ratio <= 1:
        raise fail("--ratio must be in (0, 1]", 2)
    try:
        rows, problems = read_jsonl(input_path)
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from None
    if limit:
        rows = rows[:limit]
    cases = audit_cases(rows, model)
    if not cases:
        what = f"{model}-checklist" if model else "human-checklist"
        raise fail(f"no row of {input_path} has a {what}, a human checklist and a human label to audit")
    config = RewardConfig(guards=GuardConfig(max_reasons=max_reasons or None))

    from ._judging import matcher_from_options

    matcher = matcher_from_options(
        matcher_name,
        judge_model=judge_model,
        calibration=calibration,
        base_urls=base_url or [],
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=5,
        structured=False,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=None,
        cache=None,
        use_cache=not no_cache,
    )

    source = f"{model}-checklist" if model else "human-checklist"

    async def run():
        if hasattr(matcher, "__aenter__"):
            async with matcher:  # type: ignore[attr-defined]
                return await audit_reward_async(
                    cases, matcher=matcher, config=config, ratio=ratio, honest_source=source
                )
        return await audit_reward_async(
            cases, matcher=matcher, config=config, ratio=ratio, honest_source=source
        )

    report = aio.run(run())
    table = Table(
        title=Text(
            f"Reward audit: {report.cases} rows, {matcher_name} matcher, honest reasons from {source}; "
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
