"""Credit risk classes A/B/C/D by a transparent logistic scorecard over binned features.

Why not optbinning: its import pulls cvxpy/highspy (a broken solver build on this machine) and its
binning is slower than we need for a nightly run over every entity; fixed, documented bins and a
one-hot logistic regression give the same kind of explainable points table (docs/DECISIONS.md).

Training is "past predicts future": features are counted from records before ``as_of − 2 years``
and the target is an adverse event (penalty above 简易程序, abnormal/serious listing, failed
inspection, substantiated complaint) in the two years up to ``as_of``. Scoring uses the same
features counted up to ``as_of``. Points are PDO-scaled log-odds: higher score = more trustworthy.
Entities on the serious list, the dishonest-debtor list or the major-tax-violation list are class
D whatever the score (national practice for 严重失信主体), and that is given as the first reason.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from regshare.core import audit
from regshare.core.clock import today_or
from regshare.core.lazy import lazy_module
from regshare.entities.models import Entity

from .models import CreditRecord, ListEntry, ListType, Outcome, RecordKind, RiskAssessment, Severity

np = lazy_module("numpy")

WINDOW_DAYS = 730
BASE_SCORE, BASE_ODDS, PDO = 600, 20.0, 40
DEFAULT_THRESHOLDS = {"A": 0.15, "B": 0.30, "C": 0.60}  # probability of an adverse event: < A → A, …, ≥ C → D

# feature -> (Chinese label, bin edges (left-closed), bin labels)
FEATURES = {
    "penalties": ("行政处罚次数", [0, 1, 2, 4], ["无", "1次", "2-3次", "4次及以上"]),
    "serious_penalties": ("严重失信处罚次数", [0, 1], ["无", "有"]),
    "complaints": ("投诉举报(属实)次数", [0, 1, 3, 6], ["无", "1-2次", "3-5次", "6次及以上"]),
    "failed_inspections": ("检查发现问题次数", [0, 1, 2], ["无", "1次", "2次及以上"]),
    "abnormal": ("经营异常名录记录", [0, 1], ["无", "有"]),
    "broken_commitments": ("未履行信用承诺", [0, 1], ["无", "有"]),
    "age_years": ("成立年限", [0, 2, 5, 10], ["不满2年", "2-5年", "5-10年", "10年以上"]),
    "capital": ("注册资本(万元)", [0, 50, 500, 5000], ["50万以下", "50-500万", "500-5000万", "5000万以上"]),
}
HARD_D = {ListType.SERIOUS: "列入严重违法失信名单", ListType.DISHONEST_DEBTOR: "列入失信被执行人名单",
          ListType.TAX_VIOLATION: "列入重大税收违法失信主体名单"}


def thresholds() -> dict[str, float]:
    return {**DEFAULT_THRESHOLDS, **getattr(settings, "REGSHARE_CREDIT_THRESHOLDS", {})}


def _bin(value: float, edges: list[float]) -> int:
    index = 0
    for i, edge in enumerate(edges):
        if value >= edge:
            index = i
    return index


def features(until: dt.date) -> tuple[list[int], np.ndarray]:
    """Per-entity raw feature matrix from records dated before ``until`` (one query per kind)."""
    ids = list(Entity.objects.order_by("id").values_list("id", flat=True))
    index = {pk: i for i, pk in enumerate(ids)}
    names = list(FEATURES)
    x = np.zeros((len(ids), len(names)))

    def fill(name: str, qs) -> None:
        col = names.index(name)
        for row in qs.values("entity_id").annotate(n=Count("id")):
            if row["entity_id"] in index:
                x[index[row["entity_id"]], col] = row["n"]

    records = CreditRecord.objects.filter(entity__isnull=False, decided_on__lt=until)
    fill("penalties", records.filter(kind=RecordKind.PENALTY).exclude(severity=Severity.SIMPLE))
    fill("serious_penalties", records.filter(kind=RecordKind.PENALTY, severity=Severity.SERIOUS))
    fill("complaints", records.filter(kind=RecordKind.COMPLAINT, outcome=Outcome.SUBSTANTIATED))
    fill("failed_inspections", records.filter(kind=RecordKind.INSPECTION, outcome=Outcome.FAILED))
    fill("broken_commitments", records.filter(kind=RecordKind.COMMITMENT, outcome=Outcome.BROKEN))
    fill("abnormal", ListEntry.objects.filter(list_type=ListType.ABNORMAL, listed_on__lt=until))
    age, cap = names.index("age_years"), names.index("capital")
    for pk, established, capital in Entity.objects.values_list("id", "established", "capital"):
        i = index[pk]
        x[i, age] = max((until - established).days / 365.25, 0) if established else 0
        x[i, cap] = float(capital or 0)
    return ids, x


def adverse(since: dt.date, until: dt.date, ids: list[int]) -> np.ndarray:
    hit = set(CreditRecord.objects.filter(entity__isnull=False, decided_on__gte=since, decided_on__lt=until).filter(
        Q(kind=RecordKind.PENALTY, severity__in=[Severity.GENERAL, Severity.SERIOUS])
        | Q(kind=RecordKind.INSPECTION, outcome=Outcome.FAILED)
        | Q(kind=RecordKind.COMPLAINT, outcome=Outcome.SUBSTANTIATED)).values_list("entity_id", flat=True))
    hit |= set(ListEntry.objects.filter(listed_on__gte=since, listed_on__lt=until,
                                        list_type__in=[ListType.ABNORMAL, ListType.SERIOUS])
               .values_list("entity_id", flat=True))
    return np.array([1 if pk in hit else 0 for pk in ids])


def one_hot(x: np.ndarray) -> np.ndarray:
    columns = []
    for j, (_name, (_label, edges, _labels)) in enumerate(FEATURES.items()):
        bins = np.array([_bin(v, edges) for v in x[:, j]])
        for b in range(1, len(edges)):  # bin 0 is the reference level
            columns.append((bins == b).astype(float))
    return np.column_stack(columns) if columns else np.zeros((len(x), 0))


@dataclass
class Model:
    intercept: float
    coef: np.ndarray

    def contributions(self, x_row: np.ndarray) -> list[tuple[str, str, float]]:
        """(feature label, bin label, log-odds added vs. the reference bin) for one entity."""
        out, k = [], 0
        for j, (_name, (label, edges, labels)) in enumerate(FEATURES.items()):
            b = _bin(x_row[j], edges)
            value = 0.0
            if b > 0:
                value = float(self.coef[k + b - 1])
            out.append((label, labels[b], value))
            k += len(edges) - 1
        return out


def fit(as_of: dt.date) -> Model:
    from sklearn.linear_model import LogisticRegression

    start = as_of - dt.timedelta(days=WINDOW_DAYS)
    ids, x = features(start)
    y = adverse(start, as_of, ids)
    design = one_hot(x)
    if len(set(y.tolist())) < 2:
        # Not enough history to learn from: a neutral model (every entity scores the base rate).
        rate = min(max(float(y.mean()) if len(y) else 0.05, 0.01), 0.99)
        return Model(intercept=math.log(rate / (1 - rate)), coef=np.zeros(design.shape[1]))
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(design, y)
    return Model(intercept=float(model.intercept_[0]), coef=model.coef_[0])


def points(log_odds: float) -> int:
    factor = PDO / math.log(2)
    offset = BASE_SCORE - factor * math.log(BASE_ODDS)
    return int(round(offset - factor * log_odds))


def classify(probability: float, limits: dict[str, float]) -> str:
    if probability < limits["A"]:
        return "A"
    if probability < limits["B"]:
        return "B"
    if probability < limits["C"]:
        return "C"
    return "D"


def recompute(as_of: dt.date | None = None, actor: object = "system") -> dict[str, int]:
    """Score every entity, store class, score and top reasons; returns the count per class."""
    as_of = today_or(as_of)
    model = fit(as_of)
    ids, x = features(as_of + dt.timedelta(days=1))
    design = one_hot(x)
    log_odds = model.intercept + design @ model.coef if len(ids) else np.zeros(0)
    limits = thresholds()
    hard: dict[int, list[str]] = {}
    for entity_id, list_type in ListEntry.objects.filter(removed_on__isnull=True, list_type__in=list(HARD_D)) \
            .values_list("entity_id", "list_type"):
        hard.setdefault(entity_id, []).append(HARD_D[list_type])
    existing = dict(RiskAssessment.objects.values_list("entity_id", "id"))
    counts = {"A": 0, "B": 0, "C": 0, "D": 0}
    objs = []
    names = list(FEATURES)
    for i, pk in enumerate(ids):
        probability = 1 / (1 + math.exp(-log_odds[i]))
        risk_class = classify(probability, limits)
        contributions = sorted(model.contributions(x[i]), key=lambda c: -c[2])
        reasons = [f"{label}:{bin_label}(风险+{value * PDO / math.log(2):.0f}分)"
                   for label, bin_label, value in contributions if value > 0.05][:3]
        if pk in hard:
            risk_class = "D"
            reasons = sorted(set(hard[pk])) + reasons
        if not reasons:
            reasons = ["无不良信用记录"]
        counts[risk_class] += 1
        objs.append(RiskAssessment(id=existing.get(pk), entity_id=pk, risk_class=risk_class,
                                   score=points(float(log_odds[i])), probability=round(probability, 4),
                                   reasons=reasons, features={n: round(float(x[i, j]), 2) for j, n in enumerate(names)},
                                   computed_on=as_of))
    with transaction.atomic():
        new = [o for o in objs if o.id is None]
        old = [o for o in objs if o.id is not None]
        RiskAssessment.objects.bulk_create(new, batch_size=2000)
        RiskAssessment.objects.bulk_update(old, ["risk_class", "score", "probability", "reasons", "features",
                                                 "computed_on"], batch_size=2000)
        audit.record(actor, "credit.risk_recomputed", "credit:risk", {"as_of": as_of, **counts,
                                                                     "intercept": round(model.intercept, 4)})
    return counts


def points_table(as_of: dt.date | None = None) -> list[dict]:
    """The scorecard as a table of points per bin (for the page and docs)."""
    model = fit(today_or(as_of))
    factor = PDO / math.log(2)
    rows, k = [], 0
    for _name, (label, edges, labels) in FEATURES.items():
        for b, bin_label in enumerate(labels):
            coef = 0.0 if b == 0 else float(model.coef[k + b - 1])
            rows.append({"feature": label, "bin": bin_label, "points": int(round(-factor * coef))})
        k += len(edges) - 1
    return rows
