"""The anomaly model 异常检测: an isolation forest over per-person monthly behaviour vectors.

Features (:data:`FEATURES`) compare a person's month with their own recent months and the
same months last year, so "unusual" means unusual *for this person*. The forest is trained
with scikit-learn's ``IsolationForest`` (seeded) on normal behaviour, then exported to a JSON
document of plain arrays — never a pickle — and scored here in numpy, tree by tree, giving the
same scores as scikit-learn (tested). Each score comes with the features that made it unusual:
the ones furthest from the training median in robust units (|x − median| / IQR).

Decision 0401 says why an isolation forest and not River's streaming half-space trees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from puhui.errors import ValidationError
from puhui.risk.profile import seen, wide

FORMAT = "puhui.isolation_forest/1"
#: (name, Chinese label) of each feature, in model order.
FEATURES: tuple[tuple[str, str], ...] = (
    ("income_vs_recent", "收入较近三月变化"),
    ("spending_vs_recent", "支出较近三月变化"),
    ("income_vs_last_year", "收入较去年同期变化"),
    ("net_outflow", "净流出比例"),
    ("bill_late_3m", "近三月缴费逾期次数"),
    ("login_drop", "登录天数减少"),
    ("transfer_share", "转出占支出比例"),
    ("device_changes_3m", "近三月换机次数"),
    ("draws_3m", "近三月支用次数"),
)
FEATURE_NAMES = tuple(name for name, _ in FEATURES)
#: Months of profile history the features read (this month, three before, and last year's).
HISTORY_MONTHS = 15
_SMOOTH_FEN = 100_000.0  # 1,000 yuan keeps ratios of small incomes from exploding


def features(profile: pd.DataFrame, persons: pd.Index, month: int) -> np.ndarray:
    """The ``persons × features`` matrix for ``month`` (a :func:`~puhui.risk.profile.month_no`)."""
    months = range(month - HISTORY_MONTHS + 1, month + 1)
    cur, prev3, ly3 = HISTORY_MONTHS - 1, slice(-4, -1), slice(0, 3)
    income = wide(profile, "income_fen", persons, months)
    spending = wide(profile, "spending_fen", persons, months)
    logins = wide(profile, "login_days", persons, months)
    late = wide(profile, "bill_late", persons, months)
    transfers = wide(profile, "transfer_out_fen", persons, months)
    devices = wide(profile, "device_changes", persons, months)
    draws = wide(profile, "draws", persons, months)
    had_last_year = seen(profile, persons, months)[:, ly3].any(axis=1)
    income_3m = income[:, -3:].sum(axis=1)
    income_ly = np.where(had_last_year, income[:, ly3].sum(axis=1), income_3m)
    s = _SMOOTH_FEN
    columns = [
        np.log((income[:, cur] + s) / (np.median(income[:, prev3], axis=1) + s)),
        np.log((spending[:, cur] + s) / (np.median(spending[:, prev3], axis=1) + s)),
        np.log((income_3m + 3 * s) / (income_ly + 3 * s)),
        (spending[:, cur] - income[:, cur]) / (spending[:, cur] + income[:, cur] + s),
        late[:, -3:].sum(axis=1),
        np.median(logins[:, prev3], axis=1) - logins[:, cur],
        transfers[:, cur] / (spending[:, cur] + s),
        devices[:, -3:].sum(axis=1),
        draws[:, -3:].sum(axis=1),
    ]
    return np.column_stack(columns).astype(np.float64)


def _average_path_length(n: np.ndarray) -> np.ndarray:
    """c(n): mean path length of an unsuccessful search in a binary tree of n points."""
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


@dataclass(frozen=True)
class AnomalyModel:
    """A trained forest as arrays (``n_trees × n_nodes``, padded) plus robust scales."""

    feature: np.ndarray  # int, −1 at a leaf
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray  # at a leaf: depth + c(samples in leaf)
    n_nodes: np.ndarray  # real nodes of each tree (the rest is padding)
    max_samples: int
    median: np.ndarray
    scale: np.ndarray
    meta: dict

    def score(self, x: np.ndarray) -> np.ndarray:
        """Anomaly score in (0, 1): about 0.5 is ordinary, near 1 is isolated quickly."""
        # scikit-learn's trees split float32 values; compare the same numbers.
        x = np.asarray(x, dtype=np.float32).astype(np.float64)
        n_rows, n_trees = len(x), self.feature.shape[0]
        trees = np.broadcast_to(np.arange(n_trees), (n_rows, n_trees))
        rows = np.broadcast_to(np.arange(n_rows)[:, None], (n_rows, n_trees))
        node = np.zeros((n_rows, n_trees), dtype=np.int64)
        for _ in range(self.feature.shape[1]):
            feat = self.feature[trees, node]
            inner = feat >= 0
            if not inner.any():
                break
            go_left = x[rows, np.where(inner, feat, 0)] <= self.threshold[trees, node]
            step = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(inner, step, node)
        depth = self.value[trees, node].mean(axis=1)
        c = _average_path_length(np.array([self.max_samples]))[0]
        return np.power(2.0, -depth / c)

    def explain(self, x: np.ndarray, top: int = 3) -> list[list[str]]:
        """For each row, the ``top`` feature names furthest from normal (robust z ≥ 1)."""
        z = np.abs((np.asarray(x, dtype=np.float64) - self.median) / self.scale)
        order = np.argsort(-z, axis=1, kind="stable")[:, :top]
        return [[FEATURE_NAMES[j] for j in row if z[i, j] >= 1.0] for i, row in enumerate(order)]

    # -- text format -------------------------------------------------------------------
    def to_json(self) -> str:
        trees = []
        for t in range(self.feature.shape[0]):
            n = int(self.n_nodes[t])
            trees.append(
                {
                    "feature": self.feature[t, :n].tolist(),
                    "threshold": self.threshold[t, :n].tolist(),
                    "left": self.left[t, :n].tolist(),
                    "right": self.right[t, :n].tolist(),
                    "value": self.value[t, :n].tolist(),
                }
            )
        document = {
            "format": FORMAT,
            "features": list(FEATURE_NAMES),
            "max_samples": self.max_samples,
            "median": self.median.tolist(),
            "scale": self.scale.tolist(),
            "meta": self.meta,
            "trees": trees,
        }
        return json.dumps(document, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AnomalyModel:
        try:
            doc = json.loads(text)
            if doc.get("format") != FORMAT or tuple(doc["features"]) != FEATURE_NAMES:
                raise ValueError("format or features differ")
            return _from_trees(doc["trees"], int(doc["max_samples"]), doc)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationError(
                "ANOMALY_MODEL_INVALID",
                "异常检测模型文件无效",
                f"the anomaly model file is not a {FORMAT} document: {exc}",
            ) from None

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AnomalyModel:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValidationError(
                "ANOMALY_MODEL_UNREADABLE",
                f"无法读取异常检测模型 {path}",
                f"cannot read anomaly model {path}: {exc.strerror}",
            ) from None
        return cls.from_json(text)


def _from_trees(trees: list[dict], max_samples: int, doc: dict) -> AnomalyModel:
    width = max(len(t["feature"]) for t in trees)

    def padded(key: str, dtype: type, fill: float) -> np.ndarray:
        out = np.full((len(trees), width), fill, dtype=dtype)
        for i, tree in enumerate(trees):
            out[i, : len(tree[key])] = tree[key]
        return out

    return AnomalyModel(
        feature=padded("feature", np.int64, -1),
        threshold=padded("threshold", np.float64, 0.0),
        left=padded("left", np.int64, 0),
        right=padded("right", np.int64, 0),
        value=padded("value", np.float64, 0.0),
        n_nodes=np.array([len(t["feature"]) for t in trees], dtype=np.int64),
        max_samples=max_samples,
        median=np.asarray(doc["median"], dtype=np.float64),
        scale=np.asarray(doc["scale"], dtype=np.float64),
        meta=dict(doc.get("meta", {})),
    )


def train(x: np.ndarray, *, seed: int, n_trees: int = 100, max_samples: int = 256) -> AnomalyModel:
    """Fit a seeded isolation forest on rows of normal behaviour and export it to arrays."""
    from sklearn.ensemble import IsolationForest

    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(FEATURES) or len(x) < 2:
        raise ValidationError(
            "ANOMALY_TRAINING_DATA",
            "训练数据的形状不对",
            f"training data must be rows × {len(FEATURES)} features with ≥ 2 rows; got {x.shape}",
        )
    forest = IsolationForest(
        n_estimators=n_trees, max_samples=min(max_samples, len(x)), random_state=seed
    ).fit(x)
    trees = []
    for estimator in forest.estimators_:
        tree = estimator.tree_
        left, right = tree.children_left, tree.children_right
        depth = np.zeros(tree.node_count, dtype=np.float64)
        for node in range(tree.node_count):  # children always come after their parent
            if left[node] >= 0:
                depth[left[node]] = depth[right[node]] = depth[node] + 1
        leaf = left < 0
        value = np.where(leaf, depth + _average_path_length(tree.n_node_samples), 0.0)
        trees.append(
            {
                "feature": np.where(leaf, -1, tree.feature).tolist(),
                "threshold": np.where(leaf, 0.0, tree.threshold).tolist(),
                "left": np.where(leaf, 0, left).tolist(),
                "right": np.where(leaf, 0, right).tolist(),
                "value": value.tolist(),
            }
        )
    median = np.median(x, axis=0)
    q75, q25 = np.percentile(x, [75, 25], axis=0)
    scale = np.where(q75 - q25 > 1e-9, q75 - q25, np.maximum(np.std(x, axis=0), 1e-3))
    doc = {
        "median": median.tolist(),
        "scale": scale.tolist(),
        "meta": {"seed": seed, "n_trees": n_trees, "rows": len(x)},
    }
    return _from_trees(trees, int(forest.max_samples_), doc)
