"""RL commands: ``prepare-rl`` (training data for verl, TRL or OpenRLHF), ``serve-reward`` (OpenRLHF's remote
reward server) and ``train`` (GRPO with TRL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..cli import ProblemPrinter, app, console, err_console, fail


@app.command(name="prepare-rl")
def prepare_rl_command(
    input_path: Annotated[
        str,
        typer.Argument(
            help="HelpSteer3-Atomic rows: a .jsonl/.json/.parquet file, a snapshot folder of Qwen/RationaleRM, or "
            "the Hub id Qwen/RationaleRM (the hub cache when HF_HUB_OFFLINE=1)."
        ),
    ],
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
    split: Annotated[
        str,
        typer.Option("--split", help="Split of Qwen/RationaleRM or its snapshot: full (default) or test."),
    ] = "full",
    labels_from: Annotated[
        str,
        typer.Option(
            "--labels-from",
            help="Where rows without a human label get one: auto (nvidia/HelpSteer3 from the hub cache, or from "
            "the Hub when INPUT came from it), nvidia/HelpSteer3, a snapshot folder or file of it, or none.",
        ),
    ] = "auto",
) -> None:
    """Write the GenRM prompts and reward fields each RL framework reads."""
    from ..io import InputError
    from ..workflows.prepare_rl import RL_FORMATS, prepare_rl

    if fmt not in RL_FORMATS:
        raise fail(f"--format must be one of {', '.join(RL_FORMATS)}, not {fmt!r}", 2)
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
            split=split,
            labels_from=labels_from,
        )
    except InputError as exc:
        raise fail(str(exc)) from None
    except (ValueError, ImportError) as exc:
        raise fail(str(exc), 2) from None
    printer.finish()
    if summary.labels is not None:
        console.print(summary.labels.summary_line(), highlight=False, markup=False)
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
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Bind address. 127.0.0.1 (default) serves this machine only; for trainers on other nodes bind "
            "this node's cluster address (or 0.0.0.0), allow only the trainer nodes in the firewall, and set "
            "--token.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: any free port, printed).")] = 5000,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="RATIONALERM_REWARD_TOKEN",
            help="Require this token (Authorization: Bearer TOKEN, or ?token=TOKEN in the URL, which OpenRLHF "
            "0.11 needs: it sends no headers). Default: $RATIONALERM_REWARD_TOKEN; none.",
        ),
    ] = None,
    deadline: Annotated[
        float,
        typer.Option(
            "--deadline", help="Seconds within which every request is answered (OpenRLHF 0.11 waits 180)."
        ),
    ] = 150.0,
    on_judge_failure: Annotated[
        str,
        typer.Option(
            "--on-judge-failure",
            help="Reward of a sample the judge failed (flagged judge_failed in extra_logs): zero, or outcome "
            "(1 if the verdict is correct).",
        ),
    ] = "zero",
    judge_timeout: Annotated[
        float,
        typer.Option(
            "--judge-timeout", help="Seconds per judge request (capped at the deadline); the pool retries."
        ),
    ] = 120.0,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Judge requests in flight.")] = 128,
    max_batch: Annotated[int, typer.Option("--max-batch", help="Samples scored together.")] = 256,
    max_pending: Annotated[
        int, typer.Option("--max-pending", help="Samples queued or scored; later requests wait for room.")
    ] = 4096,
    max_connections: Annotated[
        int, typer.Option("--max-connections", help="Open connections; over it a new one is closed at once.")
    ] = 4096,
    idle_timeout: Annotated[
        float,
        typer.Option(
            "--idle-timeout",
            help="Seconds a connection may take to send its request head, or sit idle, before it is closed.",
        ),
    ] = 20.0,
    body_timeout: Annotated[
        float, typer.Option("--body-timeout", help="Seconds a request body may take to arrive.")
    ] = 30.0,
    screen_workers: Annotated[
        int,
        typer.Option(
            "--screen-workers", help="Processes that parse and screen completions (0 = in this process)."
        ),
    ] = 0,
) -> None:
    """Serve the reward over HTTP for OpenRLHF (--reward.remote_url http://HOST:PORT/get_reward)."""
    import logging

    from ..integrations import ScorerSpec
    from ..integrations.openrlhf import RewardServer

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _raise_open_file_limit(max_connections)
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
                "timeout": min(judge_timeout, deadline),
                "screen_workers": screen_workers,
            }
        )
        spec.reward_config()
        server = RewardServer(
            spec,
            host=host,
            port=port,
            max_batch=max_batch,
            max_pending=max_pending,
            token=token,
            deadline=deadline,
            on_judge_failure=on_judge_failure,
            max_connections=max_connections,
            idle_timeout=idle_timeout,
            body_timeout=body_timeout,
        )
    except (ValueError, OSError) as exc:
        raise fail(str(exc), 2) from None
    err_console.print(
        f"serving the {kind} reward on {server.url} (POST /get_reward, GET /health)",
        highlight=False,
        soft_wrap=True,
    )
    try:
        server.serve_forever()  # until SIGINT or SIGTERM
    except KeyboardInterrupt:
        pass
    except (ValueError, OSError) as exc:
        raise fail(str(exc), 2) from None
    err_console.print("stopped")


def _raise_open_file_limit(connections: int) -> None:
    """Each connection is a file descriptor: lift the soft limit towards the hard one (as vLLM's servers do) so
    ``--max-connections`` is not cut short by a 1,024 default."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if target > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


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
