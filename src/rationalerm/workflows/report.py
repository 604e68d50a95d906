"""One self-contained HTML report from the outputs of ``evaluate``, ``agree``-able run pairs, MetaRM (R-Align),
``bench`` and ``tag``: the paper's pictures for your own models, in a file that opens anywhere.

The page has no external resource: styles are inline, every plot is a base64 PNG data URI (and is also saved as a
PNG beside the HTML), and every string that came from a file (model names, reasons, paths) is HTML-escaped.

What goes in, found by :func:`collect_inputs` from folders or files:

* ``evaluate`` folders (``summary.json`` + ``samples.jsonl``): the Figure 1 scatter, per-model and per-domain
  tables, paired bootstrap tests between the models, and the "right for the wrong reasons" cases, read beside the
  input data file named in the run's provenance (skipped with a note when that file is gone). Two or more runs
  with common models also get an evaluator-agreement section (Figure 2a).
* JSON files with ``l_acc`` / ``s_corr`` / ``f_score`` (MetaRM runs): R-Align bars and a table.
* ``bench judgebench`` / ``bench rmbench`` ``--output`` JSON files: their tables.
* ``tag`` output JSONL files: rationale category shares and flaw rates with 95% intervals (Figures 4-5).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from ..compare import PairedDifference, paired_comparisons
from ..io import InputError, atomic_write_text, iter_jsonl
from ..records import MetricSummary, ModelResult, PreferenceSample
from .agree import SAMPLES_FILE, SUMMARY_FILE, AgreementReport, EvaluateRun, compare_runs, is_evaluate_summary
from .agree import load_evaluate_run as _load_run
from .tag import CATEGORIES, CATEGORY_TITLES, FLAW_TITLES, FLAWS, ModelTagRates, is_tag_record, tag_rates

LOW_CONSISTENCY = (
    0.25  # "right for the wrong reasons": a correct verdict with rationale consistency at most this
)
MAX_CASES = 3  # cases shown per model
_SNIPPET_CHARS = 1500  # characters of the conversation and of each response shown in a case


# --------------------------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True, slots=True)
class RAlignRow:
    """One model's R-Align figures in percent (``s_corr`` may be None when no verdict was valid)."""

    model: str
    l_acc: float
    s_corr: float | None
    f_score: float
    n: int | None
    source: str


@dataclass(frozen=True, slots=True)
class BenchResult:
    """A ``bench judgebench`` or ``bench rmbench`` output: ``kind`` is ``judgebench`` or ``rmbench``."""

    kind: str
    name: str
    data: dict[str, Any]


@dataclass(slots=True)
class ReportInputs:
    """Everything found in the paths given to the report, and notes about what was skipped and why."""

    runs: list[EvaluateRun] = field(default_factory=list)
    ralign: list[RAlignRow] = field(default_factory=list)
    benches: list[BenchResult] = field(default_factory=list)
    tag_records: list[dict[str, Any]] = field(default_factory=list)
    tag_sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.runs or self.ralign or self.benches or self.tag_records)


def _norm(key: str) -> str:
    return re.sub(r"[^a-z]", "", key.lower())


_RALIGN_KEYS = {
    "l_acc": ("lacc", "labelacc", "labelaccuracy"),
    "s_corr": ("scorr", "spuriouscorrectness", "spuriouscorr"),
    "f_score": ("fscore", "fidelityscore"),
}
_NAME_KEYS = ("model", "genrm", "genrmmodel", "judgedmodel", "name", "judgename", "judgemodel")


def _ralign_value(record: Mapping[str, Any], metric: str) -> tuple[float | None, bool]:
    """(value, is_percent) for ``metric`` in a record; ``*_pct`` keys are preferred and are percentages."""
    keys = {_norm(k): v for k, v in record.items()}
    for alias in _RALIGN_KEYS[metric]:
        value = keys.get(alias + "pct")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value), True
    for alias in _RALIGN_KEYS[metric]:
        value = keys.get(alias)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value), False
    return None, False


def find_ralign(data: Any, source: str, default_name: str) -> list[RAlignRow]:
    """R-Align rows anywhere in parsed JSON: a record with L-Acc and F-Score (any common spelling: ``l_acc``,
    ``label_acc``, ``L-Acc`` ...), or lists / mappings of such records (a mapping's key names its model).
    Fractions are turned into percentages."""
    found: list[RAlignRow] = []

    def visit(node: Any, name: str, depth: int) -> None:
        if depth > 3:
            return
        if isinstance(node, list):
            for item in node:
                visit(item, name, depth + 1)
            return
        if not isinstance(node, Mapping):
            return
        l_acc, l_pct = _ralign_value(node, "l_acc")
        f_score, f_pct = _ralign_value(node, "f_score")
        if l_acc is not None and f_score is not None:
            s_corr, s_pct = _ralign_value(node, "s_corr")
            keys = {_norm(k): v for k, v in node.items()}
            label = next((str(keys[k]) for k in _NAME_KEYS if isinstance(keys.get(k), str) and keys[k]), name)
            percent = l_pct or f_pct or max(l_acc, f_score, s_corr or 0.0) > 1.0

            def scale(value: float | None, is_pct: bool) -> float | None:
                return None if value is None else (value if is_pct or percent else 100.0 * value)

            n = node.get("n")
            found.append(
                RAlignRow(
                    label,
                    scale(l_acc, l_pct) or 0.0,
                    scale(s_corr, s_pct),
                    scale(f_score, f_pct) or 0.0,
                    n if isinstance(n, int) else None,
                    source,
                )
            )
            return
        for key, value in node.items():
            if isinstance(value, Mapping | list) and _norm(str(key)) not in ("bydomain", "domains"):
                visit(value, str(key) if isinstance(value, Mapping) else name, depth + 1)

    visit(data, default_name, 0)
    return found


def _bench_kind(data: Any) -> str | None:
    if not isinstance(data, Mapping):
        return None
    if isinstance(data.get("categories"), Mapping) and "n_pairs" in data and "overall" in data:
        return "judgebench"
    if (
        isinstance(data.get("domains"), Mapping)
        and "overall" in data
        and {"easy", "normal", "hard"} <= set(data)
    ):
        return "rmbench"
    return None


def _add_json(inputs: ReportInputs, path: Path) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        inputs.notes.append(f"{path}: skipped, not readable JSON ({exc})")
        return
    if is_evaluate_summary(data):
        inputs.runs.append(_load_run(path.parent))
        return
    kind = _bench_kind(data)
    if kind is not None:
        name = str(data.get("judge_name") or path.stem)
        inputs.benches.append(BenchResult(kind, name, dict(data)))
        return
    rows = find_ralign(data, str(path), path.stem)
    if rows:
        inputs.ralign.extend(rows)
        return
    inputs.notes.append(f"{path}: skipped, not an evaluate, MetaRM or bench output")


def _add_jsonl(inputs: ReportInputs, path: Path) -> None:
    rows: list[dict[str, Any]] = []
    other = 0
    for _, row in iter_jsonl(path):
        if isinstance(row, dict) and is_tag_record(row):
            rows.append(row)
        else:
            other += 1
    if rows:
        inputs.tag_records.extend(rows)
        inputs.tag_sources.append(str(path))
        if other:
            inputs.notes.append(f"{path}: {other} line(s) that are not tag records were ignored")
    else:
        inputs.notes.append(f"{path}: skipped, not a tag output")


def collect_inputs(paths: Iterable[str | os.PathLike[str]]) -> ReportInputs:
    """Classify every path: an ``evaluate`` folder (plus any other outputs inside it), or a JSON / JSONL file.
    Paths that do not exist raise :class:`InputError`; files of unknown kinds are skipped with a note."""
    inputs = ReportInputs()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            if (path / SUMMARY_FILE).is_file():
                try:
                    inputs.runs.append(_load_run(path))
                except InputError as exc:
                    inputs.notes.append(str(exc))
            others = sorted(
                p for p in path.iterdir() if p.is_file() and p.name not in (SUMMARY_FILE, SAMPLES_FILE)
            )
            for item in others:
                if item.suffix == ".json":
                    _add_json(inputs, item)
                elif item.suffix == ".jsonl":
                    _add_jsonl(inputs, item)
            if not (path / SUMMARY_FILE).is_file() and not others:
                inputs.notes.append(f"{path}: skipped, the folder holds no output")
        elif path.is_file():
            if path.suffix == ".jsonl":
                _add_jsonl(inputs, path)
            else:
                _add_json(inputs, path)
        else:
            raise InputError(f"{path}: no such file or folder")
    for run in inputs.runs:
        for problem in run.problems[:3]:
            inputs.notes.append(f"{problem} (ignored)")
    return inputs


def model_result_from_summary(entry: Mapping[str, Any], mode: str = "paper") -> ModelResult:
    """A :class:`ModelResult` rebuilt from one ``summary.json`` model entry (for the shared scatter plot)."""
    ci = {k: (float(v[0]), float(v[1])) for k, v in (entry.get("ci") or {}).items() if v and None not in v}
    n = int(entry.get("n") or 0)
    summary = MetricSummary(
        n=n,
        precision=float(entry.get("precision") or 0.0),
        recall=float(entry.get("rationale_consistency") or 0.0),
        f1=float(entry.get("f1") or 0.0),
        average_precision=float(entry.get("average_precision") or 0.0),
        ci=ci,
    )
    outcome_ci = entry.get("outcome_accuracy_ci")
    return ModelResult(
        model=str(entry.get("model")),
        mode=mode,
        summary=summary,
        valid=n,
        parse_failed=int(entry.get("parse_failed") or 0),
        skipped=int(entry.get("skipped") or 0),
        outcome_accuracy=entry.get("outcome_accuracy"),
        outcome_n=int(entry.get("outcome_n") or 0),
        outcome_ci=(float(outcome_ci[0]), float(outcome_ci[1])) if outcome_ci else None,
    )


def locate_input(run: EvaluateRun) -> Path | None:
    """The run's input data file (``provenance.input``): as recorded (absolute, or relative to the current
    folder), else relative to the run folder or its parent. None when it cannot be found."""
    recorded = run.provenance.get("input")
    if not recorded:
        return None
    path = Path(str(recorded))
    for candidate in (path, run.path / path, run.path.parent / path):
        if candidate.is_file():
            return candidate
    return None


def load_input_samples(path: Path) -> dict[str, PreferenceSample]:
    """The input's samples by id, with ids given exactly as ``evaluate`` gave them (repeats get ``#2`` ...)."""
    from .evaluate import load_samples

    samples, _, _ = load_samples(path)
    return {s.id: s for s in samples}


# --------------------------------------------------------------------------------------------------------------
# HTML helpers


class Safe(str):
    """Markup that is already HTML; everything else is escaped by :func:`esc`."""

    __slots__ = ()


def esc(value: object) -> Safe:
    if isinstance(value, Safe):
        return value
    return Safe(html.escape("" if value is None else str(value), quote=True))


def _num(value: object, digits: int = 3) -> str:
    return "–" if not isinstance(value, int | float) or isinstance(value, bool) else f"{value:.{digits}f}"


def _interval(ci: Sequence[float] | None, digits: int = 3) -> str:
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci and None not in ci else "–"


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, numeric_from: int = 1, cls: str = ""
) -> Safe:
    """An HTML table; cells are escaped unless :class:`Safe`. Columns from ``numeric_from`` on are right-aligned."""
    head = "".join(
        f"<th{' class=num' if i >= numeric_from else ''}>{esc(h)}</th>" for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f"<td{' class=num' if i >= numeric_from else ''}>{esc(c)}</td>" for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    klass = f' class="{esc(cls)}"' if cls else ""
    return Safe(
        f'<div class="scroll"><table{klass}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure(png: bytes, alt: str, caption: str, filename: str) -> Safe:
    data = base64.b64encode(png).decode("ascii")
    return Safe(
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)} <span class=file>({esc(filename)})</span></figcaption></figure>"
    )


def section(anchor: str, title: str, intro: str, body: Iterable[str]) -> Safe:
    return Safe(
        f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2><p class="intro">{esc(intro)}</p>{"".join(body)}</section>'
    )


_PLACEHOLDER_RE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def load_template() -> str:
    """The page skeleton and its styles, shipped as ``rationalerm/templates/report.html``."""
    from importlib import resources

    return resources.files("rationalerm").joinpath("templates", "report.html").read_text(encoding="utf-8")


def fill_template(template: str, **values: Safe) -> str:
    """Fill every ``{{name}}`` in one pass, so text inside a value is never read as a placeholder. Values must be
    :class:`Safe` (escaped or built from escaped parts); an unknown placeholder is a ``KeyError``."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the report template has an unknown placeholder {{{{{name}}}}}")
        return values[name]

    return _PLACEHOLDER_RE.sub(fill, template)


# --------------------------------------------------------------------------------------------------------------
# Sections


@dataclass(slots=True)
class _Page:
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
                _num(m.get("outcome_accuracy")),
                _interval(m.get("outcome_accuracy_ci")),
                _num(m.get("rationale_consistency")),
                _interval(m.get("rationale_consistency_ci")),
                _num(m.get("precision")),
                _num(m.get("f1")),
                _num(m.get("average_precision")),
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
                    f"{_num(d.get('recall'))} <span class=meta>{esc(_interval(ci, 2))} n={esc(d.get('n'))}"
                    "</span>"
                )
            )
        rows.append(cells)
    return table(["model", *domains], rows)


def _paired_section(page: _Page, run: EvaluateRun, index: int, n_resamples: int, seed: int) -> list[str]:
    scores = run.sample_scores()
    ordered = {str(m["model"]): scores[str(m["model"])] for m in run.models if str(m["model"]) in scores}
    if len(ordered) < 2:
        return ['<p class="note">Fewer than two models with per-sample scores: nothing to compare.</p>']
    differences = paired_comparisons(ordered, n_resamples=n_resamples, seed=seed)
    body: list[str] = [_differences_table(differences)]
    from ..report_plots import difference_forest

    path = page.png_path(f"run{index}-differences")
    png = difference_forest(differences, path)
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
                _num(d.mean_a),
                _num(d.mean_b),
                f"{d.difference:+.3f}",
                _interval(d.ci),
                _p(d.p_value),
                _p(d.p_adjusted),
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
        f"rationale consistency <b>{_num(row.get('recall'), 2)}</b>, precision {_num(row.get('precision'), 2)}</div>"
    )
    return Safe(
        f'<div class="case">{head}{details}<div class="cols">'
        f'<div><h4>Human reasons</h4><ul class="reasons">{"".join(human_html) or "<li>(none)</li>"}</ul></div>'
        f'<div><h4>Model reasons</h4><ul class="reasons">{"".join(model_html) or "<li>(none)</li>"}</ul></div>'
        "</div></div>"
    )


def wrong_reason_cases(
    run: EvaluateRun, *, threshold: float, max_cases: int
) -> dict[str, list[dict[str, Any]]]:
    """Per model, the scored samples with a correct verdict and rationale consistency <= ``threshold``, lowest
    first (ties by id), at most ``max_cases`` each."""
    cases: dict[str, list[dict[str, Any]]] = {str(m["model"]): [] for m in run.models}
    for row in run.samples:
        recall = row.get("recall")
        if (
            row.get("status") == "ok"
            and row.get("outcome_correct") is True
            and isinstance(recall, int | float)
            and recall <= threshold + 1e-12
        ):
            cases.setdefault(str(row.get("model")), []).append(row)
    return {
        m: sorted(rows, key=lambda r: (r["recall"], str(r.get("id"))))[:max_cases]
        for m, rows in cases.items()
    }


def _cases_section(run: EvaluateRun, *, threshold: float, max_cases: int) -> list[str]:
    cases = wrong_reason_cases(run, threshold=threshold, max_cases=max_cases)
    counts = {
        m: sum(
            1
            for r in run.samples
            if r.get("model") == m
            and r.get("status") == "ok"
            and r.get("outcome_correct") is True
            and isinstance(r.get("recall"), int | float)
            and r["recall"] <= threshold + 1e-12
        )
        for m in cases
    }
    correct = {
        m: sum(
            1
            for r in run.samples
            if r.get("model") == m and r.get("status") == "ok" and r.get("outcome_correct") is True
        )
        for m in cases
    }
    body: list[str] = [
        table(
            ["model", "correct verdicts (scored)", f"of which consistency ≤ {threshold:g}", "share"],
            [
                [m, correct[m], counts[m], _num(counts[m] / correct[m] if correct[m] else None, 2)]
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
                        [r.get("id"), r.get("domain"), _num(r.get("recall"), 2), _num(r.get("precision"), 2)]
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


def _run_sections(
    page: _Page,
    run: EvaluateRun,
    index: int,
    *,
    threshold: float,
    max_cases: int,
    n_resamples: int,
    seed: int,
    several: bool,
) -> None:
    from ..report_plots import accuracy_consistency_scatter

    suffix = f": {run.label()}" if several else ""
    results = [model_result_from_summary(m, str(run.provenance.get("mode") or "paper")) for m in run.models]
    path = page.png_path(f"run{index}-scatter")
    png = accuracy_consistency_scatter(results, path)
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


def _agreement_sections(page: _Page, runs: Sequence[EvaluateRun]) -> None:
    from ..report_plots import agreement_scatter

    for (i, a), (j, b) in combinations(list(enumerate(runs, start=1)), 2):
        common = {str(m["model"]) for m in a.models} & {str(m["model"]) for m in b.models}
        if not common:
            continue
        result: AgreementReport = compare_runs(a, b)
        if not result.models:
            continue
        path = page.png_path(f"agreement-{i}-{j}")
        png = agreement_scatter(
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
                _num(s.r2),
                _num(s.slope, 2),
                _num(s.intercept),
                _num(s.rmse),
                _num(s.pearson, 2),
                _num(s.spearman, 2),
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


def _ralign_section(page: _Page, rows: Sequence[RAlignRow]) -> None:
    from ..report_plots import ralign_bars

    path = page.png_path("ralign")
    png = ralign_bars(
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
                        _num(r.l_acc, 1),
                        _num(r.s_corr, 1),
                        _num(r.f_score, 1),
                        r.n if r.n is not None else "–",
                        Path(r.source).name,
                    ]
                    for r in rows
                ],
            ),
        ],
    )


def _bench_sections(page: _Page, benches: Sequence[BenchResult]) -> None:
    judgebench = [b for b in benches if b.kind == "judgebench"]
    rmbench = [b for b in benches if b.kind == "rmbench"]
    if judgebench:
        categories = list(judgebench[0].data.get("categories") or {})
        rows = [
            [
                b.name,
                *(_num((b.data.get("categories") or {}).get(c), 1) for c in categories),
                Safe(f"<b>{esc(_num(b.data.get('overall'), 1))}</b>"),
                b.data.get("n_pairs"),
                _num(b.data.get("position_consistency"), 1),
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
                    *(_num((present.get(d) or {}).get("score"), 1) if d in present else "–" for d in domains),
                    _num(b.data.get("easy"), 1),
                    _num(b.data.get("normal"), 1),
                    _num(b.data.get("hard"), 1),
                    Safe(f"<b>{esc(_num(b.data.get('overall'), 1))}</b>"),
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


def _tag_sections(page: _Page, rates: Sequence[ModelTagRates], sources: Sequence[str]) -> None:
    from ..report_plots import category_bars, flaw_bars

    usable = [r for r in rates if r.items]
    if not usable:
        page.notes.append("tag outputs hold no successfully tagged sample")
        return
    categories = {r.model: r.categories for r in usable}
    flaws = {r.model: r.flaws for r in usable}
    cat_path = page.png_path("tag-categories")
    cat_png = category_bars(categories, {c: CATEGORY_TITLES[c] for c in CATEGORIES}, cat_path)
    flaw_path = page.png_path("tag-flaws")
    flaw_png = flaw_bars(flaws, {f: FLAW_TITLES[f] for f in FLAWS}, flaw_path)
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


# --------------------------------------------------------------------------------------------------------------
# The page


@dataclass(frozen=True, slots=True)
class ReportResult:
    """The HTML file written, the PNGs beside it, and notes about what was skipped."""

    html: Path
    images: list[Path]
    notes: list[str]


def render_report(
    inputs: ReportInputs,
    output: str | os.PathLike[str],
    *,
    title: str = "Rationale report",
    threshold: float = LOW_CONSISTENCY,
    max_cases: int = MAX_CASES,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> ReportResult:
    """Write the HTML report for ``inputs`` to ``output`` and every plot as a PNG beside it."""
    from .. import __version__

    page = _Page(output=Path(output))
    page.output.parent.mkdir(parents=True, exist_ok=True)
    for index, run in enumerate(inputs.runs, start=1):
        _run_sections(
            page,
            run,
            index,
            threshold=threshold,
            max_cases=max_cases,
            n_resamples=n_resamples,
            seed=seed,
            several=len(inputs.runs) > 1,
        )
    _agreement_sections(page, inputs.runs)
    if inputs.ralign:
        _ralign_section(page, inputs.ralign)
    if inputs.benches:
        _bench_sections(page, inputs.benches)
    if inputs.tag_records:
        _tag_sections(
            page, tag_rates(inputs.tag_records, n_resamples=n_resamples, seed=seed), inputs.tag_sources
        )
    notes = [*inputs.notes, *page.notes]
    if notes:
        page.add(
            "notes",
            "Notes",
            "What was skipped while building this report, and why.",
            [f"<ul>{''.join(f'<li class=note>{esc(n)}</li>' for n in notes)}</ul>"],
        )
    generated = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    nav = "".join(f'<a href="#{esc(anchor)}">{esc(name)}</a>' for anchor, name in page.nav)
    document = fill_template(
        load_template(),
        title=esc(title),
        generated=esc(generated),
        version=esc(__version__),
        nav=Safe(nav),
        sections=Safe("".join(page.sections)),
    )
    atomic_write_text(page.output, document)
    for path in (page.output, *page.images):
        path.chmod(0o644)  # a report is made to be shared; atomic writes create private (0600) files
    return ReportResult(html=page.output, images=list(page.images), notes=notes)


def build_report(
    paths: Iterable[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    **options: Any,
) -> ReportResult:
    """Collect ``paths`` and write the report (see :func:`render_report` for the options). Raises
    :class:`InputError` when a path is missing or nothing usable was found."""
    inputs = collect_inputs(paths)
    if inputs.empty:
        detail = "; ".join(inputs.notes) or "no input"
        raise InputError(f"nothing to report: {detail}")
    return render_report(inputs, output, **options)


__all__ = [
    "LOW_CONSISTENCY",
    "MAX_CASES",
    "BenchResult",
    "RAlignRow",
    "ReportInputs",
    "ReportResult",
    "build_report",
    "collect_inputs",
    "find_ralign",
    "locate_input",
    "model_result_from_summary",
    "render_report",
    "wrong_reason_cases",
]
