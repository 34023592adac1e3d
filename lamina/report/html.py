"""The HTML report: one self-contained page per run, readable offline (inline CSS and SVG,
images as base64 data URIs, no script, no font or stylesheet to fetch).

Sections, each a ``<section id=...>``: ``learning-curves``, ``metrics``, ``confusion-matrix``,
``diagnostics``, ``model-summary``, ``explanations``.

>>> page = render({"title": "demo", "history": {"loss": [0.5, 0.3]}, "summary": ["Model"]})
>>> page.startswith("<!DOCTYPE html>") and 'id="learning-curves"' in page
True
"""

from __future__ import annotations

import base64
import math
import os
from html import escape

from lamina.files import write_atomic
from lamina.report import svg
from lamina.report.run import REPORT_FILE, load_run

SECTIONS = (
    ("learning-curves", "Learning curves"),
    ("metrics", "Metrics"),
    ("confusion-matrix", "Confusion matrix"),
    ("diagnostics", "Diagnostics"),
    ("model-summary", "Model summary"),
    ("explanations", "Sample explanations"),
)

METHOD_NAMES = {
    "input": "input",
    "saliency": "saliency",
    "smoothgrad": "SmoothGrad",
    "integrated_gradients": "Integrated Gradients",
    "grad_cam": "Grad-CAM",
    "occlusion": "occlusion",
}

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1f2937;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { background: #111827; color: #f9fafb; padding: 22px 32px 18px; }
header h1 { margin: 0 0 6px; font-size: 22px; font-weight: 600; }
header .meta { color: #9ca3af; font-size: 13px; }
header .chips { margin-top: 12px; display: flex; flex-wrap: wrap; gap: 8px; }
.chip { background: #1f2937; border: 1px solid #374151; border-radius: 14px; padding: 3px 11px;
  font-size: 13px; color: #e5e7eb; }
.chip b { color: #fff; font-weight: 600; }
main { max-width: 1180px; margin: 0 auto; padding: 18px 24px 40px; }
nav { margin: 0 0 14px; font-size: 13px; }
nav a { color: #2563eb; margin-right: 14px; text-decoration: none; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px 20px;
  margin-bottom: 16px; }
section h2 { margin: 0 0 12px; font-size: 17px; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart { background: #fff; border: 1px solid #eef0f3; border-radius: 6px; }
.chart .grid { stroke: #eef0f3; } .chart .axis { stroke: #9ca3af; }
.chart .frame { fill: none; stroke: #d1d5db; }
.chart .tick { font-size: 11px; fill: #6b7280; } .chart .label { font-size: 11px; fill: #6b7280; }
.chart .legend { font-size: 12px; fill: #374151; }
.chart .chart-title { font-size: 13px; font-weight: 600; fill: #111827; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eef0f3; text-align: right; }
th { background: #f9fafb; font-weight: 600; color: #374151; }
td.name, th.name { text-align: left; }
table.confusion td { text-align: center; min-width: 38px; border: 1px solid #fff; }
table.confusion th { text-align: center; }
.axis-note { font-size: 12px; color: #6b7280; margin: 6px 0 0; }
.finding { border-left: 4px solid #f59e0b; background: #fffbeb; padding: 8px 12px;
  margin: 0 0 10px; border-radius: 0 6px 6px 0; }
.finding.nan, .finding.exploding_gradients, .finding.learning_rate_too_high {
  border-color: #dc2626; background: #fef2f2; }
.finding .kind { font-weight: 600; text-transform: uppercase; font-size: 12px;
  letter-spacing: .03em; }
.finding .where { color: #6b7280; font-size: 12px; margin-left: 8px; }
.finding .remedy { margin-top: 4px; color: #374151; }
.finding .remedy b { color: #111827; }
.ok { border-left: 4px solid #16a34a; background: #f0fdf4; padding: 8px 12px;
  border-radius: 0 6px 6px 0; }
.muted { color: #6b7280; }
.error { color: #b91c1c; }
pre { background: #f9fafb; border: 1px solid #eef0f3; border-radius: 6px; padding: 10px 12px;
  overflow-x: auto; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.samples { display: flex; flex-wrap: wrap; gap: 14px; }
figure.sample { margin: 0; border: 1px solid #eef0f3; border-radius: 6px; padding: 8px; }
figure.sample .row { display: flex; gap: 6px; }
figure.sample .cell { text-align: center; font-size: 11px; color: #6b7280; }
figure.sample img { display: block; width: 112px; height: 112px; image-rendering: pixelated;
  border-radius: 3px; }
figcaption { font-size: 12px; margin-top: 6px; }
figcaption .wrong { color: #dc2626; font-weight: 600; }
details summary { cursor: pointer; color: #2563eb; margin: 8px 0; }
"""


def _number(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4f}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.3e}"


def _metric_names(history: dict) -> list[str]:
    """Base metric names in the history's order (``loss`` first), each once."""
    names = []
    for key in history:
        base = key[4:] if key.startswith("val_") else key
        if base not in names and base != "learning_rate":
            names.append(base)
    return sorted(names, key=lambda n: (n != "loss",))


def _curves(history: dict) -> str:
    if not history:
        return '<p class="muted">No history recorded.</p>'
    charts = []
    for name in _metric_names(history):
        series = {k: history[k] for k in (name, f"val_{name}") if k in history}
        charts.append(svg.line_chart(series, title=name))
    if "learning_rate" in history:
        charts.append(svg.line_chart({"learning_rate": history["learning_rate"]},
                                     title="learning rate"))  # fmt: skip
    return f'<div class="charts">{"".join(charts)}</div>'


def _best(name, values):
    finite = [(v, i) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if not finite:
        return None, None
    lower = "loss" in name or "error" in name
    value, epoch = min(finite) if lower else max(finite, key=lambda p: (p[0], -p[1]))
    return value, epoch


def _metrics(history: dict) -> str:
    if not history:
        return '<p class="muted">No metrics recorded.</p>'
    rows = []
    for name in _metric_names(history):
        train, val = history.get(name, []), history.get(f"val_{name}", [])
        best, epoch = _best(name, val)
        rows.append(
            f'<tr><td class="name">{escape(name)}</td><td>{_number(train[-1] if train else None)}'
            f"</td><td>{_number(val[-1] if val else None)}</td><td>{_number(best)}</td>"
            f"<td>{'-' if epoch is None else epoch + 1}</td></tr>"
        )
    table = (
        '<table class="metrics"><thead><tr><th class="name">metric</th><th>final training</th>'
        "<th>final validation</th><th>best validation</th><th>best epoch</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    keys = list(history)
    epochs = max(len(v) for v in history.values())
    body = "".join(
        f"<tr><td>{e + 1}</td>"
        + "".join(
            f"<td>{_number(history[k][e] if e < len(history[k]) else None)}</td>" for k in keys
        )
        + "</tr>"
        for e in range(epochs)
    )
    per_epoch = (
        f"<details><summary>Every epoch ({epochs})</summary>"
        f'<table class="per-epoch"><thead><tr><th>epoch</th>'
        + "".join(f"<th>{escape(k)}</th>" for k in keys)
        + f"</tr></thead><tbody>{body}</tbody></table></details>"
    )
    return table + per_epoch


def _error(run, what) -> str:
    message = (run.get("errors") or {}).get(what)
    return f'<p class="error">Could not compute this: {escape(message)}</p>' if message else ""


def _confusion(cm) -> str:
    if not cm:
        return (
            '<p class="muted">No confusion matrix: pass validation_data=(x, y) with class '
            "labels to the Report callback.</p>"
        )
    labels, matrix = cm["labels"], cm["matrix"]
    head = "".join(f"<th>{escape(str(l))}</th>" for l in labels)
    rows = []
    for label, row in zip(labels, matrix):
        total = sum(row) or 1
        cells = []
        for j, count in enumerate(row):
            share = count / total
            correct = labels[j] == label
            hue = "22, 163, 74" if correct else "220, 38, 38"
            color = "#fff" if share > 0.55 else "#111827"
            cells.append(
                f'<td style="background: rgba({hue}, {0.08 + 0.85 * share:.2f}); color: {color}"'
                f' title="true {escape(str(label))}, predicted {escape(str(labels[j]))}: '
                f'{count} ({share:.1%} of the row)">{count}</td>'
            )
        rows.append(f"<tr><th>{escape(str(label))}</th>{''.join(cells)}</tr>")
    return (
        f'<table class="confusion"><thead><tr><th>true \\ predicted</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="axis-note">{cm["samples"]:,} validation samples, accuracy '
        f"{cm['accuracy']:.2%}. Rows: true class; columns: predicted class; colour: share of "
        "the row.</p>"
    )


def _diagnostics(run: dict) -> str:
    findings = run.get("diagnostics") or []
    parts = []
    if not run.get("diagnostics_enabled") and not findings:
        return (
            '<p class="muted">Diagnostics were not enabled for this run: add '
            "<code>lamina.callbacks.Diagnostics()</code> to the callbacks of fit.</p>"
        )
    if not findings:
        parts.append('<p class="ok">No problems found: no sign of over- or under-fitting, '
                     "vanishing or exploding gradients, dead ReLUs, a learning rate too high, "
                     "NaN or saturated units.</p>")  # fmt: skip
    for f in findings:
        kind = str(f.get("kind", ""))
        where = f"epoch {int(f.get('epoch', 0)) + 1}"
        if f.get("layer"):
            where += f", layer {f['layer']}"
        parts.append(
            f'<div class="finding {escape(kind)}"><span class="kind">'
            f"{escape(kind.replace('_', ' '))}</span>"
            f'<span class="where">{escape(where)}</span>'
            f"<div>{escape(str(f.get('message', '')))}</div>"
            f'<div class="remedy"><b>Remedy:</b> {escape(str(f.get("remedy", "")))}.</div></div>'
        )
    stats = run.get("layer_stats")
    if stats and stats.get("grad_rms"):
        layers = list(dict.fromkeys([*stats.get("grad_rms", {}), *stats.get("dead_fraction", {}),
                                     *stats.get("saturated_fraction", {})]))  # fmt: skip
        rows = "".join(
            f'<tr><td class="name">{escape(name)}</td>'
            f"<td>{_number(stats['grad_rms'].get(name))}</td>"
            f"<td>{_number(stats.get('grad_norm', {}).get(name))}</td>"
            f"<td>{_percent(stats.get('dead_fraction', {}).get(name))}</td>"
            f"<td>{_percent(stats.get('saturated_fraction', {}).get(name))}</td></tr>"
            for name in layers
        )
        parts.append(
            f"<details><summary>Per-layer statistics, epoch {int(stats.get('epoch', 0)) + 1}"
            '</summary><table class="layer-stats"><thead><tr><th class="name">layer</th>'
            "<th>gradient RMS</th><th>gradient norm</th><th>dead ReLUs</th><th>saturated</th>"
            f"</tr></thead><tbody>{rows}</tbody></table></details>"
        )
    return "".join(parts)


def _percent(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def _data_uri(run_dir, relative) -> str | None:
    path = os.path.join(run_dir, relative)
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")


def _explanations(run: dict, run_dir) -> str:
    items = run.get("explanations") or []
    if not items:
        return (
            '<p class="muted">No sample explanations: pass sample_inputs=x (or (x, y)) to the '
            "Report callback.</p>"
        )
    figures = []
    for item in items:
        caption = f"predicted <b>{escape(str(item.get('predicted')))}</b>"
        if item.get("confidence") is not None:
            caption += f" ({item['confidence']:.0%})"
        if item.get("label") is not None:
            wrong = str(item["label"]) != str(item.get("predicted"))
            cls = ' class="wrong"' if wrong else ""
            caption = f"<span{cls}>true {escape(str(item['label']))}</span>, " + caption
        cells = []
        for method, relative in (item.get("images") or {}).items():
            uri = _data_uri(run_dir, relative) if run_dir is not None else None
            if uri is None:
                cells.append(f'<div class="cell">{escape(method)}: missing file</div>')
                continue
            name = METHOD_NAMES.get(method, method)
            cells.append(f'<div class="cell"><img src="{uri}" alt="{escape(name)}">'
                         f"{escape(name)}</div>")  # fmt: skip
        for method, values in (item.get("attributions") or {}).items():
            names = item.get("features") or [f"x{j}" for j in range(len(values))]
            top = sorted(range(len(values)), key=lambda j: -abs(values[j] or 0))[:10]
            cells.append(svg.bar_chart([names[j] for j in top], [values[j] or 0 for j in top],
                                       title=METHOD_NAMES.get(method, method)))  # fmt: skip
        figures.append(f'<figure class="sample"><div class="row">{"".join(cells)}</div>'
                       f"<figcaption>{caption}</figcaption></figure>")  # fmt: skip
    return (
        f'<div class="samples">{"".join(figures)}</div><p class="axis-note">Saliency: '
        "|d score / d input|; Grad-CAM: where the last convolution's features argue for the "
        "predicted class; Integrated Gradients: red pushes towards the class, blue against.</p>"
    )


def _header(run: dict) -> str:
    history = run.get("history") or {}
    epochs = max((len(v) for v in history.values()), default=0)
    meta = [f"model {escape(str(run.get('model', '?')))}", f"{epochs} epochs"]
    if run.get("duration_s") is not None:
        meta.append(f"trained in {run['duration_s']:.1f} s")
    if run.get("created"):
        meta.append(f"written {escape(str(run['created']))}")
    chips = []
    for name in _metric_names(history):
        for key in (name, f"val_{name}"):
            values = history.get(key)
            if values:
                chips.append(f'<span class="chip">{escape(key)} <b>{_number(values[-1])}</b>'
                             "</span>")  # fmt: skip
    findings = run.get("diagnostics") or []
    if run.get("diagnostics_enabled") or findings:
        chips.append(f'<span class="chip">diagnostics <b>{len(findings)} finding'
                     f"{'' if len(findings) == 1 else 's'}</b></span>")  # fmt: skip
    return (
        f"<header><h1>{escape(str(run.get('title', 'Training report')))}</h1>"
        f'<div class="meta">{" &middot; ".join(meta)}</div>'
        f'<div class="chips">{"".join(chips)}</div></header>'
    )


def render(run: dict, run_dir=None) -> str:
    """The report page for ``run`` (what ``save_run`` returns or ``load_run`` reads); images
    are read from ``run_dir`` and embedded."""
    bodies = {
        "learning-curves": _curves(run.get("history") or {}),
        "metrics": _metrics(run.get("history") or {}),
        "confusion-matrix": _error(run, "confusion_matrix")
        + _confusion(run.get("confusion_matrix")),
        "diagnostics": _diagnostics(run),
        "model-summary": "<pre>" + escape("\n".join(run.get("summary") or [])) + "</pre>",
        "explanations": _error(run, "explanations") + _explanations(run, run_dir),
    }
    nav = "".join(f'<a href="#{sid}">{title}</a>' for sid, title in SECTIONS)
    sections = "".join(
        f'<section id="{sid}"><h2>{title}</h2>{bodies[sid]}</section>' for sid, title in SECTIONS
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(str(run.get('title', 'Training report')))}</title>"
        f"<style>{CSS}</style></head><body>{_header(run)}<main><nav>{nav}</nav>"
        f"{sections}</main></body></html>\n"
    )


def write_report(run_dir, output=None) -> str:
    """Render ``run_dir/run.json`` (and its images) to ``output`` (default
    ``run_dir/report.html``), atomically; returns the path written."""
    run_dir = os.fspath(run_dir)
    page = render(load_run(run_dir), run_dir)
    output = os.fspath(output) if output is not None else os.path.join(run_dir, REPORT_FILE)
    write_atomic(output, page.encode("utf-8"))
    return output
