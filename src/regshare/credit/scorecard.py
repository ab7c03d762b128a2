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

from regshare.core import audit, prepared
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


CHUNK = 20_000  # entities per database round trip: bounds memory at a million entities


def features(until: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Per-entity raw feature matrix from records dated before ``until`` (one query per kind); the
    entity ids, ascending, index its rows."""
    total = Entity.objects.count()
    ids = np.zeros(total, dtype=np.int64)
    established = np.full(total, np.datetime64("NaT"), dtype="datetime64[D]")
    capital = np.zeros(total)
    # Chunks of plain tuples: a million Entity objects (or one list of their tuples) would take gigabytes.
    rows = Entity.objects.order_by("id").values_list("id", "established", "capital")
    i = 0
    for pk, day, money in rows.iterator(chunk_size=CHUNK):
        if i == total:  # an entity created while reading
            break
        ids[i] = pk
        if day is not None:
            established[i] = day
        capital[i] = float(money or 0)
        i += 1
    ids, established, capital = ids[:i], established[:i], capital[:i]
    names = list(FEATURES)
    x = np.zeros((len(ids), len(names)))

    def fill(name: str, qs) -> None:
        counted = list(qs.values("entity_id").annotate(n=Count("id")).values_list("entity_id", "n"))
        if not counted or not len(ids):
            return
        entity_ids, counts = (np.array(c, dtype=np.int64) for c in zip(*counted, strict=True))
        rows_of = np.clip(np.searchsorted(ids, entity_ids), 0, len(ids) - 1)
        found = ids[rows_of] == entity_ids
        x[rows_of[found], names.index(name)] = counts[found]

    records = CreditRecord.objects.filter(entity__isnull=False, decided_on__lt=until)
    fill("penalties", records.filter(kind=RecordKind.PENALTY).exclude(severity=Severity.SIMPLE))
    fill("serious_penalties", records.filter(kind=RecordKind.PENALTY, severity=Severity.SERIOUS))
    fill("complaints", records.filter(kind=RecordKind.COMPLAINT, outcome=Outcome.SUBSTANTIATED))
    fill("failed_inspections", records.filter(kind=RecordKind.INSPECTION, outcome=Outcome.FAILED))
    fill("broken_commitments", records.filter(kind=RecordKind.COMMITMENT, outcome=Outcome.BROKEN))
    fill("abnormal", ListEntry.objects.filter(list_type=ListType.ABNORMAL, listed_on__lt=until))
    days = (np.datetime64(until, "D") - established).astype("timedelta64[D]").astype(float)
    x[:, names.index("age_years")] = np.where(np.isnat(established), 0, np.maximum(days / 365.25, 0))
    x[:, names.index("capital")] = capital
    return ids, x


def adverse(since: dt.date, until: dt.date, ids: np.ndarray) -> np.ndarray:
    hit = set(CreditRecord.objects.filter(entity__isnull=False, decided_on__gte=since, decided_on__lt=until).filter(
        Q(kind=RecordKind.PENALTY, severity__in=[Severity.GENERAL, Severity.SERIOUS])
        | Q(kind=RecordKind.INSPECTION, outcome=Outcome.FAILED)
        | Q(kind=RecordKind.COMPLAINT, outcome=Outcome.SUBSTANTIATED)).values_list("entity_id", flat=True))
    hit |= set(ListEntry.objects.filter(listed_on__gte=since, listed_on__lt=until,
                                        list_type__in=[ListType.ABNORMAL, ListType.SERIOUS])
               .values_list("entity_id", flat=True))
    return np.isin(np.asarray(ids, dtype=np.int64), np.fromiter(hit, dtype=np.int64, count=len(hit))).astype(int)


def bins(x: np.ndarray) -> np.ndarray:
    """The bin of every feature value (``_bin`` column-wise): the last edge at or below the value, else 0."""
    out = np.zeros(x.shape, dtype=np.int64)
    for j, (_name, (_label, edges, _labels)) in enumerate(FEATURES.items()):
        out[:, j] = np.maximum(np.searchsorted(np.asarray(edges, dtype=float), x[:, j], side="right") - 1, 0)
    return out


def one_hot(x: np.ndarray) -> np.ndarray:
    binned = bins(x)
    columns = []
    for j, (_name, (_label, edges, _labels)) in enumerate(FEATURES.items()):
        for b in range(1, len(edges)):  # bin 0 is the reference level
            columns.append((binned[:, j] == b).astype(float))
    return np.column_stack(columns) if columns else np.zeros((len(x), 0))


@dataclass
class Model:
    intercept: float
    coef: np.ndarray

    def contribution_matrix(self, binned: np.ndarray) -> np.ndarray:
        """Log-odds each feature adds vs. its reference bin, for every entity at once."""
        out = np.zeros(binned.shape)
        k = 0
        for j, (_name, (_label, edges, _labels)) in enumerate(FEATURES.items()):
            coef = np.concatenate([[0.0], np.asarray(self.coef[k:k + len(edges) - 1], dtype=float)])
            out[:, j] = coef[binned[:, j]]
            k += len(edges) - 1
        return out

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
    """Score every entity, store class, score and top reasons; returns the count per class.

    Scores, classes and reasons are computed for all entities at once (numpy); only the assessments
    that differ from the stored ones are written, chunk by chunk, so a re-run on the same day writes
    nothing and a million entities never stand in memory as Python objects.
    """
    as_of = today_or(as_of)
    model = fit(as_of)
    ids, x = features(as_of + dt.timedelta(days=1))
    binned = bins(x)
    design = one_hot(x)
    log_odds = model.intercept + design @ model.coef if len(ids) else np.zeros(0)
    probability = 1 / (1 + np.exp(-log_odds))
    limits = thresholds()
    classes = np.select([probability < limits["A"], probability < limits["B"], probability < limits["C"]],
                        ["A", "B", "C"], "D")
    factor = PDO / math.log(2)
    scores = np.rint(BASE_SCORE - factor * math.log(BASE_ODDS) - factor * log_odds).astype(np.int64)
    contribution = model.contribution_matrix(binned)
    top = np.argsort(-contribution, axis=1, kind="stable")[:, :3]  # stable: ties keep the features' order
    hard: dict[int, list[str]] = {}
    for entity_id, list_type in ListEntry.objects.filter(removed_on__isnull=True, list_type__in=list(HARD_D)) \
            .values_list("entity_id", "list_type"):
        hard.setdefault(entity_id, []).append(HARD_D[list_type])
    if hard and len(ids):
        listed = np.fromiter(hard, dtype=np.int64, count=len(hard))
        classes[np.isin(ids, listed)] = "D"
    counts = {c: int((classes == c).sum()) for c in ("A", "B", "C", "D")}
    names = list(FEATURES)
    labels = [(label, bin_labels) for _name, (label, _edges, bin_labels) in FEATURES.items()]
    fields = ["risk_class", "score", "probability", "reasons", "features", "computed_on"]

    def wanted(i: int) -> dict:
        reasons = [f"{labels[j][0]}:{labels[j][1][binned[i, j]]}(风险+{contribution[i, j] * factor:.0f}分)"
                   for j in top[i] if contribution[i, j] > 0.05]
        pk = int(ids[i])
        if pk in hard:
            reasons = sorted(set(hard[pk])) + reasons
        return {"risk_class": str(classes[i]), "score": int(scores[i]),
                "probability": round(float(probability[i]), 4), "reasons": reasons or ["无不良信用记录"],
                "features": {n: round(float(x[i, j]), 2) for j, n in enumerate(names)}, "computed_on": as_of}

    written = 0
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            stop = min(start + CHUNK, len(ids))
            stored = {row["entity_id"]: row for row in RiskAssessment.objects.filter(
                entity_id__gte=int(ids[start]), entity_id__lte=int(ids[stop - 1])).values("id", "entity_id", *fields)}
            new, changed = [], []
            for i in range(start, stop):
                want = wanted(i)
                row = stored.get(int(ids[i]))
                if row is None:
                    new.append(RiskAssessment(entity_id=int(ids[i]), **want))
                elif any(row[f] != want[f] for f in fields):
                    changed.append(RiskAssessment(id=row["id"], entity_id=int(ids[i]), **want))
            RiskAssessment.objects.bulk_create(new, batch_size=2000)
            prepared.update_fields(changed, list(fields))
            written += len(new) + len(changed)
        audit.record(actor, "credit.risk_recomputed", "credit:risk", {"as_of": as_of, **counts, "written": written,
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
