"""Validation report 模型验证报告: one JSON document and one self-contained HTML page.

The JSON holds every figure (discrimination, calibration, score distribution, bad rate by band,
PSI train → test → out-of-time, feature importance, fairness per protected/group attribute);
the HTML shows the same with matplotlib plots embedded as base64 PNG, so the page needs no
network and can be stored with the model. Plot labels are English (no CJK font is assumed on
the server); the page text is bilingual.

Invariant: the HTML is rendered only from the JSON document, so the two never disagree.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from puhui.scoring import metrics
from puhui.scoring.base import dump_json
from puhui.scoring.scale import BANDS, ScoreScale


@dataclass(frozen=True)
class Sample:
    """Outcomes and predictions of one evaluation sample (train, test, out-of-time)."""

    y: npt.NDArray[np.int64]
    pd: npt.NDArray[np.float64]
    points: npt.NDArray[np.int64]
    bands: npt.NDArray[np.str_]
    #: Fairness group name → label per row.
    groups: Mapping[str, npt.NDArray] = field(default_factory=dict)


def build_report(
    *,
    model_info: Mapping[str, Any],
    samples: Mapping[str, Sample],
    scale: ScoreScale,
    policy_cutoff_points: int,
    feature_importance: Mapping[str, float],
    calibration: Mapping[str, Any],
    notes: Sequence[str] = (),
    points_table: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The report as a JSON-ready dict. ``samples`` must contain ``train`` and ``test``."""
    names = [n for n in ("train", "test", "oot") if n in samples]
    psi = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            psi[f"{a}→{b}"] = metrics.psi(samples[a].points, samples[b].points)
    held_out = [n for n in names if n != "train"]
    fairness: dict[str, dict[str, Any]] = {}
    for group in samples["test"].groups:
        fairness[group] = {
            n: metrics.fairness(
                samples[n].y, samples[n].pd, samples[n].points, samples[n].groups[group],
                policy_cutoff_points,
            )
            for n in held_out
        }  # fmt: skip
    test = metrics.summary(samples["test"].y, samples["test"].pd)
    headline = {
        "test_auc": test["auc"],
        "test_ks": test["ks"],
        "test_gini": test["gini"],
        "test_brier": test["brier"],
    }
    if "oot" in samples:
        headline["oot_auc"] = metrics.auc(samples["oot"].y, samples["oot"].pd)
    return {
        "model": dict(model_info),
        "headline": headline,
        "samples": {n: metrics.summary(samples[n].y, samples[n].pd) for n in names},
        "calibration": {
            **calibration,
            "reliability": {n: metrics.reliability(samples[n].y, samples[n].pd) for n in held_out},
        },
        "score_distribution": {
            n: metrics.histogram(samples[n].points, scale.min_points, scale.max_points)
            for n in names
        },
        "bands": {n: metrics.band_table(samples[n].y, samples[n].bands) for n in names},
        "psi": psi,
        "feature_importance": dict(sorted(feature_importance.items(), key=lambda kv: -kv[1])),
        "fairness": fairness,
        "policy_cutoff_points": policy_cutoff_points,
        "scale": scale.to_dict(),
        "notes": list(notes),
        "points_table": list(points_table) if points_table is not None else None,
    }


def _png(fig: Figure) -> str:
    # A bare Figure (no pyplot) renders with Agg and leaves no global matplotlib state behind.
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figures(report: Mapping[str, Any]) -> dict[str, str]:
    figs: dict[str, str] = {}
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    for name, rows in report["calibration"]["reliability"].items():
        ax.plot([r["pd_mean"] for r in rows], [r["default_rate"] for r in rows], "o-", label=name)
    top = max(
        [r["pd_mean"] for rows in report["calibration"]["reliability"].values() for r in rows]
        + [
            r["default_rate"]
            for rows in report["calibration"]["reliability"].values()
            for r in rows
        ]
        + [0.01]
    )
    ax.plot([0, top], [0, top], "k:", lw=1, label="perfect")
    ax.set(xlabel="mean calibrated PD", ylabel="observed default rate", title="Reliability")
    ax.legend()
    figs["reliability"] = _png(fig)

    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    for name, hist in report["score_distribution"].items():
        total = max(sum(hist["counts"]), 1)
        ax.stairs(np.asarray(hist["counts"]) / total, hist["edges"], label=name)
    ax.axvline(report["policy_cutoff_points"], color="k", ls="--", lw=1, label="cut-off")
    ax.set(xlabel="credit points", ylabel="share of people", title="Score distribution")
    ax.legend()
    figs["distribution"] = _png(fig)

    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    width = 0.8 / max(len(report["bands"]), 1)
    for k, (name, rows) in enumerate(report["bands"].items()):
        rates = [r["bad_rate"] or 0.0 for r in rows]
        ax.bar(np.arange(len(BANDS)) + k * width, rates, width, label=name)
    ax.set_xticks(np.arange(len(BANDS)) + width * (len(report["bands"]) - 1) / 2, BANDS)
    ax.set(xlabel="band", ylabel="default rate", title="Default rate by band")
    ax.legend()
    figs["bands"] = _png(fig)

    importance = list(report["feature_importance"].items())[:20]
    fig = Figure(figsize=(6, 0.3 * len(importance) + 1))
    ax = fig.subplots()
    ax.barh([k for k, _ in reversed(importance)], [v for _, v in reversed(importance)])
    ax.set(xlabel="share of importance", title="Feature importance")
    figs["importance"] = _png(fig)
    return figs


_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>模型验证报告 Validation report — {{ r.model.name }} {{ r.model.family }}</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:1100px;margin:2em auto;
color:#222;line-height:1.45} table{border-collapse:collapse;margin:.5em 0 1.2em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right} th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left} .figs img{margin:.3em;border:1px solid #eee}
.note{background:#fff8e1;padding:.5em 1em;border-left:4px solid #f0b400}
</style></head><body>
<h1>模型验证报告 Validation report</h1>
<p><b>{{ r.model.name }}</b> · {{ r.model.family }} · created {{ r.model.created_at }} ·
data sha256 <code>{{ r.model.training_data_sha256[:16] }}…</code> · seed {{ r.model.seed }}</p>
<p>特征 Features ({{ r.model.features|length }}): {{ r.model.features|join(", ") }}</p>
{% if r.model.weight_gbm is defined %}<p>融合权重 Blend weights: LightGBM
{{ "%.1f"|format(r.model.weight_gbm) }}, scorecard {{ "%.1f"|format(1 - r.model.weight_gbm) }}
(calibrated log-odds)</p>{% endif %}
{% for n in r.notes %}<p class="note">{{ n }}</p>{% endfor %}

<h2>区分能力 Discrimination</h2>
<table><tr><th>样本 sample</th><th>n</th><th>违约率 default rate</th><th>AUC</th><th>Gini</th>
<th>KS</th><th>Brier</th></tr>
{% for name, s in r.samples.items() %}<tr><td>{{ name }}</td><td>{{ s.n }}</td>
<td>{{ "%.2f%%"|format(100*s.default_rate) }}</td><td>{{ fmt(s.auc) }}</td>
<td>{{ fmt(s.gini) }}</td>
<td>{{ fmt(s.ks) }}</td><td>{{ fmt(s.brier) }}</td></tr>{% endfor %}</table>
<p>train 为拟合样本（调参、早停与交叉拟合校准都在其中完成）；test 为从未参与训练的留出样本；
oot 为最晚时间段的样本外检验。train: the rows the model was fitted on (search, early stopping
and cross-fitted calibration all happen inside them); test: held out, never seen in training;
oot: the latest period (out-of-time).</p>

<h2>校准 Calibration</h2>
<p>方法 method: <b>{{ r.calibration.method }}</b>
{% if r.calibration.cv_brier %}(cross-fitted Brier:
{% for k, v in r.calibration.cv_brier.items() %}{{ k }} {{ fmt(v, 5) }}
{%- if not loop.last %}, {% endif %}{% endfor %}){% endif %}</p>
<div class="figs"><img alt="reliability" src="data:image/png;base64,{{ figs.reliability }}">
<img alt="score distribution" src="data:image/png;base64,{{ figs.distribution }}"></div>

<h2>分数刻度与等级 Score scale and bands</h2>
<p>points = offset + factor · ln(good:bad odds), factor = PDO/ln 2; base {{ r.scale.base_points }}
points at odds {{ r.scale.base_odds }}:1, PDO {{ r.scale.pdo }}, clipped to
[{{ r.scale.min_points }}, {{ r.scale.max_points }}].
审批线 Policy cut-off: {{ r.policy_cutoff_points }}.</p>
<table><tr><th>等级 band</th>{% for name in r.bands %}<th>{{ name }} n</th><th>{{ name }} share</th>
<th>{{ name }} bad rate</th>{% endfor %}</tr>
{% for i in range(5) %}<tr><td>{{ r.bands["train"][i].band }}</td>
{% for name, rows in r.bands.items() %}<td>{{ rows[i].n }}</td>
<td>{{ "%.1f%%"|format(100*rows[i].share) }}</td>
<td>{{ pct(rows[i].bad_rate) }}</td>{% endfor %}</tr>{% endfor %}</table>
<div class="figs"><img alt="bands" src="data:image/png;base64,{{ figs.bands }}"></div>

<h2>稳定性 Stability (PSI of points)</h2>
<table><tr><th>pair</th><th>PSI</th></tr>{% for k, v in r.psi.items() %}
<tr><td>{{ k }}</td><td>{{ fmt(v) }}</td></tr>{% endfor %}</table>
<p>PSI &lt; 0.1 stable; 0.1–0.25 watch; &gt; 0.25 shifted.</p>

<h2>特征重要性 Feature importance</h2>
<div class="figs"><img alt="importance" src="data:image/png;base64,{{ figs.importance }}"></div>

<h2>公平性 Fairness</h2>
{% if not r.fairness %}<p>No protected or group attribute was configured.</p>{% endif %}
{% for group, by_sample in r.fairness.items() %}{% for sample, f in by_sample.items() %}
<h3>{{ group }} — {{ sample }}</h3>
<p>最大审批率差 max approval-rate gap at cut-off {{ r.policy_cutoff_points }}:
<b>{{ pct(f.max_approval_gap) }}</b>; lowest/highest approval ratio {{ fmt(f.approval_ratio) }}</p>
<table><tr><th>组 group</th><th>n</th><th>违约率 default rate</th><th>审批率 approval</th>
<th>差距 gap</th><th>AUC</th></tr>{% for g in f.groups %}<tr><td>{{ g.group }}</td>
<td>{{ g.n }}</td><td>{{ pct(g.default_rate) }}</td><td>{{ pct(g.approval_rate) }}</td>
<td>{{ pct(g.approval_gap) }}</td>
<td>{{ fmt(g.auc) }}</td></tr>{% endfor %}</table>{% endfor %}{% endfor %}

{% if r.points_table %}<h2>评分卡 Scorecard points per attribute</h2>
<table><tr><th>特征 feature</th><th>分箱 bin</th><th>WOE</th><th>分值 points</th></tr>
{% for row in r.points_table %}<tr><td>{{ row.feature }}</td><td>{{ row.bin }}</td>
<td>{{ fmt(row.woe) }}</td><td>{{ row.points }}</td></tr>{% endfor %}</table>{% endif %}
</body></html>
"""
)


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def render_html(report: Mapping[str, Any]) -> str:
    return _TEMPLATE.render(r=report, figs=_figures(report), fmt=_fmt, pct=_pct)


def report_json(report: Mapping[str, Any]) -> str:
    """The report as JSON text, keeping the section and sample order of the page."""
    return dump_json(report, sort_keys=False)
