"""Local replicas of the Hugging Face dataset repositories rationalerm reads, and a Hub to serve them on 127.0.0.1.

Each replica has the published repository's file names, folders and dataset card (the README's ``configs:`` block
where the card has one), and a few rows with the published fields:

* ``Qwen/RationaleRM``: card config ``default`` with split ``full`` -> ``data/helpsteer3_human_checklist.jsonl``
  and split ``test`` -> ``data/helpsteer3_test_1000.jsonl`` (the card of the repository's "simplify dataset config"
  commit); the test rows add ``model-{low,high}_deceptive_alignment-{checklist,label,generated_text}``. Neither
  file carries a human preference label.
* ``nvidia/HelpSteer3``: config ``preference`` -> ``preference/train.jsonl.gz`` and
  ``preference/validation.jsonl.gz`` (``domain``, ``language``, ``context``, ``response1``, ``response2``,
  ``overall_preference``, ``individual_preference[{score, reasoning}]``).
* ``ScalerLab/JudgeBench``: no ``configs:``; ``data/gpt-00000-of-00001.jsonl`` and
  ``data/claude-00000-of-00001.jsonl`` (``datasets`` names the splits ``gpt`` and ``claude`` after them);
  ``original_id`` is a string, as in the card's example.
* ``THU-KEG/RM-Bench``: no ``configs:``; ``total_dataset.json`` at the root, a JSON array whose rows carry
  ``domain`` (split ``train``).

The HelpSteer3-Atomic rows are built from the HelpSteer3 rows (same conversation and responses), so the label
join has something to find: four match as they are, one with its responses swapped, one matches nothing.

:class:`HubReplica` serves replicas over the Hub's HTTP interface (``/api/datasets/...``, ``/datasets/.../resolve``)
on an ephemeral port: with ``HF_ENDPOINT`` pointing at it, ``datasets.load_dataset("Qwen/RationaleRM", ...)`` and
``huggingface_hub.snapshot_download`` run their real code against the replica, as they would against a mirror.
:func:`fill_hub_cache` and :func:`download_snapshot` use ``snapshot_download`` itself to lay out the hub cache and
a ``--local-dir`` snapshot folder exactly as ``huggingface_hub`` does.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import socket
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

# --------------------------------------------------------------------------------------------------------------
# Rows


def _turns(*texts: str) -> list[dict[str, str]]:
    roles = ["user", "assistant"]
    return [{"role": roles[i % 2], "content": text} for i, text in enumerate(texts)]


# (domain, language, context, response1, response2, overall_preference, split)
HELPSTEER3_PAIRS: list[tuple[str, str, list[dict[str, str]], str, str, int, str]] = [
    (
        "general",
        "english",
        _turns("When did the Peace of Westphalia end the Thirty Years' War?"),
        "It was signed in 1658 in Munster and Osnabruck.",
        "It was signed in 1648 in Munster and Osnabruck.",
        2,
        "train",
    ),
    (
        "code",
        "python",
        _turns("Write a function that returns the last element of a list.", "Sure.", "Make it safe for []."),
        "def last(xs):\n    return xs[-1] if xs else None",
        "def last(xs):\n    return xs[len(xs)]",
        -3,
        "train",
    ),
    (
        "stem",
        "english",
        _turns("What is the derivative of x^3?"),
        "3x^2",
        "x^2 / 3",
        -2,
        "validation",
    ),
    (
        "multilingual",
        "german",
        _turns("Wie heisst die Hauptstadt von Australien?"),
        "Sydney ist die Hauptstadt.",
        "Canberra ist die Hauptstadt.",
        1,
        "validation",
    ),
    (
        "general",
        "english",
        _turns("Name a prime number between 20 and 25."),
        "21 is prime.",
        "23 is prime.",
        3,
        "train",
    ),
    (
        "stem",
        "english",
        _turns("How many moons does Mars have?"),
        "Two: Phobos and Deimos.",
        "Mars has no moons.",
        0,
        "validation",
    ),
]


def helpsteer3_rows(split: str) -> list[dict[str, Any]]:
    rows = []
    for domain, language, context, first, second, preference, where in HELPSTEER3_PAIRS:
        if where != split:
            continue
        rows.append(
            {
                "domain": domain,
                "language": language,
                "context": context,
                "response1": first,
                "response2": second,
                "overall_preference": preference,
                "individual_preference": [
                    {"score": preference, "reasoning": f"@Response {1 if preference < 0 else 2} is correct."},
                    {"score": preference, "reasoning": "Checked the facts in both responses."},
                ],
            }
        )
    return rows


def _human_checklist(first: str, second: str) -> list[str]:
    return [
        f"Response 1 states '{first[:30]}', which is checked against the question.",
        f"Response 2 states '{second[:30]}', which is checked against the question.",
        "Only one of the two responses gives the correct fact.",
    ]


def _verdict(preference: int) -> str:
    return {-3: "A>>B", -2: "A>B", -1: "A>B", 0: "A=B", 1: "B>A", 2: "B>A", 3: "B>>A"}[preference]


def atomic_rows(*, with_models: bool) -> list[dict[str, Any]]:
    """HelpSteer3-Atomic rows: pairs 0-3 as HelpSteer3 has them, pair 4 with its responses swapped, and one row
    that is in no HelpSteer3 split. ``with_models``: the test file's model columns."""
    rows = []
    pairs = HELPSTEER3_PAIRS[:5]
    for index, (domain, _language, context, first, second, preference, _split) in enumerate(pairs):
        if index == 4:
            first, second, preference = second, first, -preference
        rows.append(_atomic_row(domain, context, first, second, preference, with_models))
    rows.append(
        _atomic_row("code", _turns("Reverse a string in Python."), "s[::-1]", "reversed(s)", -1, with_models)
    )
    return rows


def _atomic_row(
    domain: str, context: list[dict[str, str]], first: str, second: str, preference: int, with_models: bool
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "domain": domain,
        "context": context,
        "response1": first,
        "response2": second,
        "human-checklist": _human_checklist(first, second),
    }
    if with_models:
        right, wrong = _verdict(preference), _verdict(-preference)
        for model, verdict, reasons in (
            ("model-low_deceptive_alignment", right, _human_checklist(first, second)[:2]),
            (
                "model-high_deceptive_alignment",
                wrong,
                ["Response A is more detailed.", "Response B is nicer."],
            ),
        ):
            row[f"{model}-checklist"] = [
                r.replace("Response 1", "Response A").replace("Response 2", "Response B") for r in reasons
            ]
            row[f"{model}-label"] = verdict
            row[f"{model}-generated_text"] = f"<RESULT_START>... \\boxed{{{verdict}}}<RESULT_END>"
    return row


def judgebench_rows(split: str) -> list[dict[str, Any]]:
    model = {"gpt": "gpt-4o-2024-05-13", "claude": "claude-3-5-sonnet-20240620"}[split]
    rows = [
        ("mmlu-pro-law", "1420", "Which evidence is admissible?", "A>B"),
        ("livebench-reasoning", None, "Who sits in the third seat?", "B>A"),
        ("livecodebench", None, "Write a function that sums a list.", "A>B"),
    ]
    if split == "claude":
        rows = rows[:2]
    return [
        {
            "pair_id": hashlib.md5(f"{split}{i}".encode()).hexdigest(),
            "original_id": original_id,
            "source": source,
            "question": question,
            "response_model": model,
            "response_A": f"Reasoning for {question} ... the answer is (A).",
            "response_B": f"Other reasoning for {question} ... the answer is (B).",
            "label": label,
        }
        for i, (source, original_id, question, label) in enumerate(rows)
    ]


def rmbench_rows() -> list[dict[str, Any]]:
    domains = ["chat", "code", "math", "safety-refuse", "safety-response"]
    return [
        {
            "id": str(100 + i),
            "prompt": f"A {domain} prompt.",
            "chosen": [
                f"{domain} chosen concise",
                f"{domain} chosen detailed",
                f"**{domain}** chosen markdown",
            ],
            "rejected": [
                f"{domain} rejected concise",
                f"{domain} rejected detailed",
                f"**{domain}** rejected md",
            ],
            "domain": domain,
        }
        for i, domain in enumerate(domains)
    ]


# --------------------------------------------------------------------------------------------------------------
# Repositories


def _jsonl(rows: Iterable[Mapping[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _card(front_matter: str, title: str) -> bytes:
    return f"---\n{front_matter.strip()}\n---\n\n# {title}\n".encode()


RATIONALERM_CARD = """
license: cc-by-4.0
task_categories:
  - text-classification
  - question-answering
language:
  - en
pretty_name: RationaleRM
size_categories:
  - 10K<n<100K
configs:
  - config_name: default
    data_files:
      - split: full
        path: data/helpsteer3_human_checklist.jsonl
      - split: test
        path: data/helpsteer3_test_1000.jsonl
"""

HELPSTEER3_CARD = """
license: cc-by-4.0
language:
  - en
tags:
  - human-feedback
configs:
  - config_name: preference
    data_files:
      - split: train
        path: preference/train.jsonl.gz
      - split: validation
        path: preference/validation.jsonl.gz
"""

JUDGEBENCH_CARD = """
license: mit
task_categories:
- text-classification
language:
- en
size_categories:
- n<1K
"""

RMBENCH_CARD = """
license: odc-by
task_categories:
- text-classification
language:
- en
tags:
- reward
size_categories:
- 1K<n<10K
"""


def repo_files(repo_id: str) -> dict[str, bytes]:
    """The files of the replica of ``repo_id``, by path inside the repository."""
    if repo_id == "Qwen/RationaleRM":
        return {
            ".gitattributes": b"*.jsonl filter=lfs diff=lfs merge=lfs -text\n",
            "README.md": _card(RATIONALERM_CARD, "RationaleRM"),
            "data/helpsteer3_human_checklist.jsonl": _jsonl(atomic_rows(with_models=False)),
            "data/helpsteer3_test_1000.jsonl": _jsonl(atomic_rows(with_models=True)),
        }
    if repo_id == "nvidia/HelpSteer3":
        return {
            ".gitattributes": b"*.gz filter=lfs diff=lfs merge=lfs -text\n",
            "README.md": _card(HELPSTEER3_CARD, "HelpSteer3"),
            "preference/train.jsonl.gz": gzip.compress(_jsonl(helpsteer3_rows("train")), mtime=0),
            "preference/validation.jsonl.gz": gzip.compress(_jsonl(helpsteer3_rows("validation")), mtime=0),
        }
    if repo_id == "ScalerLab/JudgeBench":
        return {
            "README.md": _card(JUDGEBENCH_CARD, "JudgeBench: A Benchmark for Evaluating LLM-Based Judges"),
            "data/gpt-00000-of-00001.jsonl": _jsonl(judgebench_rows("gpt")),
            "data/claude-00000-of-00001.jsonl": _jsonl(judgebench_rows("claude")),
        }
    if repo_id == "THU-KEG/RM-Bench":
        return {
            "README.md": _card(RMBENCH_CARD, "RM-Bench"),
            "total_dataset.json": json.dumps(rmbench_rows(), indent=2).encode("utf-8"),
        }
    raise KeyError(repo_id)


REPOS = ("Qwen/RationaleRM", "nvidia/HelpSteer3", "ScalerLab/JudgeBench", "THU-KEG/RM-Bench")


def write_repo(repo_id: str, folder: Path, *, without: Iterable[str] = ()) -> Path:
    """The replica of ``repo_id`` written to ``folder`` (its layout as published; ``without``: files left out)."""
    skip = set(without)
    for relative, data in repo_files(repo_id).items():
        if relative in skip:
            continue
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


# --------------------------------------------------------------------------------------------------------------
# A Hub on 127.0.0.1


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class HubReplica:
    """Serves repository folders (``{repo_id: folder}``) over the parts of the Hub's HTTP interface that
    ``datasets`` and ``huggingface_hub`` use to read a dataset: repository info, tree listing, paths info, and file
    resolution (``HEAD`` for metadata, ``GET`` for content). Every request is recorded as ``(method, path)``."""

    def __init__(self, repos: Mapping[str, Path]):
        self.repos = {repo: Path(folder) for repo, folder in repos.items()}
        self.requests: list[tuple[str, str]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def __enter__(self) -> HubReplica:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    def commit(self, repo_id: str) -> str:
        """A commit hash for the folder's current content."""
        digest = hashlib.sha1(repo_id.encode())
        for relative in self._files(repo_id):
            digest.update(relative.encode() + b"\0" + (self.repos[repo_id] / relative).read_bytes())
        return digest.hexdigest()

    def _files(self, repo_id: str) -> list[str]:
        root = self.repos[repo_id]
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def _entry(self, repo_id: str, relative: str) -> dict[str, Any]:
        path = self.repos[repo_id] / relative
        if path.is_dir():
            return {"type": "directory", "oid": "0" * 40, "path": relative}
        data = path.read_bytes()
        return {"type": "file", "oid": _git_blob_id(data), "size": len(data), "path": relative}

    def _repo_of(self, rest: str) -> tuple[str, str] | None:
        for repo_id in self.repos:
            if rest == repo_id or rest.startswith(repo_id + "/"):
                return repo_id, rest[len(repo_id) + 1 :]
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        path = request.path
        for prefix, kind in (("/datasets/", "file"), ("/api/datasets/", "api")):
            if path.startswith(prefix):
                found = self._repo_of(path[len(prefix) :])
                if found is None:
                    return web.Response(status=404, headers={"X-Error-Code": "RepoNotFound"})
                repo_id, rest = found
                if kind == "file":
                    return self._resolve(request, repo_id, rest)
                return await self._api(request, repo_id, rest)
        return web.Response(status=404)

    def _resolve(self, request: web.Request, repo_id: str, rest: str) -> web.Response:
        verb, _, tail = rest.partition("/")
        _revision, _, relative = tail.partition("/")
        path = self.repos[repo_id] / relative
        if verb != "resolve" or not path.is_file():
            return web.Response(status=404, headers={"X-Error-Code": "EntryNotFound"})
        data = path.read_bytes()
        headers = {"ETag": f'"{_git_blob_id(data)}"', "X-Repo-Commit": self.commit(repo_id)}
        if request.method == "HEAD":
            return web.Response(status=200, headers={**headers, "Content-Length": str(len(data))})
        return web.Response(body=data, headers=headers)

    async def _api(self, request: web.Request, repo_id: str, rest: str) -> web.Response:
        verb, _, tail = rest.partition("/")
        if verb in ("", "revision"):
            files = self._files(repo_id)
            return web.json_response(
                {
                    "id": repo_id,
                    "sha": self.commit(repo_id),
                    "siblings": [{"rfilename": f} for f in files],
                    "private": False,
                    "disabled": False,
                    "gated": False,
                    "downloads": 0,
                    "likes": 0,
                    "tags": [],
                }
            )
        _revision, _, relative = tail.partition("/")
        root = self.repos[repo_id]
        if verb == "tree":
            base = root / relative
            if not base.is_dir():
                return web.Response(status=404, headers={"X-Error-Code": "EntryNotFound"})
            recursive = request.query.get("recursive", "").lower() in ("1", "true")
            found = sorted(base.rglob("*") if recursive else base.iterdir())
            return web.json_response([self._entry(repo_id, str(p.relative_to(root))) for p in found])
        if verb == "paths-info":
            if request.content_type == "application/json":
                paths = (await request.json()).get("paths", [])
            else:
                paths = (await request.post()).getall("paths", [])
            return web.json_response(
                [self._entry(repo_id, str(p)) for p in paths if (root / str(p)).exists()]
            )
        return web.Response(status=404)


def fill_hub_cache(hub: HubReplica, repo_id: str, cache_dir: Path) -> Path:
    """``repo_id``'s snapshot in the hub cache at ``cache_dir``, downloaded from ``hub`` by
    ``huggingface_hub.snapshot_download`` (so the cache is laid out exactly as huggingface_hub lays it out)."""
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id, repo_type="dataset", endpoint=hub.url, cache_dir=cache_dir))


def download_snapshot(hub: HubReplica, repo_id: str, folder: Path) -> Path:
    """A snapshot folder of ``repo_id``, as ``hf download REPO --repo-type dataset --local-dir DIR``
    writes it."""
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id, repo_type="dataset", endpoint=hub.url, local_dir=folder))
