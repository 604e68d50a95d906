"""How close ``rationalerm judge`` comes to keeping a judge server busy, side by side with three other clients.

Four clients judge the same samples against the scripted judge server (``tests/judge_server.py``, a process of its
own, restarted with the same seed for every client run, so each client meets the same latency draws in arrival
order and the server's counters never mix two runs):

- ``rationalerm``: the ``rationalerm judge`` command as a whole process (the venv's entry point, ``--concurrency N
  --no-cache``, a fresh ``--output``): import, prompt rendering, validation, JSONL output, final rewrite;
- ``floor``: a minimal aiohttp client (one ``ClientSession``, ``TCPConnector(limit=N)``, ``Semaphore(N)``, post the
  JSON, read ``choices[0].message.content``, as vLLM's ``benchmarks/backend_request_func.py`` does), the least a
  Python client can spend; it posts the very bodies rationalerm sends, rendered here with rationalerm's own
  MetaJudge prompt rendering (``match_request`` + ``render_metajudge``, temperature 0.6, max_tokens 8192);
- ``sdk``: the plain OpenAI SDK (``AsyncOpenAI(max_retries=0)``, ``chat.completions.create``), same bodies;
- ``released``: the release's own ``metajudge_infer.py`` (``../shared/anchors``; threads and the sync SDK) on the
  same input file, its own prompt, ``--concurrent-requests N --rate-limit-delay 0 --batch-size N`` (each batch of
  N waits for its slowest answer; ``--released-batch-size`` changes it, e.g. to the sample count for one batch).

``floor`` and ``sdk`` run in ``_judge_clients.py`` subprocesses. Each client is timed from spawn to exit.

    ideal      = (total latency the server served, from its GET /stats) / concurrency
    efficiency = ideal / wall time (spawn to exit, start-up included)

``ideal`` is the wall time of a perfectly packed schedule of exactly the requests the server saw (the jitter draws
are accounted for exactly); even a client that costs nothing falls short of it by the slots that run dry while the
last requests finish, which is what the floor shows. ``start s`` is spawn to the server's first request (polled), and
``eff. after start`` leaves it out. CPU ms/req is the client process's user+sys time (``os.wait4``, its children
included) over the requests the server counted; the server's CPU per request is shown to tell a busy server from a
slow client (on a 2-core machine the two share the cores). With ``--repeat K`` every figure is the median of K runs,
the clients' order reversed every other round. The event loop is uvloop where installed, as ``rationalerm judge``
picks it (``--loop asyncio`` for the standard one, for every client and the server alike).

Goals (PASS/FAIL under the table): rationalerm efficiency >= 0.90x the floor's at every preset run, >= 1.5x the
released script's at the fast preset, and rationalerm client CPU <= 1.0 ms a request.

    .venv/bin/python benchmarks/judge_throughput.py [--preset fast|wide|both] [--repeat 1] [--json figures.json]
        [--clients rationalerm,floor,sdk,released] [--samples N] [--concurrency N]

Presets: ``fast`` = 100 ms +-50% a reply, 64 in flight, 3,000 samples; ``wide`` = 1 s +-50%, 512 in flight, 4,000
samples. ``both`` (default) runs the two: about 2 minutes on 2 cores with ``--repeat 1``, 4.5 with ``--repeat 3``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "judge_server.py"
CLIENTS_SCRIPT = Path(__file__).resolve().parent / "_judge_clients.py"
DEFAULT_ANCHOR = ROOT.parent / "shared" / "anchors" / "metajudge_infer.py"
BIN = Path(sys.executable).parent
MODEL = "bench-genrm"  # the judged model: its checklist is "<MODEL>-checklist"
JUDGE_MODEL = "bench-judge"
API_KEY = "bench-key"
TEMPERATURE, MAX_TOKENS, MAX_MODEL_ITEMS = 0.6, 8192, 5  # rationalerm judge's defaults
CLIENTS = ("rationalerm", "floor", "sdk", "released")


@dataclass(frozen=True)
class Preset:
    name: str
    latency: float  # mean seconds a reply
    jitter: float  # latency uniform in latency * (1 +/- jitter)
    concurrency: int
    samples: int


PRESETS = {
    "fast": Preset("fast", 0.1, 0.5, 64, 3000),
    "wide": Preset("wide", 1.0, 0.5, 512, 4000),
}


# --------------------------------------------------------------------------------------------------------------
# Input data: deterministic, seeded, with realistic sizes


_WORDS = (
    "the response answer code function list value error output example step explanation formula result user "
    "question detail format table summary claim source test loop variable edge case input string number date "
    "translation tone structure paragraph reasoning assumption constraint unit conversion boundary condition "
    "correct incorrect missing clear vague concise verbose accurate complete partial relevant specific handles "
    "explains ignores mentions omits repeats contradicts follows violates misreads computes returns states "
    "because while although instead of without with for in on of to and but also only never first second last "
    "final main key short long simple nested sorted empty negative large small exact rounded"
).split()


def _text(rng: random.Random, low: int, high: int) -> str:
    """Words to a length drawn in [low, high] (a word more at most), ending with a full stop."""
    target = rng.randint(low, high)
    words: list[str] = []
    size = 0
    while size < target:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words).capitalize() + "."


def _reasons(rng: random.Random, names: tuple[str, str], count: int) -> list[str]:
    """``count`` reasons of about 100-200 characters, each about one of the two responses."""
    return [f"Response {rng.choice(names)} {_text(rng, 90, 190).lower()}" for _ in range(count)]


def make_rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` HelpSteer3-Atomic rows: a context of a few hundred characters, two responses, 3-6 human reasons and
    2-7 judge reasons of about 100-200 characters each. Row i is the same for every ``n`` > i."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        human = _reasons(rng, ("1", "2"), rng.randint(3, 6))
        model = _reasons(rng, ("A", "B"), rng.randint(2, 7))
        rows.append(
            {
                "id": f"bench-{i}",
                "domain": ("general", "code", "stem", "multilingual")[i % 4],
                "context": [{"role": "user", "content": _text(rng, 200, 600)}],
                "response1": _text(rng, 300, 900),
                "response2": _text(rng, 300, 900),
                "overall_preference": rng.choice((-2, -1, 1, 2)),
                "human-checklist": human,
                f"{MODEL}-checklist": model,
                f"{MODEL}-label": rng.choice(("A>B", "B>A", "A>>B", "B>>A")),
            }
        )
    return rows


def request_bodies(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chat-completions bodies ``rationalerm judge`` sends for ``rows``, rendered by rationalerm itself."""
    from rationalerm.prompts import METAJUDGE_PROMPT, load_prompt, render_metajudge
    from rationalerm.records import sample_from_row
    from rationalerm.runs.judge import match_request

    prompt = load_prompt(METAJUDGE_PROMPT)
    bodies = []
    for row in rows:
        request, _ = match_request(sample_from_row(row, models=[MODEL]), MODEL, MAX_MODEL_ITEMS)
        text = render_metajudge(prompt, request.human, request.model).text
        bodies.append(
            {
                "model": JUDGE_MODEL,
                "messages": [{"role": "user", "content": text}],
                "temperature": TEMPERATURE,
                "max_tokens": MAX_TOKENS,
            }
        )
    return bodies


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------------------------------
# The server


class Server:
    """``tests/judge_server.py`` in a process of its own; :meth:`stop` returns its CPU seconds."""

    def __init__(self, preset: Preset, seed: int, uvloop: bool):
        args = ["--latency", str(preset.latency), "--jitter", str(preset.jitter), "--seed", str(seed)]
        if uvloop:
            args.append("--uvloop")
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.stop()
            raise RuntimeError(f"judge server did not start (printed {self.url!r})")

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/stats", timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> float:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        timer = threading.Timer(15, self.proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
        finally:
            timer.cancel()
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------------------------------------------
# One client run


@dataclass
class Inputs:
    rows_path: Path  # HelpSteer3-Atomic JSONL (rationalerm and the released script)
    bodies_path: Path  # request bodies (floor and sdk)
    samples: int


@dataclass
class RunResult:
    client: str
    preset: str
    ok: bool
    wall_s: float = 0.0
    start_s: float = 0.0
    ideal_s: float = 0.0
    efficiency: float = 0.0
    efficiency_after_start: float = 0.0
    cpu_s: float = 0.0
    cpu_ms_per_request: float = 0.0
    server_cpu_ms_per_request: float = 0.0
    requests: int = 0
    answered: int = 0  # samples the client got an answer for (its own count)
    note: str = ""


def client_command(
    client: str, url: str, inputs: Inputs, preset: Preset, out: Path, args: argparse.Namespace
) -> list[str]:
    n = str(preset.concurrency)
    if client == "rationalerm":
        return [
            str(BIN / "rationalerm"), "judge", str(inputs.rows_path), "--model", MODEL, "--judge-model", JUDGE_MODEL,
            "--base-url", url, "--api-key", API_KEY, "--concurrency", n, "--no-cache", "--output", str(out),
        ]  # fmt: skip
    if client in ("floor", "sdk"):
        return [sys.executable, str(CLIENTS_SCRIPT), client, url, str(inputs.bodies_path), "--concurrency", n,
                "--loop", args.loop]  # fmt: skip
    if client == "released":
        batch = args.released_batch_size or preset.concurrency
        return [
            sys.executable, str(args.anchor), "--input-file", str(inputs.rows_path), "--output-file", str(out),
            "--model-be-evaluated", MODEL, "--api-key", API_KEY, "--api-base", url, "--model", JUDGE_MODEL,
            "--concurrent-requests", n, "--rate-limit-delay", "0", "--batch-size", str(batch),
            "--log-file", str(out.with_suffix(".log")),
        ]  # fmt: skip
    raise ValueError(client)


def count_answered(client: str, out: Path, stdout: str) -> int:
    if client in ("floor", "sdk"):
        lines = stdout.strip().splitlines()
        return int(json.loads(lines[-1])["ok"]) if lines else 0
    if not out.exists():
        return 0
    answered = 0
    with open(out, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if client == "rationalerm":
                answered += (row.get("rationalerm") or {}).get("status") == "ok"
            else:  # released: a record with an answer (its status is format_error against the scripted server)
                answered += bool(row.get("samples"))
    return answered


def run_client(
    client: str, preset: Preset, inputs: Inputs, workdir: Path, tag: str, args: argparse.Namespace
) -> RunResult:
    server = Server(preset, args.seed, uvloop=args.server_uvloop)
    out = workdir / f"{tag}.{client}.out.jsonl"
    log_out, log_err = workdir / f"{tag}.{client}.stdout", workdir / f"{tag}.{client}.stderr"
    env = dict(os.environ)
    env.pop("OPENAI_BASE_URL", None)
    env["RATIONALERM_EVENT_LOOP"] = args.loop
    server_cpu = 0.0
    try:
        command = client_command(client, server.url, inputs, preset, out, args)
        timeout = 120 + 40 * inputs.samples * preset.latency / preset.concurrency
        with open(log_out, "w") as stdout, open(log_err, "w") as stderr:
            began = time.perf_counter()
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, cwd=workdir, env=env
            )
            killer = threading.Timer(timeout, proc.kill)
            killer.start()
            try:
                start_s, status, usage = _wait_measuring_start(proc, server, began)
                wall_s = time.perf_counter() - began
            finally:
                killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        stats = server.stats()
    finally:
        server_cpu = server.stop()
    requests = int(stats.get("requests", 0))
    ideal_s = float(stats.get("total_delay", 0.0)) / preset.concurrency
    cpu_s = usage.ru_utime + usage.ru_stime
    stdout_text = log_out.read_text(errors="replace")
    try:
        answered = count_answered(client, out, stdout_text)
    except (ValueError, KeyError) as exc:
        answered, note = 0, f"unreadable output: {exc}"
    else:
        note = ""
    if proc.returncode != 0:
        tail = log_err.read_text(errors="replace").strip().splitlines()[-5:]
        note = (
            f"exit {proc.returncode}"
            + (" (timed out)" if wall_s >= timeout else "")
            + ": "
            + " | ".join(tail)
        )
    elif answered < inputs.samples:
        note = f"only {answered} of {inputs.samples} samples answered"
    elif requests != inputs.samples:
        note = f"{requests} requests for {inputs.samples} samples"
    return RunResult(
        client=client,
        preset=preset.name,
        ok=proc.returncode == 0 and answered == inputs.samples,
        wall_s=wall_s,
        start_s=start_s,
        ideal_s=ideal_s,
        efficiency=ideal_s / wall_s if wall_s else 0.0,
        efficiency_after_start=ideal_s / (wall_s - start_s) if wall_s > start_s else 0.0,
        cpu_s=cpu_s,
        cpu_ms_per_request=1000 * cpu_s / requests if requests else 0.0,
        server_cpu_ms_per_request=1000 * server_cpu / requests if requests else 0.0,
        requests=requests,
        answered=answered,
        note=note,
    )


def _wait_measuring_start(proc: subprocess.Popen, server: Server, began: float) -> tuple[float, int, Any]:
    """Wait for ``proc`` (reaped with ``os.wait4`` for its rusage), noting when the server saw its first request:
    /stats is polled every 10 ms until then, and not at all afterwards."""
    start_s = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            return start_s, status, usage
        if server.stats().get("requests", 0) > 0:
            start_s = time.perf_counter() - began
            break
        time.sleep(0.01)
    _, status, usage = os.wait4(proc.pid, 0)
    return start_s, status, usage


# --------------------------------------------------------------------------------------------------------------
# Reporting


_MEDIAN_FIELDS = (
    "wall_s", "start_s", "ideal_s", "efficiency", "efficiency_after_start", "cpu_s", "cpu_ms_per_request",
    "server_cpu_ms_per_request", "requests", "answered",
)  # fmt: skip


def median_result(runs: list[RunResult]) -> RunResult:
    """Each figure's median over the runs that finished (all runs when none did)."""
    good = [r for r in runs if r.ok] or runs
    values = {name: statistics.median(getattr(r, name) for r in good) for name in _MEDIAN_FIELDS}
    values["requests"], values["answered"] = round(values["requests"]), round(values["answered"])
    notes = "; ".join(sorted({r.note for r in runs if r.note}))
    return replace(good[0], ok=all(r.ok for r in runs), note=notes, **values)


def print_table(
    preset: Preset, results: dict[str, RunResult], skipped: dict[str, str], repeat: int, notes: list[str]
) -> None:
    from rich.console import Console
    from rich.table import Table

    title = (
        f"{preset.name}: {preset.samples:,} samples, {preset.latency * 1000:g} ms +-{preset.jitter:.0%} a reply, "
        f"{preset.concurrency} in flight" + (f" (median of {repeat})" if repeat > 1 else "")
    )
    table = Table(title=title)
    columns = (
        "client",
        "wall s",
        "start s",
        "efficiency",
        "eff. after start",
        "CPU ms/req",
        "server CPU ms/req",
    )
    for name in (*columns, "requests", "ratio to floor"):
        table.add_column(name, justify="left" if name == "client" else "right")
    floor = results.get("floor")
    for client in CLIENTS:
        if client in skipped:
            table.add_row(client, *["-"] * 8, style="dim")
            continue
        r = results.get(client)
        if r is None:
            continue
        ratio = f"{r.efficiency / floor.efficiency:.2f}" if floor and floor.ok and floor.efficiency else "-"
        table.add_row(
            client + ("" if r.ok else " (!)"),
            f"{r.wall_s:.2f}",
            f"{r.start_s:.2f}",
            f"{r.efficiency:.3f}",
            f"{r.efficiency_after_start:.3f}",
            f"{r.cpu_ms_per_request:.3f}",
            f"{r.server_cpu_ms_per_request:.3f}",
            f"{r.requests:,}",
            ratio,
        )
    console = Console(width=max(Console().width, 132))
    console.print(table)
    if results:
        any_result = next(iter(results.values()))
        console.print(f"  ideal wall time (server's total latency / concurrency): {any_result.ideal_s:.2f} s")
    for note in notes:
        console.print(f"  {note}", highlight=False)
    for client, why in skipped.items():
        console.print(f"  {client}: skipped: {why}")
    for client, r in results.items():
        if r.note:
            console.print(f"  {client}: {r.note}", highlight=False)


def goals(results: dict[str, dict[str, RunResult]]) -> list[dict[str, Any]]:
    """The project's goals for rationalerm judge, each checked where its figures exist (None: no figure)."""
    checks: list[dict[str, Any]] = []

    def figure(preset: str, client: str) -> RunResult | None:
        r = results.get(preset, {}).get(client)
        return r if r is not None and r.ok else None

    def check(goal: str, value: float | None, target: float, most: bool = False) -> None:
        passed = None if value is None else (value <= target if most else value >= target)
        checks.append({"goal": goal, "value": value, "target": target, "passed": passed})

    for preset in results:
        ours, floor = figure(preset, "rationalerm"), figure(preset, "floor")
        value = ours.efficiency / floor.efficiency if ours and floor else None
        check(f"{preset}: rationalerm efficiency >= 0.90x the floor's", value, 0.90)
    if "fast" in results:
        ours, released = figure("fast", "rationalerm"), figure("fast", "released")
        value = ours.efficiency / released.efficiency if ours and released else None
        check("fast: rationalerm efficiency >= 1.5x the released script's", value, 1.5)
    for preset in results:
        ours = figure(preset, "rationalerm")
        check(
            f"{preset}: rationalerm client CPU <= 1.0 ms a request",
            ours and ours.cpu_ms_per_request,
            1.0,
            True,
        )
    return checks


def print_goals(checks: list[dict[str, Any]]) -> None:
    print(flush=True)
    for check in checks:
        verdict = {True: "PASS", False: "FAIL", None: "SKIP"}[check["passed"]]
        value = "no figure" if check["value"] is None else f"{check['value']:.2f}"
        print(f"{verdict}  {check['goal']}  ({value})")


# --------------------------------------------------------------------------------------------------------------


def unavailable_clients(args: argparse.Namespace) -> dict[str, str]:
    """Clients that cannot run here, with the reason."""
    skipped: dict[str, str] = {}
    missing = [m for m in ("openai", "tqdm") if importlib.util.find_spec(m) is None]
    if not args.anchor.is_file():
        skipped["released"] = f"{args.anchor} is absent (the released script lives in ../shared/anchors)"
    elif missing:
        skipped["released"] = f"{' and '.join(missing)} not installed (pip install openai tqdm)"
    if importlib.util.find_spec("openai") is None:
        skipped["sdk"] = "openai not installed"
    if importlib.util.find_spec("aiohttp") is None:
        skipped["floor"] = "aiohttp not installed"
    if not (BIN / "rationalerm").exists():
        skipped["rationalerm"] = f"no rationalerm entry point beside {sys.executable}"
    return skipped


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=("fast", "wide", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=1, help="runs per client; figures are medians")
    parser.add_argument(
        "--clients", default=",".join(CLIENTS), help="comma-separated subset of " + ",".join(CLIENTS)
    )
    parser.add_argument("--samples", type=int, help="override the preset's sample count")
    parser.add_argument("--concurrency", type=int, help="override the preset's requests in flight")
    parser.add_argument(
        "--seed", type=int, default=0, help="seeds the samples and the server's latency draws"
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="event loop of the clients and the server (auto: uvloop where installed)",
    )
    parser.add_argument("--anchor", type=Path, default=DEFAULT_ANCHOR, help="the released metajudge_infer.py")
    parser.add_argument(
        "--released-batch-size",
        type=int,
        help="the released script's --batch-size (default: the concurrency, as its README runs it)",
    )
    parser.add_argument("--json", type=Path, help="write every run's figures and the medians here")
    args = parser.parse_args(argv)
    args.clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    unknown = set(args.clients) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown clients: {', '.join(sorted(unknown))}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.server_uvloop = args.loop != "asyncio" and importlib.util.find_spec("uvloop") is not None
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = ("fast", "wide") if args.preset == "both" else (args.preset,)
    presets = [
        replace(
            PRESETS[n],
            samples=args.samples or PRESETS[n].samples,
            concurrency=args.concurrency or PRESETS[n].concurrency,
        )
        for n in names
    ]
    skipped = {c: why for c, why in unavailable_clients(args).items() if c in args.clients}
    clients = [c for c in args.clients if c not in skipped]
    all_runs: list[RunResult] = []
    medians: dict[str, dict[str, RunResult]] = {}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="judge-throughput-") as tmp:
        workdir = Path(tmp)
        rows = make_rows(max(p.samples for p in presets), args.seed)
        bodies = request_bodies(rows)
        for preset in presets:
            inputs = Inputs(
                workdir / f"{preset.name}.rows.jsonl", workdir / f"{preset.name}.bodies.jsonl", preset.samples
            )
            write_jsonl(inputs.rows_path, rows[: preset.samples])
            write_jsonl(inputs.bodies_path, bodies[: preset.samples])
            runs: dict[str, list[RunResult]] = {c: [] for c in clients}
            for round_ in range(args.repeat):
                order = clients if round_ % 2 == 0 else clients[::-1]
                for client in order:
                    elapsed = time.perf_counter() - began
                    print(f"[{elapsed:6.1f} s] {preset.name} round {round_ + 1}: {client}", file=sys.stderr)
                    result = run_client(client, preset, inputs, workdir, f"{preset.name}.{round_}", args)
                    runs[client].append(result)
                    all_runs.append(result)
            medians[preset.name] = {c: median_result(r) for c, r in runs.items() if r}
            notes = [f"released: --batch-size {args.released_batch_size or preset.concurrency}"]
            print_table(
                preset, medians[preset.name], skipped, args.repeat, notes if "released" in clients else []
            )
    checks = goals(medians)
    print_goals(checks)
    total_s = time.perf_counter() - began
    print(f"\nwhole run: {total_s:.0f} s", file=sys.stderr)
    if args.json:
        payload = {
            "presets": [asdict(p) for p in presets],
            "repeat": args.repeat,
            "loop": args.loop,
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
            "skipped": skipped,
            "medians": {p: {c: asdict(r) for c, r in m.items()} for p, m in medians.items()},
            "runs": [asdict(r) for r in all_runs],
            "goals": checks,
            "total_s": total_s,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
