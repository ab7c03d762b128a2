"""The risk model: LightGBM over the indicators, trained with a time-based split, explained per entity by
its feature contributions (``predict(..., pred_contrib=True)``: exact TreeSHAP values in log-odds).

Split: features as of ``train_cut`` (two years before the training day) with labels from the year after it
train the model; features as of ``holdout_cut`` (one year before) with labels from the year up to the
training day are the hold-out on which AUC, KS and precision@k are reported. The model never sees the
hold-out year. No Django here: the benchmark trains on generated tables the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from regshare.core.lazy import lazy_module

from . import indicators

np = lazy_module("numpy")

LABEL_DAYS = 365
# Shallow trees: the contributions (TreeSHAP) cost grows with leaves × depth², and every entity gets its reasons.
PARAMS = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 8, "max_depth": 4, "min_data_in_leaf": 5,
          "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0, "seed": 7,
          "deterministic": True, "force_col_wise": True, "num_threads": 2, "verbose": -1}
ROUNDS = 100
# Probability of a penalty or a listing in the next year: below A → A (低), … at or above C → D (高).
DEFAULT_LEVELS = {"A": 0.05, "B": 0.15, "C": 0.40}
PRECISION_AT = (10, 50, 100)


@dataclass
class Trained:
    booster: Any
    train_cut: dt.date
    holdout_cut: dt.date
    train_rows: int
    holdout_rows: int
    positive_rate: float
    auc: float | None
    ks: float | None
    precision_at_k: dict[str, float]
    feedback_labels: int
    params: dict = field(default_factory=dict)


def matrix(table) -> tuple[np.ndarray, np.ndarray]:
    """(entity ids, feature matrix in ``indicators.FEATURES`` order) of an indicator table."""
    ids = table.column("entity_id").to_numpy()
    x = np.column_stack([table.column(code).to_numpy(zero_copy_only=False).astype(np.float64)
                         for code in indicators.FEATURES]) if table.num_rows else np.zeros((0, len(indicators.FEATURES)))
    return ids, x


def auc_ks(y: np.ndarray, p: np.ndarray) -> tuple[float | None, float | None]:
    if len(set(y.tolist())) < 2:
        return None, None
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y, p)
    return float(roc_auc_score(y, p)), float(np.max(tpr - fpr))


def precision_at(y: np.ndarray, p: np.ndarray, k: int) -> float:
    """Share of true positives among the ``k`` highest scores (ties broken by position, stable)."""
    if not len(y):
        return 0.0
    top = np.argsort(-p, kind="stable")[:k]
    return float(y[top].mean())


def _dataset(tables: dict, cut: dt.date, bulk: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    ids, x = matrix(indicators.compute(tables, cut, bulk=bulk))
    label_table, feedback = indicators.labels(tables, cut, LABEL_DAYS, bulk=bulk)
    label_ids = label_table.column("entity_id").to_numpy()
    y = label_table.column("label").to_numpy().astype(np.int32)
    if not np.array_equal(ids, label_ids):  # both statements order the same alive entities by id
        raise ValueError("indicator and label rows differ")
    return ids, x, y, feedback


def train(tables: dict, today: dt.date, *, rounds: int = ROUNDS, bulk: bool = False) -> Trained:
    import lightgbm as lgb

    train_cut = today - dt.timedelta(days=2 * LABEL_DAYS)
    holdout_cut = today - dt.timedelta(days=LABEL_DAYS)
    _ids, x_train, y_train, feedback_train = _dataset(tables, train_cut, bulk)
    _hold_ids, x_hold, y_hold, feedback_hold = _dataset(tables, holdout_cut, bulk)
    if len(set(y_train.tolist())) < 2:
        raise ValueError("训练样本中没有足够的正负样本(训练截止日后一年内无处罚或列入名单记录),无法训练模型")
    params = {**PARAMS, "min_data_in_leaf": max(5, min(100, len(y_train) // 200))}
    data = lgb.Dataset(x_train, label=y_train, feature_name=indicators.FEATURES, free_raw_data=True)
    booster = lgb.train(params, data, num_boost_round=rounds)
    p_hold = booster.predict(x_hold) if len(x_hold) else np.zeros(0)
    auc, ks = auc_ks(y_hold, p_hold)
    return Trained(booster=booster, train_cut=train_cut, holdout_cut=holdout_cut, train_rows=len(y_train),
                   holdout_rows=len(y_hold), positive_rate=float(y_hold.mean()) if len(y_hold) else 0.0, auc=auc,
                   ks=ks, precision_at_k={str(k): precision_at(y_hold, p_hold, k) for k in PRECISION_AT},
                   feedback_labels=feedback_train + feedback_hold, params={**params, "rounds": rounds})


def predict(booster: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and per-feature contributions (log-odds; the last column, the base value, dropped).

    Contributions (TreeSHAP) are the expensive part and a function of the feature row alone, and most entities
    share their row with many others (no records, the same age to the tenth of a year): they are computed once
    per distinct row and spread back."""
    if not len(x):
        return np.zeros(0), np.zeros((0, x.shape[1]))
    rows = np.ascontiguousarray(x).view(np.dtype((np.void, x.dtype.itemsize * x.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    distinct = x[first]
    contributions = booster.predict(distinct, pred_contrib=True)
    probability = 1 / (1 + np.exp(-contributions.sum(axis=1)))
    return probability[inverse.ravel()], contributions[inverse.ravel(), :-1]


def top_features(contributions: np.ndarray, top: int = 3) -> np.ndarray:
    """For every entity at once, the columns of its ``top`` largest contributions, largest first."""
    if not len(contributions):
        return np.zeros((0, top), dtype=np.int64)
    part = np.argpartition(-contributions, min(top, contributions.shape[1] - 1), axis=1)[:, :top]
    order = np.argsort(-np.take_along_axis(contributions, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def reasons(x_row: np.ndarray, contribution_row: np.ndarray, top: int = 3) -> list[dict]:
    """The features that raised the score most, in Chinese with the value and the contribution."""
    order = np.argsort(-contribution_row, kind="stable")[:top]
    return [{"code": indicators.FEATURES[j], "text": indicators.describe(indicators.FEATURES[j], float(x_row[j])),
             "contribution": round(float(contribution_row[j]), 4)} for j in order if contribution_row[j] > 0.01]


def levels(probability: np.ndarray, limits: dict[str, float] | None = None) -> np.ndarray:
    limits = {**DEFAULT_LEVELS, **(limits or {})}
    return np.select([probability < limits["A"], probability < limits["B"], probability < limits["C"]],
                     ["A", "B", "C"], "D")


def rule_hits(x: np.ndarray, rules: list[tuple[str, float]]) -> np.ndarray:
    """A boolean matrix: entity i meets rule j (indicator at or above its threshold)."""
    columns = [x[:, indicators.FEATURES.index(code)] >= threshold for code, threshold in rules]
    return np.column_stack(columns) if columns else np.zeros((len(x), 0), dtype=bool)


def rules_only_score(x: np.ndarray, rules: list[tuple[str, float]], weights: list[float]) -> np.ndarray:
    """The baseline without a model: the weighted count of rules met."""
    hits = rule_hits(x, rules)
    return hits.astype(np.float64) @ np.asarray(weights, dtype=np.float64) if hits.shape[1] else np.zeros(len(x))
