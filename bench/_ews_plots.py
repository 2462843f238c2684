"""Plots of the early-warning benchmark (PNG in docs/)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def plot(output: dict, docs: Path) -> None:
    sweep = output["anomaly_sweep"]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    x = [row["threshold"] for row in sweep]
    ax.plot(
        x, [row["recall_30d"] or 0 for row in sweep], marker="o", label="recall (30 days ahead)"
    )
    ax.plot(x, [row["precision"] or 0 for row in sweep], marker="s", label="precision")
    for name, tier in output["tiers"].items():
        if name.startswith("all_rules"):
            ax.axhline(
                tier["recall_30d"], color="C0", ls=":", lw=1, label="all rules + model: recall"
            )
            ax.axhline(
                tier["precision"], color="C1", ls=":", lw=1, label="all rules + model: precision"
            )
    ax.set_xlabel("anomaly score threshold (model alone)")
    ax.set_ylabel("share")
    ax.set_ylim(0, 1.02)
    ax.set_title(
        f"Early warning on the simulator "
        f"(test seed {output['test_seed']}, {output['people']:,} households)"
    )
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(docs / "early-warning-pr.png")
    plt.close(fig)

    loss = output["loss"]
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    values = [loss["loss_without_monitoring_fen"] / 100, loss["loss_with_monitoring_fen"] / 100]
    bars = ax.bar(
        ["no monitoring", "rules + model + actions"], values, color=["#b0413e", "#3e7cb1"]
    )
    for bar, value in zip(bars, values, strict=True):
        ax.text(
            bar.get_x() + bar.get_width() / 2, value, f"{value:,.0f} 元", ha="center", va="bottom"
        )
    ax.set_ylabel("loss on draws made in the monitored year (yuan)")
    ax.set_title(f"Loss avoided: {loss['loss_reduction_share']:.1%} (same seed, side by side)")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(docs / "early-warning-loss.png")
    plt.close(fig)
