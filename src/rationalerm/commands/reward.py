"""RL commands: ``prepare-rl`` (training data for verl, TRL or OpenRLHF), ``serve-reward`` (OpenRLHF's remote
reward server) and ``train`` (GRPO with TRL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..cli import ProblemPrinter, app, console, err_console, fail


@app.command(name="prepare-rl")
def prepare_rl_command(
    input_path: Annotated[Path, typer.Argument(help="A HelpSteer3-Atomic file (.jsonl/.json/.parquet).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output file (.parquet for verl; .jsonl or .parquet).")
    ],
    fmt: Annotated[str, typer.Option("--format", help="verl, trl or openrlhf.")] = "verl",
    style: Annotated[
        str, typer.Option("--style", help="GenRM prompt style: rationalerm or ralign.")
    ] = "rationalerm",
    max_reasons: Annotated[
        int,
        typer.Option(
            "--max-reasons", help="Reasons the prompt asks for (0 = every reason, as in the paper)."
        ),
    ] = 0,
    golden_field: Annotated[
        str, typer.Option("--golden-field", help="Field with golden judgments (ralign).")
    ] = "gt_judgment",
) -> None:
    """Write the GenRM prompts and reward fields each RL framework reads."""
    from ..workflows.prepare_rl import RL_FORMATS, prepare_rl

    if fmt not in RL_FORMATS:
        raise fail(f"--format must be one of {', '.join(RL_FORMATS)}, not {fmt!r}", 2)
    if not input_path.is_file():
        raise fail(f"no such file: {input_path}", 2)
    printer = ProblemPrinter()
    try:
        summary = prepare_rl(
            input_path,
            output,
            fmt,
            style=style,
            max_reasons=max_reasons or None,  # type: ignore[arg-type]
            golden_field=golden_field,
            on_problem=printer,
        )
    except (ValueError, ImportError) as exc:
        raise fail(str(exc), 2) from None
    printer.finish()
    if summary.written == 0:
        raise fail("no row could be prepared")
    console.print(
        f"wrote {summary.written} rows to {summary.output} ({summary.skipped} skipped)", highlight=False
    )


@app.command(name="serve-reward")
def serve_reward(
    kind: Annotated[str, typer.Option("--kind", help="hybrid, outcome or ralign.")] = "hybrid",
    matcher: Annotated[str, typer.Option("--matcher", help="local or llm.")] = "local",
    judge_model: Annotated[
        str, typer.Option("--judge-model", help="The MetaJudge (or MetaRM) model name.")
    ] = "",
    base_url: Annotated[
        list[str] | None, typer.Option("--base-url", help="Judge base URL (repeatable).")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="Judge API key (default: $OPENAI_API_KEY).")
    ] = None,
    max_reasons: Annotated[
        int, typer.Option("--max-reasons", help="Reason cap of the guard (0 = none).")
    ] = 8,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 5000,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Judge requests in flight.")] = 128,
    max_batch: Annotated[int, typer.Option("--max-batch", help="Samples scored together.")] = 256,
    max_pending: Annotated[int, typer.Option("--max-pending", help="Samples queued before 503.")] = 4096,
    screen_workers: Annotated[
        int,
        typer.Option(
            "--screen-workers", help="Processes that parse and screen completions (0 = in this process)."
        ),
    ] = 0,
) -> None:
    """Serve the reward over HTTP for OpenRLHF (--reward.remote_url http://HOST:PORT/get_reward)."""
    from ..integrations import ScorerSpec
    from ..integrations.openrlhf import RewardServer

    try:
        spec = ScorerSpec.from_kwargs(
            {
                "kind": kind,
                "matcher": matcher,
                "judge_model": judge_model,
                "base_url": base_url or [],
                "api_key": api_key,
                "max_reasons": max_reasons,
                "concurrency": concurrency,
                "screen_workers": screen_workers,
            }
        )
        spec.reward_config()
        server = RewardServer(spec, host=host, port=port, max_batch=max_batch, max_pending=max_pending)
    except (ValueError, OSError) as exc:
        raise fail(str(exc), 2) from None
    err_console.print(
        f"serving the {kind} reward on {server.url} (POST /get_reward, GET /health)", highlight=False
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        err_console.print("stopped")


@app.command(name="train")
def train_command(
    config: Annotated[Path, typer.Option("--config", help="Training config (YAML or JSON).")],
) -> None:
    """GRPO training of a GenRM with TRL and the hybrid, outcome or ralign reward."""
    from ..workflows.train import TrainConfig, train

    try:
        settings = TrainConfig.load(config)
        result = train(settings)
    except (ValueError, ImportError, FileNotFoundError) as exc:
        raise fail(str(exc), 2) from None
    console.print(f"trained {result.steps} steps; model in {result.final_model}", highlight=False)
    console.print(
        f"curves: {result.curves}" + (f", plot: {result.plot}" if result.plot else ""), highlight=False
    )
