"""The judge's answer cache: a content-addressed sqlite file of validated answers, so that an identical request is
never paid for twice.

A request is keyed by :func:`request_key` (sha256 of its canonical JSON, without base URL or API key); only answers
that passed the caller's validation are stored, with the tokens they were billed. The file is safe to share between
processes (sqlite WAL) and survives a killed process whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .types import Usage

_CACHE_SCHEMA_VERSION = 1


def request_key(request: Mapping[str, Any]) -> str:
    """The content address of a request: sha256 of its canonical JSON. Base URL and API key are not part of a
    request, so the same question asked of the same model on another server hits the same entry."""
    canonical = json.dumps(
        {"v": _CACHE_SCHEMA_VERSION, **request}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/rationalerm/completions.sqlite`` (``~/.cache`` when unset)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "rationalerm" / "completions.sqlite"


class CompletionCache:
    """Validated answers on disk, keyed by :func:`request_key`.

    sqlite in WAL mode with ``synchronous=NORMAL``: a lookup or insert costs tens of microseconds and no fsync, so
    it runs on the event loop without stalling it; a killed process loses at most the last few entries, never the
    database. Several processes may share one file. Only answers that passed validation are stored.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS completions ("
            " key TEXT PRIMARY KEY, text TEXT NOT NULL, usage TEXT NOT NULL, model TEXT, created REAL)"
        )

    def get(self, key: str) -> tuple[str, Usage] | None:
        row = self._db.execute("SELECT text, usage FROM completions WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            usage = Usage(**json.loads(row[1]))
        except (TypeError, ValueError):
            usage = Usage()
        return row[0], usage

    def put(self, key: str, text: str, usage: Usage, model: str) -> None:
        payload = json.dumps(
            {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "cached_prompt_tokens": usage.cached_prompt_tokens,
            }
        )
        self._db.execute(
            "INSERT OR REPLACE INTO completions (key, text, usage, model, created) VALUES (?, ?, ?, ?, ?)",
            (key, text, payload, model, time.time()),
        )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    def close(self) -> None:
        self._db.close()


__all__ = ["CompletionCache", "default_cache_path", "request_key"]
