"""The sections of the HTML report, one function a kind of input, each adding to a :class:`Page`.

Every number shown is computed from the collected inputs (:mod:`.collect`) by :mod:`rationalerm.stats`; every plot
is drawn by :mod:`.plots`, saved as a PNG beside the page and inlined; every string from a file is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from ..data.outputs import SAMPLES_FILE, AgreementReport, EvaluateRun, compare_runs
from ..errors import InputError
from ..parse.tags import CATEGORIES, FLAWS
from ..records import OK, PreferenceSample
from ..stats.paired import PairedDifference, paired_comparisons
from ..stats.tags import CATEGORY_TITLES, FLAW_TITLES, ModelTagRates
from . import plots
from .collect import BenchResult, RAlignRow, load_input_samples, locate_input, model_result_from_summary
from .html import Safe, esc, figure, interval, num, p_value, section, table

LOW_CONSISTENCY = (
    0.25  # "right for the wrong reasons": a correct verdict with rationale consistency at most this
)
MAX_CASES = 3  # cases shown per model
_SNIPPET_CHARS = 1500  # characters of the conversation and of each response shown in a case


@dataclass(slots=True)
class Page:
    """The page being built: its sections, the PNGs written beside it, and notes."""

    output: Path
    sections: list[Safe] = field(default_factory=list)
    nav: list[tuple[str, str]] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def png_path(self, name: str) -> Path:
        path = self.output.with_name(f"{self.output.stem}-{name}.png")
        self.images.append(path)
        return path

    def add(self, anchor: str, title: str, intro: str, body: Iterable[str]) -> None:
        self.nav.append((anchor, title))
        self.sections.append(section(anchor, title, intro, body))


def _run_meta(run: EvaluateRun) -> Safe:
    p = run.provenance
    settings = p.get("matcher_settings") if isinstance(p.get("matcher_settings"), dict) else {}
    judge = settings.get("judge_model")
    parts = [
        f"input <code>{esc(p.get('input'))}</code>",
        f"matcher <b>{esc(run.matcher)}</b>{f' ({esc(judge)})' if judge else ''}",
        f"mode {esc(p.get('mode'))}",
        f"{esc(p.get('samples'))} samples",
        f"top {esc(p.get('max_model_items') or 'all')} reasons per model",
        f"{esc(p.get('bootstrap_resamples'))} bootstrap resamples",
        f"rationalerm {esc(p.get('rationalerm_version'))}",
    ]
    return Safe(f'<p class="meta">{" · ".join(parts)}</p>')


def _models_table(run: EvaluateRun) -> Safe:
    rows = []
    for m in run.models:
        rows.append(
            [
                m.get("model"),
                num(m.get("outcome_accuracy")),
                interval(m.get("outcome_accuracy_ci")),
                num(m.get("rationale_consistency")),
                interval(m.get("rationale_consistency_ci")),
                num(m.get("precision")),
                num(m.get("f1")),
                num(m.get("average_precision")),
                m.get("n"),
                m.get("parse_failed", 0),
                m.get("skipped", 0),
            ]
        )
    return table(
        [
            "model",
            "outcome acc.",
            "95% CI",
            "rationale consistency",
            "95% CI",
            "precision",
            "F1",
            "AP",
            "n",
            "failed",
            "skipped",
        ],
        rows,
    )


def _domains_table(run: EvaluateRun) -> Safe | None:
    domains = sorted({d for m in run.models for d in (m.get("by_domain") or {})})
    if not domains:
        return None
    rows = []
    for m in run.models:
        cells: list[object] = [m.get("model")]
        for domain in domains:
            d = (m.get("by_domain") or {}).get(domain)
            if not d:
                cells.append("–")
                continue
            ci = (d.get("ci") or {}).get("recall")
            cells.append(
                Safe(
                    f"{num(d.get('recall'))} <span class=meta>{esc(interval(ci, 2))} n={esc(d.get('n'))}"
                    "</span>"
                )
            )
        rows.append(cells)
    return table(["model", *domains], rows)


def _paired_section(page: Page, run: EvaluateRun, index: int, n_resamples: int, seed: int) -> list[str]:
    scores = run.sample_scores()
    ordered = {str(m["model"]): scores[str(m["model"])] for m in run.models if str(m["model"]) in scores}
    if len(ordered) < 2:
        return ['<p class="note">Fewer than two models with per-sample scores: nothing to compare.</p>']
    differences = paired_comparisons(ordered, n_resamples=n_resamples, seed=seed)
    body: list[str] = [_differences_table(differences)]
    path = page.png_path(f"run{index}-differences")
    png = plots.difference_forest(differences, path)
    body.append(
        figure(
            png,
            "paired differences in rationale consistency",
            "Filled points: the 95% interval of the difference excludes 0.",
            path.name,
        )
    )
    return body


def _differences_table(differences: Sequence[PairedDifference]) -> Safe:
    rows = []
    for d in differences:
        verdict = Safe('<span class="yes">yes</span>') if d.significant() else "no"
        rows.append(
            [
                d.model_a,
                d.model_b,
                d.n,
                num(d.mean_a),
                num(d.mean_b),
                f"{d.difference:+.3f}",
                interval(d.ci),
                p_value(d.p_value),
                p_value(d.p_adjusted),
                verdict,
            ]
        )
    return table(
        ["model A", "model B", "common samples", "A", "B", "A − B", "95% CI", "p", "p (Holm)", "significant"],
        rows,
        numeric_from=2,
    )


_LABEL_TEXT: dict[object, str] = {1: "Response 1", 2: "Response 2", 0: "tie"}


def _label_text(direction: object) -> str:
    return _LABEL_TEXT.get(direction, "unknown")


def _conversation(sample: PreferenceSample) -> str:
    parts = []
    for message in sample.context:
        if isinstance(message, Mapping):
            parts.append(f"[{message.get('role', 'user')}] {message.get('content', '')}")
    return "\n\n".join(parts)


def _cut(text: str, limit: int = _SNIPPET_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n[... {len(text) - limit} more characters]"


def _case(row: Mapping[str, Any], sample: PreferenceSample, cap: int) -> Safe:
    model = str(row.get("model"))
    judgment = sample.judgments.get(model)
    model_items = list(judgment.checklist or []) if judgment is not None else []
    raw_label = judgment.raw_label if judgment is not None else None
    matches = [(int(h), int(m), float(s)) for h, m, s in (row.get("matching") or [])]
    by_human = {h: (m, s) for h, m, s in matches}
    by_model = {m: (h, s) for h, m, s in matches if m > 0 and s > 0}
    human_html = []
    for i, text in enumerate(sample.human_checklist, start=1):
        m, s = by_human.get(i, (0, 0.0))
        matched = m > 0 and s > 0
        badge = f"matched S{m} · {s:g}" if matched else "no model reason makes this point"
        human_html.append(
            f'<li class="{"matched" if matched else ""}"><span class="idx">R{i}</span>{esc(text)}'
            f'<span class="badge">{esc(badge)}</span></li>'
        )
    model_html = []
    for j, text in enumerate(model_items, start=1):
        if cap and j > cap:
            model_html.append(
                f'<li class="uncounted"><span class="idx">S{j}</span>{esc(text)}'
                f'<span class="badge">not counted (beyond top {cap})</span></li>'
            )
            continue
        h, s = by_model.get(j, (0, 0.0))
        badge = f"matches R{h} · {s:g}" if h else "matches no human reason"
        model_html.append(
            f'<li class="{"matched" if h else ""}"><span class="idx">S{j}</span>{esc(text)}'
            f'<span class="badge">{esc(badge)}</span></li>'
        )
    details = (
        "<details><summary>Conversation and responses</summary>"
        f"<h4>Conversation</h4><pre>{esc(_cut(_conversation(sample)))}</pre>"
        f"<h4>Response 1 (A)</h4><pre>{esc(_cut(sample.response1))}</pre>"
        f"<h4>Response 2 (B)</h4><pre>{esc(_cut(sample.response2))}</pre></details>"
    )
    head = (
        f'<div class="case-head"><b>{esc(model)}</b> on sample <code>{esc(sample.id)}</code>'
        f"{f' ({esc(sample.domain)})' if sample.domain else ''}: verdict <b>correct</b> "
        f"(human prefers {esc(_label_text(sample.human_label))}, model said <code>{esc(raw_label)}</code>), "
        f"rationale consistency <b>{num(row.get('recall'), 2)}</b>, precision {num(row.get('precision'), 2)}</div>"
    )
    return Safe(
        f'<div class="case">{head}{details}<div class="cols">'
        f'<div><h4>Human reasons</h4><ul class="reasons">{"".join(human_html) or "<li>(none)</li>"}</ul></div>'
        f'<div><h4>Model reasons</h4><ul class="reasons">{"".join(model_html) or "<li>(none)</li>"}</ul></div>'
        "</div></div>"
    )


def _correct(row: Mapping[str, Any]) -> bool:
    """A scored row whose verdict agrees with the human label."""
    return row.get("status") == OK and row.get("outcome_correct") is True


def _low(row: Mapping[str, Any], threshold: float) -> bool:
    """A correct verdict with rationale consistency at most ``threshold``: right for the wrong reasons."""
    recall = row.get("recall")
    return _correct(row) and isinstance(recall, int | float) and recall <= threshold + 1e-12


def wrong_reason_cases(
    run: EvaluateRun, *, threshold: float, max_cases: int
) -> dict[str, list[dict[str, Any]]]:
    """Per model, the scored samples with a correct verdict and rationale consistency <= ``threshold``, lowest
    first (ties by id), at most ``max_cases`` each."""
    cases: dict[str, list[dict[str, Any]]] = {str(m["model"]): [] for m in run.models}
    for row in run.samples:
        if _low(row, threshold):
            cases.setdefault(str(row.get("model")), []).append(row)
    return {
        m: sorted(rows, key=lambda r: (r["recall"], str(r.get("id"))))[:max_cases]
        for m, rows in cases.items()
    }


def _cases_section(run: EvaluateRun, *, threshold: float, max_cases: int) -> list[str]:
    cases = wrong_reason_cases(run, threshold=threshold, max_cases=max_cases)
    counts = {m: sum(1 for r in run.samples if r.get("model") == m and _low(r, threshold)) for m in cases}
    correct = {m: sum(1 for r in run.samples if r.get("model") == m and _correct(r)) for m in cases}
    body: list[str] = [
        table(
            ["model", "correct verdicts (scored)", f"of which consistency ≤ {threshold:g}", "share"],
            [
                [m, correct[m], counts[m], num(counts[m] / correct[m] if correct[m] else None, 2)]
                for m in cases
            ],
        )
    ]
    if not any(cases.values()):
        body.append('<p class="note">No model has a correct verdict with low rationale consistency here.</p>')
        return body
    path = locate_input(run)
    samples = None
    if path is None:
        body.append(
            f'<p class="note">The input file <code>{esc(run.provenance.get("input"))}</code> is not '
            "available, so the reasons cannot be shown side by side; the cases are listed by id.</p>"
        )
    else:
        try:
            samples = load_input_samples(path)
        except InputError as exc:
            body.append(
                f'<p class="note">The input file could not be read ({esc(exc)}); cases listed by id.</p>'
            )
    cap = int(run.provenance.get("max_model_items") or 0)
    for model, rows in cases.items():
        if not rows:
            continue
        body.append(f"<h3>{esc(model)}</h3>")
        if samples is None:
            body.append(
                table(
                    ["sample", "domain", "rationale consistency", "precision"],
                    [
                        [r.get("id"), r.get("domain"), num(r.get("recall"), 2), num(r.get("precision"), 2)]
                        for r in rows
                    ],
                    numeric_from=2,
                )
            )
            continue
        for row in rows:
            sample = samples.get(str(row.get("id")))
            if sample is None:
                body.append(
                    f'<p class="note">Sample <code>{esc(row.get("id"))}</code> is not in the input file '
                    "any more (was it changed after the run?).</p>"
                )
            else:
                body.append(_case(row, sample, cap))
    return body


def run_sections(
    page: Page,
    run: EvaluateRun,
    index: int,
    *,
    threshold: float,
    max_cases: int,
    n_resamples: int,
    seed: int,
    several: bool,
) -> None:
    suffix = f": {run.label()}" if several else ""
    results = [model_result_from_summary(m, str(run.provenance.get("mode") or "paper")) for m in run.models]
    path = page.png_path(f"run{index}-scatter")
    png = plots.accuracy_consistency_scatter(results, path)
    page.add(
        f"run{index}",
        f"Outcome accuracy and rationale consistency{suffix}",
        "Each point is a model: how often its verdict matches the human's (x) against how much of the human's "
        "reasoning its own reasons cover (y), with 95% bootstrap intervals. Models at the same accuracy but lower "
        "consistency reach the right verdicts for other reasons than the annotators (the paper's Figure 1).",
        [
            _run_meta(run),
            figure(png, "outcome accuracy against rationale consistency", "Figure 1 view.", path.name),
            "<h3>Per model</h3>",
            _models_table(run),
        ],
    )
    domains = _domains_table(run)
    if domains is not None:
        page.add(
            f"run{index}-domains",
            f"Rationale consistency by domain{suffix}",
            "Mean rationale consistency per domain with its 95% interval and the number of scored samples. "
            "A model that is only weak in one domain shows it here.",
            [domains],
        )
    if not run.samples:
        page.notes.append(f"{run.path}: no {SAMPLES_FILE}, so no paired tests and no cases")
        return
    page.add(
        f"run{index}-tests",
        f"Is the difference real? Paired bootstrap tests{suffix}",
        "Each pair of models is compared on the samples both were scored on: the mean per-sample difference in "
        "rationale consistency, a 95% bootstrap interval and a two-sided p-value, Holm-adjusted over all pairs. "
        "An interval that excludes 0 (significant: yes) means the gap is unlikely to be sampling noise.",
        _paired_section(page, run, index, n_resamples, seed),
    )
    page.add(
        f"run{index}-cases",
        f"Right for the wrong reasons{suffix}",
        f"Samples where the model's verdict agrees with the human but its rationale consistency is at most "
        f"{threshold:g} (lowest first, at most {max_cases} per model). Green reasons are matched; the badge gives "
        "the partner and the MetaJudge score (1 = same point fully, 0.25 = same topic only). Red reasons are "
        "unmatched: human points the model never made, or model reasons the human never gave.",
        _cases_section(run, threshold=threshold, max_cases=max_cases),
    )


def agreement_sections(page: Page, runs: Sequence[EvaluateRun]) -> None:
    for (i, a), (j, b) in combinations(list(enumerate(runs, start=1)), 2):
        common = {str(m["model"]) for m in a.models} & {str(m["model"]) for m in b.models}
        if not common:
            continue
        result: AgreementReport = compare_runs(a, b)
        if not result.models:
            continue
        path = page.png_path(f"agreement-{i}-{j}")
        png = plots.agreement_scatter(
            [p["model"] for p in result.models],
            [p["a"] for p in result.models],
            [p["b"] for p in result.models],
            result.per_model,
            path,
            label_a=a.label(),
            label_b=b.label(),
        )
        stats = (
            [("per model", result.per_model)]
            + [("per sample, all models", result.per_sample)]
            + [(f"per sample, {m}", s) for m, s in result.per_sample_by_model.items()]
        )
        rows = [
            [
                name,
                s.n,
                num(s.r2),
                num(s.slope, 2),
                num(s.intercept),
                num(s.rmse),
                num(s.pearson, 2),
                num(s.spearman, 2),
            ]
            for name, s in stats
        ]
        body = [
            figure(
                png,
                "agreement scatter",
                "Dashed: y = x (perfect agreement). Red: least-squares fit.",
                path.name,
            ),
            table(["over", "n", "R²", "slope", "intercept", "RMSE", "Pearson r", "Spearman ρ"], rows),
            *(f'<p class="note">{esc(n)}</p>' for n in result.notes),
        ]
        page.add(
            f"agreement-{i}-{j}",
            f"Evaluator agreement: {a.label()} vs {b.label()}",
            "Rationale consistency of the same models as scored by two evaluators (or matchers). Points on the "
            "diagonal mean the evaluators agree; the paper found y = 0.97x + 0.00, R² = 0.983 between a weak and a "
            "strong LLM evaluator (Figure 2a). Spearman ρ says whether both rank the models the same way; the "
            "per-sample rows say how far they agree on individual samples.",
            body,
        )


def ralign_section(page: Page, rows: Sequence[RAlignRow]) -> None:
    path = page.png_path("ralign")
    png = plots.ralign_bars(
        [r.model for r in rows],
        [r.l_acc for r in rows],
        [r.f_score for r in rows],
        [r.s_corr for r in rows],
        path,
    )
    page.add(
        "ralign",
        "R-Align: label accuracy, spurious correctness, fidelity",
        "L-Acc is the share of correct verdicts; S-Corr the share of those whose rationale the MetaRM judged "
        "wrong against a golden judgment (spuriously correct); F-Score the share that is right with a sound "
        "rationale. Solid bar: F-Score; hatched: correct for the wrong reasons. All in percent.",
        [
            figure(png, "R-Align bars", "Full bar height is L-Acc.", path.name),
            table(
                ["model", "L-Acc %", "S-Corr %", "F-Score %", "n", "source"],
                [
                    [
                        r.model,
                        num(r.l_acc, 1),
                        num(r.s_corr, 1),
                        num(r.f_score, 1),
                        r.n if r.n is not None else "–",
                        Path(r.source).name,
                    ]
                    for r in rows
                ],
            ),
        ],
    )


def bench_sections(page: Page, benches: Sequence[BenchResult]) -> None:
    judgebench = [b for b in benches if b.kind == "judgebench"]
    rmbench = [b for b in benches if b.kind == "rmbench"]
    if judgebench:
        categories = list(judgebench[0].data.get("categories") or {})
        rows = [
            [
                b.name,
                *(num((b.data.get("categories") or {}).get(c), 1) for c in categories),
                Safe(f"<b>{esc(num(b.data.get('overall'), 1))}</b>"),
                b.data.get("n_pairs"),
                num(b.data.get("position_consistency"), 1),
                b.data.get("n_failed"),
            ]
            for b in judgebench
        ]
        page.add(
            "judgebench",
            "JudgeBench",
            "Outcome accuracy (percent) on JudgeBench with the official double-game rule: each pair is judged "
            "in both orders and counts as correct when the two decisions sum to the right side.",
            [table(["judge", *categories, "Overall", "pairs", "position consistency %", "failed"], rows)],
        )
    if rmbench:
        domains = ["chat", "code", "math", "safety"]
        rows = []
        for b in rmbench:
            present = b.data.get("domains") or {}
            rows.append(
                [
                    b.name,
                    *(num((present.get(d) or {}).get("score"), 1) if d in present else "–" for d in domains),
                    num(b.data.get("easy"), 1),
                    num(b.data.get("normal"), 1),
                    num(b.data.get("hard"), 1),
                    Safe(f"<b>{esc(num(b.data.get('overall'), 1))}</b>"),
                    b.data.get("n_prompts"),
                ]
            )
        notes = [
            f'<p class="note">{esc(b.name)}: missing domains {esc(", ".join(b.data["missing_domains"]))}; '
            "Overall is the mean of the domains present, not the leaderboard figure.</p>"
            for b in rmbench
            if b.data.get("missing_domains")
        ]
        page.add(
            "rmbench",
            "RM-Bench",
            "Accuracy (percent) at preferring the chosen response. Hard pairs put a plainer correct response "
            "against a more styled wrong one, so a judge swayed by style scores low on Hard.",
            [table(["judge", *domains, "easy", "normal", "hard", "Overall", "prompts"], rows), *notes],
        )


def _rate_cell(rate: Any) -> Safe:
    ci = f" <span class=meta>[{100 * rate.ci[0]:.1f}, {100 * rate.ci[1]:.1f}]</span>" if rate.ci else ""
    return Safe(f"{100 * rate.rate:.1f}%{ci}")


def tag_sections(page: Page, rates: Sequence[ModelTagRates], sources: Sequence[str]) -> None:
    usable = [r for r in rates if r.items]
    if not usable:
        page.notes.append("tag outputs hold no successfully tagged sample")
        return
    categories = {r.model: r.categories for r in usable}
    flaws = {r.model: r.flaws for r in usable}
    cat_path = page.png_path("tag-categories")
    cat_png = plots.category_bars(categories, {c: CATEGORY_TITLES[c] for c in CATEGORIES}, cat_path)
    flaw_path = page.png_path("tag-flaws")
    flaw_png = plots.flaw_bars(flaws, {f: FLAW_TITLES[f] for f in FLAWS}, flaw_path)
    page.add(
        "tags",
        "What kind of reasons? Rationale categories and flaws",
        "An LLM tagged every reason: evidence-grounded (cites something concrete in a response), "
        "criterion-grounded (a sound criterion, not located) or generic/style; and flaws such as single-sided "
        "praise or style-only arguments. Rates are shares of reasons, with 95% intervals that resample samples. "
        "The paper saw outcome-only training push single-sided praise from 17.8% to 62.0% (Figures 4-5).",
        [
            figure(cat_png, "rationale categories", "Share of reasons per category.", cat_path.name),
            table(
                ["model", *(CATEGORY_TITLES[c] for c in CATEGORIES), "samples", "reasons", "failed"],
                [
                    [
                        r.model,
                        *(_rate_cell(r.categories[c]) for c in CATEGORIES),
                        r.samples,
                        r.items,
                        r.failed,
                    ]
                    for r in usable
                ],
            ),
            figure(
                flaw_png,
                "flaw rates",
                "Share of reasons with each flaw; whiskers are 95% intervals.",
                flaw_path.name,
            ),
            table(
                ["flaw", *(r.model for r in usable)],
                [[FLAW_TITLES[f], *(_rate_cell(r.flaws[f]) for r in usable)] for f in FLAWS],
            ),
            f'<p class="meta">From {esc(", ".join(Path(s).name for s in sources))}.</p>',
        ],
    )
