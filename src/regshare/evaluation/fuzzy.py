"""Fuzzy comprehensive evaluation (模糊综合评价法, seed 004 五(二)3): B = W ∘ R, then the overall level.

W: indicator weights (from AHP), R: membership of each indicator in each grade (优/良/中/差 by default), one row
per indicator, obtained either from the indicator's value and grade thresholds (piecewise-linear membership)
or from a survey's distribution of answers over the grades. Four composition operators:

- ``M(·,+)``  b_j = Σ_i w_i·r_ij            weighted average, uses every indicator (the default)
- ``M(∧,∨)``  b_j = max_i min(w_i, r_ij)    main-factor decisive
- ``M(·,∨)``  b_j = max_i w_i·r_ij          main-factor prominent
- ``M(∧,⊕)``  b_j = min(1, Σ_i min(w_i, r_ij))  bounded sum

B is normalised to sum 1; the grade is the one of largest membership (maximum-membership principle, the first
on a tie) and the score is B's average of the grades' scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_GRADES: tuple[str, ...] = ("优", "良", "中", "差")
# Representative scores of the default grades on a 100-point scale (优 90–100, 良 80–90, 中 60–80, 差 < 60).
DEFAULT_SCORES: dict[str, float] = {"优": 95.0, "良": 85.0, "中": 70.0, "差": 50.0}

OPERATORS: dict[str, str] = {
    "M(·,+)": "加权平均型 M(·,+)",
    "M(∧,∨)": "主因素决定型 M(∧,∨)",
    "M(·,∨)": "主因素突出型 M(·,∨)",
    "M(∧,⊕)": "取小上界和型 M(∧,⊕)",
}
DEFAULT_OPERATOR = "M(·,+)"
# Spellings people type for the same operators (ASCII keyboards, full-width punctuation, names).
_ALIASES = {
    "m(*,+)": "M(·,+)", "m(.,+)": "M(·,+)", "weighted_average": "M(·,+)", "加权平均型": "M(·,+)",
    "m(^,v)": "M(∧,∨)", "m(min,max)": "M(∧,∨)", "min_max": "M(∧,∨)", "主因素决定型": "M(∧,∨)",
    "m(*,v)": "M(·,∨)", "m(.,v)": "M(·,∨)", "m(·,v)": "M(·,∨)", "product_max": "M(·,∨)", "主因素突出型": "M(·,∨)",
    "m(^,+)": "M(∧,⊕)", "m(min,+)": "M(∧,⊕)", "m(∧,+)": "M(∧,⊕)", "bounded_sum": "M(∧,⊕)", "取小上界和型": "M(∧,⊕)",
}
WEIGHT_TOLERANCE = 0.01


class FuzzyError(ValueError):
    """Input that cannot be evaluated; the message is for a person (Chinese)."""

    code = "fuzzy_invalid"


@dataclass
class FuzzyResult:
    result: list[float]
    grade: str
    score: float
    grades: list[str]
    scores: list[float]
    operator: str
    membership: list[list[float]]

    def as_dict(self) -> dict:
        """The command line's output (issue 15): the normalised evaluation vector, the grade and the score."""
        return {"result": self.result, "grade": self.grade, "score": self.score}


def operator_code(name: str | None) -> str:
    if name is None or name == "":
        return DEFAULT_OPERATOR
    if not isinstance(name, str):
        raise FuzzyError("合成算子须为文本,如 M(·,+)")
    text = (name.strip().replace(" ", "").replace("(", "(").replace(")", ")").replace(",", ",")
            .replace("⋅", "·").replace("•", "·"))
    key = text.lower()
    for code in OPERATORS:
        if key == code.lower():
            return code
    if key in _ALIASES:
        return _ALIASES[key]
    raise FuzzyError(f"未知的合成算子“{name[:20]}”,可选 {'、'.join(OPERATORS)}")


def _finite(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FuzzyError(f"{where}须为数字")
    return float(value)


def grades_of(raw: object) -> tuple[list[str], list[float]]:
    """Grades as names (scores from the defaults, else evenly spaced 100→0) or as {"name", "score"} objects."""
    if raw is None:
        raw = list(DEFAULT_GRADES)
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise FuzzyError("评语集(grades)须至少有两个等级,如 [\"优\", \"良\", \"中\", \"差\"]")
    names: list[str] = []
    scores: list[float | None] = []
    for k, item in enumerate(raw):
        if isinstance(item, dict):
            name, score = item.get("name"), item.get("score")
            score = None if score is None else _finite(score, f"第 {k + 1} 个等级的分值")
        else:
            name, score = item, None
        if not isinstance(name, str) or not name.strip():
            raise FuzzyError(f"第 {k + 1} 个等级须有名称")
        names.append(name.strip())
        scores.append(score if score is not None else DEFAULT_SCORES.get(name.strip()))
    if len(set(names)) != len(names):
        raise FuzzyError("评语集中等级名称重复")
    if any(s is None for s in scores):
        k = len(names)
        scores = [s if s is not None else 100 * (k - 1 - i) / (k - 1) for i, s in enumerate(scores)]
    return names, [float(s) for s in scores]


def membership_from_counts(counts: Sequence[object], k: int, where: str = "") -> list[float]:
    """A survey's answers per grade → the share of each grade."""
    if not isinstance(counts, list | tuple) or len(counts) != k:
        raise FuzzyError(f"{where}问卷分布须有 {k} 个数(每个等级的人数)")
    values = [_finite(c, f"{where}问卷人数") for c in counts]
    if any(v < 0 for v in values):
        raise FuzzyError(f"{where}问卷人数不能为负数")
    total = sum(values)
    if total <= 0:
        raise FuzzyError(f"{where}问卷有效答卷数为 0,无法计算隶属度")
    return [v / total for v in values]


def membership_from_thresholds(value: object, thresholds: Sequence[object], where: str = "") -> list[float]:
    """Piecewise-linear membership of a measured value in grades whose standard values are ``thresholds``
    (one per grade, best grade first). Ascending thresholds mean smaller is better (审批时间), descending
    mean larger is better (通过率). At or beyond the best standard: fully the best grade; between two
    standards: shared linearly between the two neighbouring grades."""
    x = _finite(value, f"{where}指标值")
    if not isinstance(thresholds, list | tuple) or len(thresholds) < 2:
        raise FuzzyError(f"{where}分级标准值须至少两个(每个等级一个)")
    points = [_finite(t, f"{where}分级标准值") for t in thresholds]
    k = len(points)
    descending = all(points[i] > points[i + 1] for i in range(k - 1))
    ascending = all(points[i] < points[i + 1] for i in range(k - 1))
    if not (descending or ascending):
        raise FuzzyError(f"{where}分级标准值须严格递增或严格递减(从最好等级到最差等级)")
    if ascending:  # smaller is better: mirror so the same rule applies
        x, points = -x, [-p for p in points]
    row = [0.0] * k
    if x >= points[0]:
        row[0] = 1.0
    elif x <= points[-1]:
        row[-1] = 1.0
    else:
        for j in range(k - 1):
            high, low = points[j], points[j + 1]
            if low <= x <= high:
                row[j] = (x - low) / (high - low)
                row[j + 1] = 1 - row[j]
                break
    return row


def membership_row(raw: object, k: int, index: int) -> list[float]:
    """One indicator's row: membership degrees, ``{"counts": [...]}`` or ``{"value": x, "thresholds": [...]}``."""
    where = f"第 {index + 1} 个指标的"
    if isinstance(raw, dict):
        if "counts" in raw:
            return membership_from_counts(raw["counts"], k, where)
        if "value" in raw and "thresholds" in raw:
            if not isinstance(raw["thresholds"], list | tuple) or len(raw["thresholds"]) != k:
                raise FuzzyError(f"{where}分级标准值须有 {k} 个(每个等级一个)")
            return membership_from_thresholds(raw["value"], raw["thresholds"], where)
        raise FuzzyError(f"{where}隶属度须为 {k} 个数,或 {{\"counts\": [...]}},或 {{\"value\": 值, \"thresholds\": [...]}}")
    if not isinstance(raw, list | tuple) or len(raw) != k:
        raise FuzzyError(f"{where}隶属度须有 {k} 个数(与评语集等级数相同)")
    row = [_finite(v, f"{where}隶属度") for v in raw]
    if any(v < 0 or v > 1 for v in row):
        raise FuzzyError(f"{where}隶属度须在 0 到 1 之间")
    return row


def compose(weights: np.ndarray, membership: np.ndarray, operator: str) -> np.ndarray:
    w = weights[:, None]
    if operator == "M(·,+)":
        return (w * membership).sum(axis=0)
    if operator == "M(∧,∨)":
        return np.minimum(w, membership).max(axis=0)
    if operator == "M(·,∨)":
        return (w * membership).max(axis=0)
    if operator == "M(∧,⊕)":
        return np.minimum(1.0, np.minimum(w, membership).sum(axis=0))
    raise FuzzyError(f"未知的合成算子“{operator}”")


def evaluate(weights: object, membership: object, grades: object = None, operator: object = None) -> FuzzyResult:
    names, scores = grades_of(grades)
    op = operator_code(operator)  # type: ignore[arg-type]
    if not isinstance(weights, list | tuple) or not weights:
        raise FuzzyError("权重(weights)须为非空数组")
    w = np.array([_finite(v, f"第 {i + 1} 个权重") for i, v in enumerate(weights)])
    if (w < 0).any():
        raise FuzzyError("权重不能为负数")
    if abs(w.sum() - 1) > WEIGHT_TOLERANCE:
        raise FuzzyError(f"权重之和须为 1(当前为 {w.sum():.4g})")
    w = w / w.sum()
    if not isinstance(membership, list | tuple) or len(membership) != len(w):
        raise FuzzyError(f"隶属度矩阵(membership)须有 {len(w)} 行,与权重个数相同")
    rows = [membership_row(row, len(names), i) for i, row in enumerate(membership)]
    r = np.array(rows)
    b = compose(w, r, op)
    total = b.sum()
    if total <= 0:
        raise FuzzyError("综合评价向量全为 0,无法确定等级(请检查隶属度)")
    b = b / total
    best = int(np.argmax(b))  # argmax returns the first maximum: the better grade on a tie
    score = float(np.dot(b, scores))
    return FuzzyResult(result=[round(float(x), 6) for x in b], grade=names[best], score=round(score, 4),
                       grades=names, scores=scores, operator=op,
                       membership=[[round(v, 6) for v in row] for row in rows])
