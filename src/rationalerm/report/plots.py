"""The plots of ``evaluate``, ``agree`` and the HTML report, as PNG files.

Each function draws one figure with matplotlib's headless Agg backend, writes it atomically to ``path`` and
returns the PNG bytes, so the HTML report can inline exactly the image saved beside it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..io import atomic_write_bytes

if TYPE_CHECKING:
    from ..records import ModelResult
    from ..stats.paired import Agreement, PairedDifference, Rate

_PALETTE = ("#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | os.PathLike[str]) -> bytes:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    data = buffer.getvalue()
    atomic_write_bytes(path, data)
    return data


def scatter_accuracy_consistency(
    results: Sequence[ModelResult], path: str | os.PathLike[str], *, title: str | None = None
) -> bytes:
    """Outcome accuracy (x) against rationale consistency (y), one labelled point per model with 95% CIs, in the
    spirit of the paper's Figure 1: models at the same x with different y are right for different reasons."""
    plt = _pyplot()
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
    return _save(fig, path)


accuracy_consistency_scatter = scatter_accuracy_consistency  # the report's name for the Figure 1 scatter


def ralign_bars(
    models: Sequence[str],
    l_acc: Sequence[float],
    f_score: Sequence[float],
    s_corr: Sequence[float | None],
    path: str | os.PathLike[str],
    *,
    title: str = "R-Align: L-Acc (full bar) and F-Score (solid part)",
) -> bytes:
    """R-Align's bars (percent): the full bar is L-Acc, its solid part the F-Score (right label, rationale judged
    correct), the hatched rest the label-correct answers whose rationale was judged wrong; S-Corr is printed."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(models) + 2), 4.2), dpi=120)
    positions = range(len(models))
    for i, (acc, f, s) in enumerate(zip(l_acc, f_score, s_corr, strict=True)):
        color = _PALETTE[i % len(_PALETTE)]
        ax.bar(i, f, color=color, edgecolor=color, label="F-Score" if i == 0 else None)
        ax.bar(
            i,
            max(acc - f, 0.0),
            bottom=f,
            color="white",
            edgecolor=color,
            hatch="//",
            label="L-Acc − F-Score (spuriously correct)" if i == 0 else None,
        )
        text = f"L {acc:.1f}\nF {f:.1f}" + (f"\nS-Corr {s:.1f}" if s is not None else "")
        ax.text(i, acc + 1.5, text, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(
        list(positions),
        list(models),
        rotation=20 if len(models) > 4 else 0,
        ha="right" if len(models) > 4 else "center",
    )
    ax.set_ylabel("percent of samples")
    ax.set_ylim(0, 118)
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8, frameon=False)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def category_bars(
    rates: Mapping[str, Mapping[str, Rate]],
    titles: Mapping[str, str],
    path: str | os.PathLike[str],
    *,
    title: str = "Rationale categories (share of reasons)",
) -> bytes:
    """One horizontal 100% bar per model split into categories, in the spirit of the paper's Figure 4."""
    plt = _pyplot()
    models = list(rates)
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(models) + 1.6), dpi=120)
    colors = {"evidence_grounded": "#3ca951", "criterion_grounded": "#efb118", "generic_style": "#ff725c"}
    left = [0.0] * len(models)
    for k, label in enumerate(titles):
        widths = [100 * rates[m][label].rate for m in models]
        color = colors.get(label, _PALETTE[k % len(_PALETTE)])
        ax.barh(models, widths, left=left, color=color, label=titles[label])
        for y, (x0, w) in enumerate(zip(left, widths, strict=True)):
            if w >= 6:
                ax.text(x0 + w / 2, y, f"{w:.1f}%", ha="center", va="center", fontsize=8, color="black")
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("percent of reasons")
    ax.set_title(title, fontsize=10)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.25 if len(models) < 3 else -0.12),
        ncol=len(titles),
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout()
    return _save(fig, path)


def flaw_bars(
    rates: Mapping[str, Mapping[str, Rate]],
    titles: Mapping[str, str],
    path: str | os.PathLike[str],
    *,
    title: str = "Flaw rates (share of reasons, 95% CI)",
) -> bytes:
    """Grouped bars: one group per flaw, one bar per model, with 95% interval whiskers (the paper's Figure 5)."""
    plt = _pyplot()
    models = list(rates)
    labels = list(titles)
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=120)
    width = 0.8 / max(1, len(models))
    for k, model in enumerate(models):
        xs = [i + (k - (len(models) - 1) / 2) * width for i in range(len(labels))]
        values = [100 * rates[model][label].rate for label in labels]
        lower = [
            max(0.0, v - 100 * (rates[model][label].ci or (v / 100, v / 100))[0])
            for v, label in zip(values, labels, strict=True)
        ]
        upper = [
            max(0.0, 100 * (rates[model][label].ci or (v / 100, v / 100))[1] - v)
            for v, label in zip(values, labels, strict=True)
        ]
        ax.bar(
            xs,
            values,
            width=width,
            color=_PALETTE[k % len(_PALETTE)],
            label=model,
            yerr=[lower, upper],
            capsize=2,
            error_kw={"elinewidth": 0.8},
        )
    ax.set_xticks(
        range(len(labels)), [titles[label] for label in labels], rotation=20, ha="right", fontsize=8
    )
    ax.set_ylabel("percent of reasons")
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def agreement_scatter(
    models: Sequence[str],
    a: Sequence[float],
    b: Sequence[float],
    stats: Agreement,
    path: str | os.PathLike[str],
    *,
    label_a: str,
    label_b: str,
    metric: str = "rationale consistency",
) -> bytes:
    """One point per model (run A on x, run B on y) with the y = x diagonal and the least-squares line, the paper's
    Figure 2a view; the fit's equation, R^2 and RMSE in the corner."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 5), dpi=120)
    values = [*a, *b]
    lo = min(values, default=0.0)
    hi = max(values, default=1.0)
    pad = max(0.02, 0.1 * (hi - lo))
    lo, hi = max(0.0, lo - pad), min(1.0, hi + pad) if hi <= 1 else hi + pad
    ax.plot([lo, hi], [lo, hi], color="#999999", linestyle="--", linewidth=1, label="y = x")
    if stats.slope is not None and stats.intercept is not None:
        ax.plot(
            [lo, hi],
            [stats.slope * lo + stats.intercept, stats.slope * hi + stats.intercept],
            color="#ff725c",
            linewidth=1.2,
            label="least-squares fit",
        )
    for i, (name, x, y) in enumerate(zip(models, a, b, strict=True)):
        ax.scatter([x], [y], color=_PALETTE[i % len(_PALETTE)], s=40, zorder=3)
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, 5), fontsize=8)
    parts = []
    if stats.slope is not None and stats.intercept is not None:
        parts.append(
            f"y = {stats.slope:.2f}x {'+' if stats.intercept >= 0 else '−'} {abs(stats.intercept):.3f}"
        )
    if stats.r2 is not None:
        parts.append(f"R² = {stats.r2:.3f}")
    if stats.rmse is not None:
        parts.append(f"RMSE = {stats.rmse:.3f}")
    if stats.spearman is not None:
        parts.append(f"Spearman ρ = {stats.spearman:.2f}")
    # The statistics go in the title, where they can never hide a point.
    subtitle = ", ".join(parts) or "too few models for a fit"
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel(f"{metric}: {label_a}", fontsize=9)
    ax.set_ylabel(f"{metric}: {label_b}", fontsize=9)
    ax.set_title(f"Evaluator agreement, one point per model\n{subtitle}", fontsize=10)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def difference_forest(
    differences: Sequence[PairedDifference],
    path: str | os.PathLike[str],
    *,
    title: str = "Paired differences in rationale consistency (A − B, 95% CI)",
) -> bytes:
    """One row per model pair: the mean paired difference and its interval; rows whose interval excludes 0 are
    drawn solid, the others hollow."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(differences) + 1.5), dpi=120)
    labels = [f"{d.model_a} − {d.model_b}" for d in differences]
    for y, d in enumerate(differences):
        excludes_zero = d.ci is not None and (d.ci[0] > 0 or d.ci[1] < 0)
        if d.ci is not None:
            ax.plot(list(d.ci), [y, y], color="#4269d0", linewidth=1.5)
        ax.scatter(
            [d.difference],
            [y],
            s=36,
            zorder=3,
            color="#4269d0" if excludes_zero else "white",
            edgecolors="#4269d0",
        )
    ax.axvline(0, color="#999999", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("difference in rationale consistency")
    ax.set_title(title, fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


__all__ = [
    "accuracy_consistency_scatter",
    "agreement_scatter",
    "category_bars",
    "difference_forest",
    "flaw_bars",
    "ralign_bars",
    "scatter_accuracy_consistency",
]
