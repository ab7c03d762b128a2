"""Risk warning services: train a model version, score every entity (model + rules + association), feed the
credit risk classes, raise and dispatch alerts, and measure precision and lift. Every rule is here."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q

from regshare.core import audit, prepared, workflow
from regshare.core.clock import today_or
from regshare.core.lazy import lazy_module
from regshare.core.models import Department
from regshare.core.permissions import Principal, require
from regshare.core.workdays import add_workdays
from regshare.credit.models import ListEntry, ListType, RiskAssessment
from regshare.credit.scorecard import points
from regshare.entities.models import Entity

from . import graph, indicators, scoring, sources
from .models import Alert, AlertRoute, AlertSource, AlertStatus, ModelVersion, RiskRule, RiskScore

np = lazy_module("numpy")

LEVEL_ORDER = "ABCD"
OPEN_STATES = (AlertStatus.DISPATCHED, AlertStatus.VERIFIED, AlertStatus.ACTED)
LINK_HOPS = 2
CHUNK = 2000


def level_limits() -> dict[str, float]:
    return {**scoring.DEFAULT_LEVELS, **getattr(settings, "RISK_LEVELS", {})}


def models_dir() -> Path:
    folder = Path(getattr(settings, "RISK_MODEL_DIR", None) or Path(settings.DATA_DIR) / "models")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ----------------------------------------------------------------------------- training


def train(actor: Principal | str, today: dt.date | None = None, tables: dict | None = None) -> ModelVersion:
    """Train a new model version on the records as they stand, store its file and hold-out figures and make it
    the one scores use."""
    if isinstance(actor, Principal):
        require(actor, "risk.manage")
    today = today_or(today)
    tables = tables if tables is not None else sources.from_database()
    try:
        trained = scoring.train(tables, today)
    except ValueError as exc:
        raise ValidationError(str(exc), code="not_enough_labels") from exc
    with transaction.atomic():
        number = (ModelVersion.objects.aggregate(n=Max("version"))["n"] or 0) + 1
        path = models_dir() / f"risk-v{number}.txt"
        trained.booster.save_model(str(path))
        ModelVersion.objects.filter(active=True).update(active=False)
        version = ModelVersion.objects.create(
            version=number, trained_on=today, train_cut=trained.train_cut, holdout_cut=trained.holdout_cut,
            label_days=scoring.LABEL_DAYS, features=indicators.FEATURES, params=trained.params,
            train_rows=trained.train_rows, holdout_rows=trained.holdout_rows, positive_rate=trained.positive_rate,
            auc=trained.auc, ks=trained.ks, precision_at_k=trained.precision_at_k,
            feedback_labels=trained.feedback_labels, path=str(path), active=True)
        audit.record(actor, "risk.model.trained", version, {
            "version": number, "auc": trained.auc, "ks": trained.ks, "precision_at_k": trained.precision_at_k,
            "train_rows": trained.train_rows, "holdout_rows": trained.holdout_rows})
    return version


def active_model() -> ModelVersion | None:
    return ModelVersion.objects.filter(active=True).order_by("-version").first()


def load_booster(version: ModelVersion):
    import lightgbm as lgb

    return lgb.Booster(model_file=version.path)


# ----------------------------------------------------------------------------- scoring


def _rules() -> list[RiskRule]:
    return list(RiskRule.objects.filter(active=True).select_related("department").order_by("code"))


def score(actor: Principal | str, today: dt.date | None = None, tables: dict | None = None,
          *, raise_alerts: bool = True) -> dict:
    """Score every entity alive today with the active model (trained first when there is none), apply the
    rules and the association walk, store scores with their reasons, feed the credit risk classes and raise
    the alerts that are not open yet. Returns counts per level and of alerts raised."""
    if isinstance(actor, Principal):
        require(actor, "risk.manage")
    today = today_or(today)
    tables = tables if tables is not None else sources.from_database()
    version = active_model() or train(actor, today, tables)
    booster = load_booster(version)
    ids, x = scoring.matrix(indicators.compute(tables, today))
    probability, contributions = scoring.predict(booster, x)
    levels = scoring.levels(probability, level_limits())
    rules = _rules()
    entity_info = _entity_info(tables["entities"])
    hits = _rule_hits(rules, x, ids, entity_info)
    distance, cluster = _association(tables, ids, today)
    alerts = _AlertRaiser(rules, version, today) if raise_alerts else None
    fed = 0
    with transaction.atomic():
        RiskScore.objects.all().delete()
        # Chunk by chunk: a district of a million entities never holds a million rows in Python or binds a
        # million values in one query (SQLite and PostgreSQL both cap a statement's parameters).
        for start in range(0, len(ids), CHUNK):
            part = slice(start, start + CHUNK)
            rows = [_score_row(pk, probability[i], levels[i], x[i], contributions[i], hits[i], rules, entity_info,
                               version, today)
                    for i, pk in enumerate(ids[part].tolist(), start=start)]
            RiskScore.objects.bulk_create(rows, batch_size=CHUNK)
            fed += feed_credit_classes(levels[part], probability[part], rows, version, today)
            if alerts is not None:
                alerts.add(rows, distance[part], cluster[part])
        raised = alerts.save() if alerts is not None else 0
        counts = {c: int((levels == c).sum()) for c in LEVEL_ORDER}
        audit.record(actor, "risk.scored", "risk:scores", {"as_of": today, "model": version.version, **counts,
                                                           "alerts": raised, "credit_classes_fed": fed})
    return {"model_version": version.version, "levels": counts, "alerts": raised, "credit_classes_fed": fed}


def _score_row(pk: int, probability: float, level: str, features: np.ndarray, contributions: np.ndarray,
               hits: np.ndarray, rules: list[RiskRule], entity_info: dict, version: ModelVersion,
               today: dt.date) -> RiskScore:
    industry, area = entity_info.get(pk, ("", ""))
    return RiskScore(
        entity_id=pk, score=round(float(probability) * 100, 1), probability=round(float(probability), 4),
        level=str(level), reasons=scoring.reasons(features, contributions),
        rule_hits=[rules[j].code for j in np.nonzero(hits)[0]] if hits.shape[0] else [],
        indicators={code: round(float(features[j]), 2) for j, code in enumerate(indicators.FEATURES)},
        industry=industry, area=area, model_version=version, computed_on=today)


def _entity_info(entities) -> dict[int, tuple[str, str]]:
    return dict(zip(entities.column("entity_id").to_pylist(),
                    zip(entities.column("industry").to_pylist(), entities.column("area").to_pylist(), strict=True),
                    strict=True))


def _rule_hits(rules: list[RiskRule], x: np.ndarray, ids: np.ndarray, info: dict) -> np.ndarray:
    hits = scoring.rule_hits(x, [(r.indicator, r.threshold) for r in rules])
    for j, rule in enumerate(rules):
        if rule.industry_prefix:
            industry = np.array([info.get(pk, ("", ""))[0].startswith(rule.industry_prefix) for pk in ids.tolist()],
                                dtype=bool)
            hits[:, j] &= industry
    return hits


def _association(tables: dict, ids: np.ndarray, today: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Per scored entity: hops to the nearest listed entity (-1: none within ``LINK_HOPS``) and cluster size."""
    network = graph.build(tables["entities"])
    listed = set(ListEntry.objects.filter(listed_on__lte=today).filter(
        Q(removed_on__isnull=True) | Q(removed_on__gt=today)).exclude(list_type=ListType.RED)
        .values_list("entity_id", flat=True))
    mask = np.isin(network.ids, np.fromiter(listed, dtype=np.int64, count=len(listed)))
    distance = graph.hops_to(network, mask, LINK_HOPS)
    position = {pk: i for i, pk in enumerate(network.ids.tolist())}
    rows = np.array([position[pk] for pk in ids.tolist()], dtype=np.int64)
    return distance[rows], network.cluster[rows]


def feed_credit_classes(levels: np.ndarray, probability: np.ndarray, rows: list[RiskScore], version: ModelVersion,
                        today: dt.date) -> int:
    """The credit risk class (the strata of random inspections) becomes the worse of the credit scorecard's
    class and the risk level, with the risk model's reasons added; entities the scorecard has not rated get
    the risk level. ``rows`` are one chunk of scores, ``levels`` and ``probability`` theirs. Returns the number
    of classes written."""
    stored = {a.entity_id: a for a in RiskAssessment.objects.filter(entity_id__in=[r.entity_id for r in rows])}
    create, update = [], []
    for i, row in enumerate(rows):
        level = str(levels[i])
        reason = f"风险预警模型v{version.version}:" + ("、".join(r["text"] for r in row.reasons) or "无突出风险指标")
        existing = stored.get(row.entity_id)
        p = min(max(float(probability[i]), 1e-6), 1 - 1e-6)
        if existing is None:
            create.append(RiskAssessment(entity_id=row.entity_id, risk_class=level, score=points(math.log(p / (1 - p))),
                                         probability=round(p, 4), reasons=[reason], features=row.indicators,
                                         computed_on=today))
            continue
        others = [r for r in existing.reasons if not str(r).startswith("风险预警模型")]
        worse = max(existing.risk_class, level, key=LEVEL_ORDER.index)
        if worse != existing.risk_class or reason not in existing.reasons:
            existing.risk_class, existing.reasons = worse, [*others, reason]
            update.append(existing)
    RiskAssessment.objects.bulk_create(create, batch_size=CHUNK)
    prepared.update_fields(update, ["risk_class", "reasons"])
    return len(create) + len(update)


# ----------------------------------------------------------------------------- alerts


def department_for(industry: str, rule: RiskRule | None = None, routes: list[AlertRoute] | None = None) -> Department:
    """The department an alert goes to: the rule's own, else the longest industry prefix among the routes,
    else the market regulator, else the data bureau."""
    if rule is not None and rule.department_id:
        return rule.department
    if routes is None:
        routes = list(AlertRoute.objects.select_related("department"))
    for route in sorted(routes, key=lambda r: -len(r.industry_prefix)):
        if industry.startswith(route.industry_prefix):
            return route.department
    fallback = (Department.objects.filter(code__endswith="-SCJG").first()
                or Department.objects.filter(is_data_bureau=True).first())
    if fallback is None:
        raise ValidationError("没有可分派预警的部门,请先配置预警分派规则", code="no_department")
    return fallback


def _number(today: dt.date, seq: int) -> str:
    return f"YJ{today:%Y%m%d}{seq:05d}"


class _AlertRaiser:
    """One alert per (entity, rule), per entity for the model's level D and per entity tied to a listed one,
    unless one of the same kind is still open or was closed within the quiet period. Fed chunk by chunk."""

    def __init__(self, rules: list[RiskRule], version: ModelVersion, today: dt.date) -> None:
        # An alert handled recently is not raised again for the same finding before the quiet period ends.
        quiet_since = today - dt.timedelta(days=int(getattr(settings, "RISK_ALERT_QUIET_DAYS", 90)))
        self.open_keys = set(Alert.objects.filter(Q(status__in=OPEN_STATES) | Q(closed_on__gte=quiet_since))
                             .values_list("entity_id", "source", "rule_id"))
        self.listed = set(ListEntry.objects.filter(removed_on__isnull=True).exclude(list_type=ListType.RED)
                          .values_list("entity_id", flat=True))
        self.existing = Alert.objects.filter(number__startswith=_number(today, 0)[:10]).count()
        self.deadline = add_workdays(today, int(getattr(settings, "RISK_VERIFY_WORKDAYS", 5)))
        self.by_code = {r.code: r for r in rules}
        self.routes = list(AlertRoute.objects.select_related("department"))
        self.version, self.today = version, today
        self.raised = 0
        self.new: list[Alert] = []

    def _add(self, row: RiskScore, source: str, rule: RiskRule | None, level: str, title: str, reasons: list) -> None:
        if (row.entity_id, source, rule.pk if rule else None) in self.open_keys:
            return
        self.raised += 1
        self.new.append(Alert(
            number=_number(self.today, self.existing + self.raised), entity_id=row.entity_id, source=source,
            rule=rule, model_version=self.version if source == AlertSource.MODEL else None, level=level,
            score=row.score, title=title, reasons=reasons, department=department_for(row.industry, rule, self.routes),
            raised_on=self.today, deadline=self.deadline))

    def add(self, rows: list[RiskScore], distance: np.ndarray, cluster: np.ndarray) -> None:
        uscc = dict(Entity.objects.filter(pk__in=[r.entity_id for r in rows]).values_list("pk", "uscc"))
        for i, row in enumerate(rows):
            for code in row.rule_hits:
                rule = self.by_code[code]
                value = row.indicators[rule.indicator]
                self._add(row, AlertSource.RULE, rule, rule.level,
                          f"{rule.name}:{indicators.describe(rule.indicator, value)}",
                          [{"text": indicators.describe(rule.indicator, value), "contribution": None}])
            if row.level == "D":
                self._add(row, AlertSource.MODEL, None, "D", f"模型评分{row.score:.0f}分(高风险)", row.reasons)
            if row.entity_id not in self.listed and 0 < distance[i] <= LINK_HOPS:
                found = graph.paths(uscc[row.entity_id], int(distance[i]))
                if found:
                    self._add(row, AlertSource.LINK, None, "C" if cluster[i] < graph.DENSE_CLUSTER else "D",
                              f"与失信主体关联({int(distance[i])}跳)", [{"text": path_text(found[0]), "contribution": None}])
        if len(self.new) >= CHUNK:
            self.save()

    def save(self) -> int:
        """Write the alerts gathered so far; returns how many were raised in all."""
        Alert.objects.bulk_create(self.new, batch_size=CHUNK)
        self.new = []
        return self.raised


def path_text(path: list[dict]) -> str:
    """A path in words: A —同一法定代表人 张三(…)— B(经营异常名录)."""
    parts = []
    for step in path:
        if "uscc" in step:
            parts.append(step.get("name", step["uscc"]) + (f"({step['listed']})" if step.get("listed") else ""))
        else:
            value = next(v for k, v in step.items() if k != "via")
            parts.append(f"—{step['via']} {value}—")
    return " ".join(parts)


def perform(principal: Principal, alert: Alert, name: str, **data) -> Alert:
    return workflow.perform(principal, alert, name, **data)


# ----------------------------------------------------------------------------- figures


def precision(by: str) -> list[dict]:
    """Precision of closed alerts (confirmed ÷ closed or dismissed) per rule (``by="rule"``) or per model
    version (``by="model_version"``)."""
    field = {"rule": "rule__name", "model_version": "model_version__version"}[by]
    rows = (Alert.objects.filter(confirmed__isnull=False).exclude(**{f"{field}__isnull": True})
            .values(field).annotate(closed=Count("id"), confirmed=Count("id", filter=Q(confirmed=True)))
            .order_by(field))
    return [{"key": r[field], "closed": r["closed"], "confirmed": r["confirmed"],
             "precision": round(r["confirmed"] / r["closed"], 4) if r["closed"] else None} for r in rows]


PROBLEM_OUTCOMES = ("corrected", "not_cooperating", "unreachable", "transferred")


def lift(selections: list[tuple[bool, str]]) -> dict:
    """Hit rate of objects the model selected against a random control group of the same draws, from
    ``(is_control, outcome)`` pairs of inspected objects; a hit is an inspection that found a problem."""
    def rate(rows: list[str]) -> float | None:
        return round(sum(o in PROBLEM_OUTCOMES for o in rows) / len(rows), 4) if rows else None

    model = [o for control, o in selections if not control and o]
    control = [o for control, o in selections if control and o]
    model_rate, control_rate = rate(model), rate(control)
    return {"model_selected": len(model), "control": len(control), "model_hit_rate": model_rate,
            "control_hit_rate": control_rate,
            "lift": round(model_rate / control_rate, 3) if model_rate is not None and control_rate else None}


def draw_lift() -> dict:
    """``lift`` over the random-inspection draws whose objects carry a control flag (``is_control``)."""
    from regshare.supervision.models import DrawSelection

    names = {f.name for f in DrawSelection._meta.get_fields()}
    flag = next((n for n in ("is_control", "control") if n in names), None)
    if flag is None:
        return lift([])
    return lift(list(DrawSelection.objects.exclude(outcome="").values_list(flag, "outcome")))


def risk_map() -> dict:
    """Average score and count of high-risk entities per industry and per area, for the risk map."""
    def grouped(field: str) -> list[dict]:
        from django.db.models import Avg

        rows = (RiskScore.objects.values(field).annotate(n=Count("id"), avg=Avg("score"),
                                                         high=Count("id", filter=Q(level__in=["C", "D"])))
                .order_by("-avg"))
        return [{"key": r[field] or "未知", "count": r["n"], "average": round(r["avg"] or 0, 1), "high": r["high"]}
                for r in rows]

    return {"industry": grouped("industry"), "area": grouped("area")}


def top(limit: int) -> list[dict]:
    """The highest scores with their reasons, as the ``risk top`` command prints them."""
    rows = RiskScore.objects.select_related("entity").order_by("-score", "entity__uscc")[:max(limit, 0)]
    return [{"uscc": r.entity.uscc, "name": r.entity.name, "score": r.score, "level": r.level,
             "reasons": [{"text": x["text"], "contribution": x["contribution"]} for x in r.reasons]} for r in rows]
