"""Plots of the early-warning benchmark (PNG in docs/)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _pr(ax, output: dict) -> None:
    dpd = output["days_past_due_sweep"]
    ax.plot(
        [r["recall_30d"] for r in dpd],
        [r["precision"] for r in dpd],
        marker="o",
        label="overdue rule, days-past-due threshold",
    )
    for row in dpd:
        ax.annotate(f"D+{row['days_past_due']}", (row["recall_30d"], row["precision"]), fontsize=7)
    sweep = [r for r in output["anomaly_sweep"] if r["precision"] is not None]
    ax.plot(
        [r["recall_30d"] for r in sweep],
        [r["precision"] for r in sweep],
        marker="s",
        label="anomaly model alone, score threshold 0.62-0.75",
    )
    for name, tier in output["tiers"].items():
        ax.scatter(tier["recall_30d"], tier["precision"], marker="^", zorder=3)
        ax.annotate(name, (tier["recall_30d"], tier["precision"]), fontsize=7)
    ax.axvline(0.6, color="grey", ls=":", lw=1)
    ax.axhline(0.2, color="grey", ls=":", lw=1, label="target: recall 60 %, precision 20 %")
    ax.set_xlabel("recall: 90+ DPD draws alerted >= 30 days before")
    ax.set_ylabel("precision: alerted draws that reach 90+ DPD")
    ax.set_xlim(-0.02, 1.05)
    ax.set_ylim(0, max(0.6, max(r["precision"] for r in dpd) + 0.05))
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)


def plot(output: dict, docs: Path) -> None:
    fig, ax = plt.subplots(figsize=(7.5, 5), dpi=110)
    _pr(ax, output)
    ax.set_title(
        f"Early warning, test county seed {output['test_seed']} ({output['people']:,} households), "
        "monitored year"
    )
    fig.tight_layout()
    fig.savefig(docs / "early-warning-pr.png")
    plt.close(fig)

    loss = output["loss"]
    fig, ax = plt.subplots(figsize=(6.5, 3.8), dpi=110)
    values = [loss["loss_without_monitoring_fen"] / 100, loss["loss_with_monitoring_fen"] / 100]
    labels = ["no monitoring", "rules + model + actions"]
    bars = ax.bar(labels, values, color=["#b0413e", "#3e7cb1"])
    for bar, value in zip(bars, values, strict=True):
        ax.text(
            bar.get_x() + bar.get_width() / 2, value, f"{value:,.0f} yuan", ha="center", va="bottom"
        )
    ax.set_ylabel("loss on draws made in the monitored year (yuan)")
    ax.set_title(f"Loss avoided: {loss['loss_reduction_share']:.1%} (same seed, side by side)")
    ax.set_ylim(0, max(values) * 1.15)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(docs / "early-warning-loss.png")
    plt.close(fig)
