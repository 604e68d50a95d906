"""The best efficiency any client could reach on a scripted server's latency sequence (shared by the benchmarks).

``efficiency = ideal / actual`` with ``ideal = total latency / concurrency`` charges a client for every idle slot,
including the ones no client can avoid: when the last requests are handed out, the other slots run dry while they
finish (with latencies jittered +/-50%, that is several percent of a run of a few seconds). This module replays the
server's own latency draws (``tests/judge_server.py`` draws one per request from ``random.Random(seed + 1)``, in
arrival order) through a zero-cost client, one that sends the next request the instant a slot frees, and reports
that client's efficiency: the ceiling a real client's figure should be read against.
"""

from __future__ import annotations

import heapq
import random


def scripted_latencies(n: int, latency: float, jitter: float, seed: int = 0) -> list[float]:
    """The first ``n`` latencies ``tests/judge_server.py --latency L --jitter J --seed S`` serves."""
    rng = random.Random(seed + 1)
    return [latency * (1 + jitter * (2 * rng.random() - 1)) for _ in range(n)]


def zero_cost_efficiency(latencies: list[float], concurrency: int) -> float:
    """ideal / makespan for a client that keeps every slot busy until the work runs out."""
    if not latencies:
        return 1.0
    slots = [0.0] * min(concurrency, len(latencies))
    for latency in latencies:
        heapq.heappush(slots, heapq.heappop(slots) + latency)
    return (sum(latencies) / concurrency) / max(slots)
