"""``rationalerm serve-reward``: the reward as OpenRLHF's remote reward server.

A thin wrapper over :class:`rationalerm.integrations.openrlhf.RewardServer`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated

import typer

from .app import app
from .console import err_console, fail
from .options import GuardReasonsOpt, Judge, option, shown, with_options

JUDGE = shown(
    Judge(judge_model="", concurrency=128),
    hide={
        "max_retries",
        "timeout",
        "cache",
        "no_cache",
        "temperature",
        "max_tokens",
        "seed",
        "max_format_retries",
    },
    help={
        "judge_model": "The MetaJudge (or MetaRM) model name.",
        "base_url": "Judge base URL (repeatable).",
        "api_key": "Judge API key (default: $OPENAI_API_KEY).",
        "concurrency": "Judge requests in flight.",
    },
)


@dataclass(frozen=True)
class Serving:
    """Where the reward server listens and how it treats its clients: the keywords of RewardServer."""

    host: str = option(
        "127.0.0.1",
        "--host",
        help="Bind address. 127.0.0.1 (default) serves this machine only; for trainers on other nodes bind "
        "this node's cluster address (or 0.0.0.0), allow only the trainer nodes in the firewall, and set --token.",
    )
    port: int = option(5000, "--port", help="Port (0: any free port, printed).")
    token: str | None = option(
        None,
        "--token",
        repr=False,
        envvar="RATIONALERM_REWARD_TOKEN",
        help="Require this token (Authorization: Bearer TOKEN, or ?token=TOKEN in the URL, which OpenRLHF "
        "0.11 needs: it sends no headers). Default: $RATIONALERM_REWARD_TOKEN; none.",
    )
    deadline: float = option(
        150.0, "--deadline", help="Seconds within which every request is answered (OpenRLHF 0.11 waits 180)."
    )
    on_judge_failure: str = option(
        "zero",
        "--on-judge-failure",
        help="Reward of a sample the judge failed (flagged judge_failed in extra_logs): zero, or outcome "
        "(1 if the verdict is correct).",
    )
    max_batch: int = option(256, "--max-batch", help="Samples scored together.")
    max_pending: int = option(
        4096, "--max-pending", help="Samples queued or scored; later requests wait for room."
    )
    max_connections: int = option(
        4096, "--max-connections", help="Open connections; over it a new one is closed at once."
    )
    idle_timeout: float = option(
        20.0,
        "--idle-timeout",
        help="Seconds a connection may take to send its request head, or sit idle, before it is closed.",
    )
    body_timeout: float = option(30.0, "--body-timeout", help="Seconds a request body may take to arrive.")


@app.command(name="serve-reward")
@with_options(judge=JUDGE, serving=Serving())
def serve_reward(
    kind: Annotated[str, typer.Option("--kind", help="hybrid, outcome or ralign.")] = "hybrid",
    matcher: Annotated[str, typer.Option("--matcher", help="local or llm.")] = "local",
    max_reasons: GuardReasonsOpt = 8,
    judge_timeout: Annotated[
        float,
        typer.Option(
            "--judge-timeout", help="Seconds per judge request (capped at the deadline); the pool retries."
        ),
    ] = 120.0,
    screen_workers: Annotated[
        int,
        typer.Option(
            "--screen-workers", help="Processes that parse and screen completions (0 = in this process)."
        ),
    ] = 0,
    *,
    judge: Judge,
    serving: Serving,
) -> None:
    """Serve the reward over HTTP for OpenRLHF (--reward.remote_url http://HOST:PORT/get_reward)."""
    import logging

    from ..integrations import ScorerSpec
    from ..integrations.openrlhf import RewardServer

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _raise_open_file_limit(serving.max_connections)
    scorer = {"kind": kind, "matcher": matcher, "max_reasons": max_reasons, "screen_workers": screen_workers}
    client = {"judge_model": judge.judge_model, "base_url": judge.base_url or [], "api_key": judge.api_key}
    client |= {"concurrency": judge.concurrency, "timeout": min(judge_timeout, serving.deadline)}
    try:
        spec = ScorerSpec.from_kwargs({**scorer, **client})
        spec.reward_config()
        server = RewardServer(spec, **dataclasses.asdict(serving))
    except OSError as exc:  # the address cannot be bound
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
    except OSError as exc:  # the address cannot be bound
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
