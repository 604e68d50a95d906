"""Shared fixtures. ``judge_server`` is a scripted OpenAI-compatible server on 127.0.0.1 (see judge_server.py).

Property tests draw the same examples on every run under CI (``CI`` set: the ``ci`` hypothesis profile,
derandomized), so a green run is repeatable; elsewhere they explore new examples each run, where a failure is a
finding to fix. ``HYPOTHESIS_PROFILE`` picks either.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from judge_server import JudgeServer

settings.register_profile("ci", derandomize=True)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "explore"))


@pytest.fixture
def judge_server() -> Iterator[JudgeServer]:
    """A running scripted judge; set ``judge_server.script`` to change its behaviour."""
    with JudgeServer() as server:
        yield server


@pytest.fixture(params=["asyncio", "uvloop"])
def both_event_loops(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once on each event loop ``rationalerm.aio.run`` can choose (uvloop where installed): the
    transport and the client must behave the same on both."""
    if request.param == "uvloop":
        pytest.importorskip("uvloop")
    monkeypatch.setenv("RATIONALERM_EVENT_LOOP", request.param)
    return request.param
