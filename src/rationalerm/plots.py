"""Plots saved as PNG (matplotlib, headless)."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence

from .io import atomic_write_bytes
from .records import ModelResult


def scatter_accuracy_consistency(
    results: Sequence[ModelResult], path: str | os.PathLike[str], *, title: str | None = None
) -> None:
    """Outcome accuracy (x) against rationale consistency (y), one labelled point per model with 95% CIs, in the
    spirit of the paper's Figure 1: models at the same x with different y are right for different reasons."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [r for r in results if r.valid]
    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    for r in points:
        x = r.outcome_accuracy
        y = r.summary.recall
        if x is None:
            continue
        xerr = None
        if r.outcome_ci:
            xerr = [[max(0.0, x - r.outcome_ci[0])], [max(0.0, r.outcome_ci[1] - x)]]
        yci = r.summary.ci.get("recall")
        yerr = [[max(0.0, y - yci[0])], [max(0.0, yci[1] - y)]] if yci else None
        ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="o", markersize=8, capsize=3, alpha=0.9)
        ax.annotate(r.model, (x, y), textcoords="offset points", xytext=(7, 6), fontsize=9)
    ax.set_xlabel("Outcome accuracy")
    ax.set_ylabel("Rationale consistency")
    ax.set_title(title or "Right for the right reasons? Outcome accuracy vs rationale consistency")
    ax.grid(True, alpha=0.3)
    xs = [r.outcome_accuracy for r in points if r.outcome_accuracy is not None]
    if not xs:
        ax.text(0.5, 0.5, "no outcome labels in the input", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(bottom=0)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
