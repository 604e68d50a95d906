"""Shared fixtures. ``judge_server`` is a scripted OpenAI-compatible server on 127.0.0.1 (see judge_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from judge_server import JudgeServer


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
