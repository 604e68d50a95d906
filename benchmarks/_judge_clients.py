"""The two reference clients of ``judge_throughput.py``, each run as a process of its own so its CPU is its own.

    python benchmarks/_judge_clients.py floor URL BODIES.jsonl --concurrency 64 [--loop auto|uvloop|asyncio]
    python benchmarks/_judge_clients.py sdk   URL BODIES.jsonl --concurrency 64

``BODIES.jsonl`` holds one chat-completions request body per line (the prompts ``rationalerm judge`` sends, rendered
by the benchmark). Every body is posted once, with at most ``--concurrency`` in flight, and the answer's
``choices[0].message.content`` is read; nothing is validated, retried or written. The process prints one JSON line,
``{"ok": n, "errors": n, "first_error": str | null}``.

- ``floor``: one ``aiohttp.ClientSession`` on a ``TCPConnector(limit=N)`` and an ``asyncio.Semaphore(N)``, posting
  ``json=body`` and reading ``await response.json()``, as vLLM's ``benchmarks/backend_request_func.py`` does: the
  least a Python client on this event loop can spend.
- ``sdk``: the plain OpenAI SDK, ``openai.AsyncOpenAI(base_url, api_key, max_retries=0)`` and
  ``chat.completions.create(**body)`` under the same semaphore (the SDK's own connection-pool defaults).

Only the standard library and the client library are imported, so start-up costs what that client costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable

API_KEY = "bench-key"


def load_bodies(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


async def run_floor(url: str, bodies: list[dict], concurrency: int) -> list[str | None]:
    import aiohttp

    endpoint = url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {API_KEY}"}
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(body: dict) -> str | None:
            async with semaphore:
                try:
                    async with session.post(endpoint, json=body, headers=headers) as response:
                        if response.status != 200:
                            return f"HTTP {response.status}: {(await response.text())[:200]}"
                        data = await response.json()
                        content = data["choices"][0]["message"]["content"]
                        return None if content is not None else "no content"
                except (TimeoutError, aiohttp.ClientError, KeyError, ValueError) as exc:
                    return f"{type(exc).__name__}: {exc}"

        return await asyncio.gather(*(one(body) for body in bodies))


async def run_sdk(url: str, bodies: list[dict], concurrency: int) -> list[str | None]:
    import openai

    semaphore = asyncio.Semaphore(concurrency)
    client = openai.AsyncOpenAI(base_url=url, api_key=API_KEY, max_retries=0)
    try:

        async def one(body: dict) -> str | None:
            async with semaphore:
                try:
                    completion = await client.chat.completions.create(**body)
                except openai.OpenAIError as exc:
                    return f"{type(exc).__name__}: {exc}"
                return None if completion.choices[0].message.content is not None else "no content"

        return await asyncio.gather(*(one(body) for body in bodies))
    finally:
        await client.close()


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop when installed (``auto``), as ``rationalerm judge`` picks it; ``asyncio`` for the standard loop."""
    if choice != "asyncio":
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                raise
        else:
            return uvloop.new_event_loop
    return asyncio.new_event_loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("client", choices=("floor", "sdk"))
    parser.add_argument("url", help="base URL, e.g. http://127.0.0.1:PORT/v1")
    parser.add_argument("bodies", help="JSONL of chat-completions request bodies")
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--loop", choices=("auto", "uvloop", "asyncio"), default="auto")
    args = parser.parse_args(argv)
    bodies = load_bodies(args.bodies)
    run = run_floor if args.client == "floor" else run_sdk
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        errors = [e for e in runner.run(run(args.url, bodies, args.concurrency)) if e is not None]
    summary = {
        "ok": len(bodies) - len(errors),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
