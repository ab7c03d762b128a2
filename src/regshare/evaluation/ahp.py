"""Analytic hierarchy process (层次分析法, seed 004 五(二)3): weights of one pairwise-comparison matrix.

Weights are the principal (Perron) eigenvector of the matrix, normalised to sum 1; λmax is its eigenvalue,
CI = (λmax − n)/(n − 1), CR = CI / RI(n) with RI from the selected table, recorded with every result because
the two tables in use (Saaty's and the Chinese textbook one) give different CRs for the same matrix. A matrix
with CR ≥ 0.1 is refused, naming the judgement that departs most from the weights it implies and the value on
Saaty's 1–9 scale that would bring CR under 0.1. Several experts' matrices are combined element by element by
their geometric mean (which keeps the matrix reciprocal).

Pure functions over numpy; no Django here, so the command line and the services share them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

CR_LIMIT = 0.1

# Random consistency index RI by matrix order n (index n-1). Saaty (1980) and the table in Chinese textbooks
# (许树柏《层次分析法原理》, 1000 random matrices per order); both stop at order 15.
RI_TABLES: dict[str, tuple[float, ...]] = {
    "saaty": (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59),
    "cn": (0, 0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49, 1.52, 1.54, 1.56, 1.58, 1.59),
}
RI_TABLE_LABELS = {"saaty": "Saaty 随机一致性指标表", "cn": "国内常用随机一致性指标表(许树柏)"}
DEFAULT_RI_TABLE = "saaty"
MAX_ORDER = len(RI_TABLES["saaty"])

# Saaty's 1–9 scale and reciprocals: the values a judgement may take and a suggestion is chosen from.
SCALE: tuple[float, ...] = tuple(sorted({float(k) for k in range(1, 10)} | {1 / k for k in range(2, 10)}))
SCALE_MIN, SCALE_MAX = 1 / 9, 9.0
# Judgements typed as decimals (0.33 for 1/3, 0.143 for 1/7) are reciprocal within this relative tolerance.
RECIPROCAL_TOLERANCE = 0.02


_JUDGEMENT_TEXT = re.compile(r"^\s*\d{1,4}(\.\d{1,8})?(\s*/\s*\d{1,4}(\.\d{1,8})?)?\s*$")


class AhpError(ValueError):
    """Input that is not a usable pairwise-comparison matrix; the message is for a person (Chinese)."""

    code = "ahp_invalid"


@dataclass
class Inconsistent(AhpError):
    """CR ≥ 0.1: the matrix is refused; ``worst`` is (row, column), 0-based, upper triangle."""

    message: str
    cr: float
    ci: float
    lambda_max: float
    ri_table: str
    worst: tuple[int, int]
    current: float
    suggested: float
    cr_after: float
    code: str = "ahp_inconsistent"

    def __str__(self) -> str:
        return self.message


@dataclass
class AhpResult:
    weights: list[float]
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    n: int
    criteria: list[str] = field(default_factory=list)
    matrix: list[list[float]] = field(default_factory=list)
    experts: int = 1
    expert_crs: list[float] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The command line's output (SPEC §8 / issue 15): weights, λmax, CI, CR and the RI table used."""
        return {"weights": self.weights, "lambda_max": self.lambda_max, "ci": self.ci, "cr": self.cr,
                "ri_table": self.ri_table}


def _number(value: object, where: str) -> float:
    """A judgement as given: a number, or text such as "3" or "1/5" (how experts write reciprocals)."""
    if isinstance(value, bool):
        raise AhpError(f"{where}的值 {value!r} 不是数字")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        # Digits, a point and one slash only: Fraction would also take "1e999999999" and build that integer.
        if not _JUDGEMENT_TEXT.match(value):
            raise AhpError(f"{where}的值“{value[:20]}”不是数字或分数(如 3、1/5)")
        try:
            number = float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError) as exc:
            raise AhpError(f"{where}的值“{value[:20]}”不是数字或分数(如 3、1/5)") from exc
    else:
        raise AhpError(f"{where}的值不是数字")
    if not math.isfinite(number) or number <= 0:
        raise AhpError(f"{where}的值 {value} 须为正数")
    return number


def _name(criteria: Sequence[str], i: int) -> str:
    return f"“{criteria[i]}”" if criteria else f"第 {i + 1} 项"


def parse_matrix(raw: object, criteria: Sequence[str] = ()) -> np.ndarray:
    """Validate a pairwise-comparison matrix: square, order 1–15, positive, diagonal 1, reciprocal, on the
    1–9 scale. Every refusal says which cell, in Chinese."""
    if not isinstance(raw, list | tuple) or not raw:
        raise AhpError("判断矩阵须为非空的二维数组,如 [[1, 3], [1/3, 1]]")
    n = len(raw)
    if n > MAX_ORDER:
        raise AhpError(f"判断矩阵阶数为 {n},超过随机一致性指标表的上限 {MAX_ORDER} 阶,请分层构造")
    if criteria and len(criteria) != n:
        raise AhpError(f"指标名称有 {len(criteria)} 个,与判断矩阵阶数 {n} 不一致")
    matrix = np.ones((n, n))
    for i, row in enumerate(raw):
        if not isinstance(row, list | tuple) or len(row) != n:
            raise AhpError(f"判断矩阵须为方阵:第 {i + 1} 行应有 {n} 个元素")
        for j, value in enumerate(row):
            matrix[i, j] = _number(value, f"第 {i + 1} 行第 {j + 1} 列")
    for i in range(n):
        if abs(matrix[i, i] - 1) > 1e-9:
            raise AhpError(f"判断矩阵对角线元素须为 1:第 {i + 1} 行第 {i + 1} 列为 {matrix[i, i]:g}")
        for j in range(i + 1, n):
            a, b = matrix[i, j], matrix[j, i]
            if not SCALE_MIN * (1 - RECIPROCAL_TOLERANCE) <= a <= SCALE_MAX * (1 + RECIPROCAL_TOLERANCE):
                raise AhpError(f"{_name(criteria, i)}相对{_name(criteria, j)}的判断 {a:g} 超出 1/9–9 标度")
            if abs(a * b - 1) > RECIPROCAL_TOLERANCE:
                raise AhpError(f"判断矩阵须互反:第 {i + 1} 行第 {j + 1} 列为 {a:g},第 {j + 1} 行第 {i + 1} 列"
                               f"应为 {1 / a:.4g},实为 {b:g}")
            # Use the exact reciprocal so 0.33 typed for 1/3 does not bias λmax.
            matrix[j, i] = 1 / a
    return matrix


def principal(matrix: np.ndarray) -> tuple[np.ndarray, float]:
    """Principal eigenvector (normalised to sum 1) and its eigenvalue λmax."""
    n = matrix.shape[0]
    if n == 1:
        return np.ones(1), 1.0
    values, vectors = np.linalg.eig(matrix)
    k = int(np.argmax(values.real))
    vector = np.abs(vectors[:, k].real)
    return vector / vector.sum(), float(values[k].real)


def random_index(n: int, table: str = DEFAULT_RI_TABLE) -> float:
    if table not in RI_TABLES:
        raise AhpError(f"未知的随机一致性指标表“{table}”,可选 saaty 或 cn")
    return RI_TABLES[table][n - 1]


def _consistency(matrix: np.ndarray, table: str) -> tuple[np.ndarray, float, float, float, float]:
    n = matrix.shape[0]
    weights, lam = principal(matrix)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0  # orders 1 and 2 are always consistent
    ri = random_index(n, table)
    cr = ci / ri if ri > 0 else 0.0
    # Rounding can put λmax a hair under n for a consistent matrix; CI and CR are never negative.
    return weights, lam, max(ci, 0.0), max(cr, 0.0), ri


def geometric_mean(matrices: Sequence[np.ndarray]) -> np.ndarray:
    """Combine several experts' judgements: element-wise geometric mean (keeps the matrix reciprocal)."""
    if not matrices:
        raise AhpError("至少需要一位专家的判断矩阵")
    orders = {m.shape for m in matrices}
    if len(orders) != 1:
        raise AhpError("各专家的判断矩阵阶数须相同")
    return np.exp(np.mean([np.log(m) for m in matrices], axis=0))


def _suggest(matrix: np.ndarray, weights: np.ndarray, table: str) -> tuple[int, int, float, float]:
    """The judgement that departs most from what the weights imply (largest |ln(a_ij·w_j/w_i)|) and the value
    on the 1–9 scale that brings CR below 0.1 with the smallest change to it (or, if no value does, the one
    that lowers CR most)."""
    n = matrix.shape[0]
    worst, deviation = (0, 1), -1.0
    for i in range(n):
        for j in range(i + 1, n):
            d = abs(math.log(matrix[i, j] * weights[j] / weights[i]))
            if d > deviation + 1e-12:
                worst, deviation = (i, j), d
    i, j = worst
    current = matrix[i, j]
    best: tuple[float, float, float] | None = None  # (sort key, value, cr)
    fallback: tuple[float, float] | None = None  # (cr, value)
    for value in SCALE:
        trial = matrix.copy()
        trial[i, j], trial[j, i] = value, 1 / value
        cr = _consistency(trial, table)[3]
        if cr < CR_LIMIT:
            key = abs(math.log(value / current))
            if best is None or key < best[0] - 1e-12:
                best = (key, value, cr)
        if fallback is None or cr < fallback[0]:
            fallback = (cr, value)
    if best is not None:
        return i, j, best[1], best[2]
    return i, j, fallback[1], fallback[0]


def _fmt(value: float) -> str:
    if value >= 1 - 1e-9:
        return f"{value:.4g}"
    return f"1/{1 / value:.4g}"


def weigh(matrices: object, criteria: Sequence[str] = (), ri_table: str = DEFAULT_RI_TABLE,
          enforce: bool = True) -> AhpResult:
    """Weights of one level. ``matrices``: one matrix, or a list of several experts' matrices (combined by
    geometric mean). Raises ``Inconsistent`` when CR ≥ 0.1 (unless ``enforce`` is off, for showing a draft)."""
    random_index(1, ri_table)  # an unknown table name is refused before anything else
    criteria = [str(c) for c in criteria or ()]
    several = (isinstance(matrices, list | tuple) and matrices and isinstance(matrices[0], list | tuple)
               and matrices[0] and isinstance(matrices[0][0], list | tuple))
    raw_list = list(matrices) if several else [matrices]
    parsed = []
    for k, raw in enumerate(raw_list):
        try:
            parsed.append(parse_matrix(raw, criteria))
        except AhpError as exc:
            raise AhpError(f"第 {k + 1} 位专家:{exc}" if several else str(exc)) from exc
    expert_crs = [_consistency(m, ri_table)[3] for m in parsed] if several else []
    matrix = geometric_mean(parsed) if several else parsed[0]
    weights, lam, ci, cr, ri = _consistency(matrix, ri_table)
    n = matrix.shape[0]
    if enforce and cr >= CR_LIMIT:
        i, j, value, cr_after = _suggest(matrix, weights, ri_table)
        fixes = "可使一致性比率降至" if cr_after < CR_LIMIT else "仍不能使一致性比率低于 0.1,调整后约为"
        message = (f"判断矩阵一致性检验未通过:CR = {cr:.4f} ≥ 0.1(随机一致性指标表 {ri_table},RI = {ri})。"
                   f"最不一致的判断是{_name(criteria, i)}相对{_name(criteria, j)}(第 {i + 1} 行第 {j + 1} 列)"
                   f"取 {_fmt(matrix[i, j])};改为 {_fmt(value)} {fixes} {cr_after:.4f}。")
        raise Inconsistent(message=message, cr=round(cr, 6), ci=round(ci, 6), lambda_max=round(lam, 6),
                           ri_table=ri_table, worst=(i, j), current=float(matrix[i, j]),
                           suggested=round(value, 6), cr_after=round(cr_after, 6))
    return AhpResult(weights=[round(float(w), 6) for w in weights], lambda_max=round(lam, 6), ci=round(ci, 6),
                     cr=round(cr, 6), ri=ri, ri_table=ri_table, n=n, criteria=criteria,
                     matrix=[[round(float(x), 6) for x in row] for row in matrix], experts=len(parsed),
                     expert_crs=[round(c, 6) for c in expert_crs])
