"""Every rule and state change of supervision: catalog and claims, records and referrals, random inspections,
complaints and routing, assistance and cases. Each state change is one transaction, permission-checked,
audited, with its next deadline in working days (core.workdays)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from regshare.core import audit, workflow
from regshare.core.codes import clean_uscc, uscc_error
from regshare.core.models import Department
from regshare.core.permissions import Principal, has_perm, require
from regshare.core.workdays import add_workdays, workdays_between
from regshare.entities.models import Entity

from . import draw as drawing
from .codes import validate_catalog_code, validate_implementing_code
from .models import (
    AssistanceRequest,
    AssistanceStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    DrawSelection,
    InspectionOutcome,
    InspectionTask,
    Inspector,
    InspectorConflict,
    ItemClaim,
    RecordKind,
    Referral,
    ReferralRule,
    RoutingRule,
    SupervisionItem,
    SupervisionLevel,
    SupervisionRecord,
    SupervisionWay,
    TaskStatus,
    sees_everything,
)

UNRATED = "未评价"


def _today(today: dt.date | None = None) -> dt.date:
    return today or timezone.localdate()


def _actor_label(principal: Principal) -> str:
    return audit.actor_name(principal)


def _acts_for(principal: Principal, *departments: Department | None) -> None:
    """The acting department rule: only a department involved (or an overseer) changes a shared object."""
    if sees_everything(principal):
        return
    mine = principal.department
    if mine is None or all(d is None or d.pk != mine.pk for d in departments):
        raise PermissionDenied("只有承办部门可以办理此事项")


def _effect(obj: Model, principal: Principal, data: dict) -> None:
    """A transition's extra writes: the service passes them as ``effect`` (they need the service's inputs)."""
    effect = data.get("effect")
    if effect is not None:
        effect(obj)


def Step(name: str, label: str, source: tuple[str, ...], target: str, permission: str,  # noqa: N802
         deadline_workdays: int | Callable[[], int] | None = None, audit_action: str = "", may_act=None, when=None,
         refusal: str = "") -> workflow.Transition:
    return workflow.Transition(name=name, label=label, source=source, target=target, permission=permission,
                               may_act=may_act, deadline_workdays=deadline_workdays, audit_action=audit_action,
                               apply=_effect, when=when, refusal=refusal)


def _perform(principal: Principal, obj: Model, step: workflow.Transition,
             apply: Callable[[Model], None] | None = None) -> Model:
    """The one path of a state change: core.workflow (lock, state, permission, acting department, deadline,
    audit), with the service's extra writes in the same transaction."""
    return workflow.perform(principal, obj, step.name, effect=apply)


def _in_departments(principal: Principal, departments: Iterable[Department | None]) -> bool:
    if sees_everything(principal):
        return True
    mine = principal.department
    return mine is not None and any(d is not None and d.pk == mine.pk for d in departments)


# ---------------------------------------------------------------- catalog and implementation lists

ITEM_FIELDS = ("catalog_code", "main_name", "sub_name", "way", "measures", "target", "legal_basis", "process",
               "result", "level")


def _choice(value: str, choices, label: str) -> str:
    value = (value or "").strip()
    for key, text in choices:
        if value in (key, text):
            return key
    raise ValidationError(f"{label}“{value}”不在可选范围内:{'、'.join(t for _, t in choices)}", code="invalid_choice")


def clean_item(data: dict) -> dict:
    clean = {f: str(data.get(f) or "").strip() for f in ITEM_FIELDS}
    validate_catalog_code(clean["catalog_code"])
    for f, label in (("main_name", "主项名称"), ("target", "监管对象"), ("legal_basis", "设定依据")):
        if not clean[f]:
            raise ValidationError(f"{label}不能为空", code="field_required")
    clean["way"] = _choice(clean["way"], SupervisionWay.choices, "监管方式")
    clean["level"] = _choice(clean["level"], SupervisionLevel.choices, "监管层级")
    return clean


def save_item(principal: Principal, department: Department, data: dict, published: bool = False) -> SupervisionItem:
    require(principal, "supervision.manage_items")
    _acts_for(principal, department)
    clean = clean_item(data)
    with transaction.atomic():
        item, created = SupervisionItem.objects.update_or_create(
            catalog_code=clean.pop("catalog_code"), defaults={**clean, "department": department,
                                                              "published": published})
        audit.record(principal, "supervision.item_created" if created else "supervision.item_updated", item,
                     {"catalog_code": item.catalog_code})
    return item


def publish_items(principal: Principal, items: QuerySet[SupervisionItem]) -> int:
    require(principal, "supervision.manage_items")
    with transaction.atomic():
        items = items.filter(published=False)
        if not sees_everything(principal):
            items = items.filter(department=principal.department)
        codes = list(items.values_list("catalog_code", flat=True))
        items.update(published=True)
        audit.record(principal, "supervision.items_published", "supervision:items", {"count": len(codes)})
    return len(codes)


def claim_item(principal: Principal, item: SupervisionItem, department: Department, implementing_code: str,
               on: dt.date | None = None) -> ItemClaim:
    """A department claims an item into its implementation list (实施清单)."""
    require(principal, "supervision.claim_item")
    _acts_for(principal, department)
    implementing_code = (implementing_code or "").strip().upper()
    validate_implementing_code(implementing_code)
    if not item.published:
        raise ValidationError("监管事项尚未发布,不能认领", code="item_unpublished")
    with transaction.atomic():
        if ItemClaim.objects.filter(item=item, department=department).exists():
            raise ValidationError("本部门已认领该监管事项", code="already_claimed")
        if ItemClaim.objects.filter(implementing_code=implementing_code).exists():
            raise ValidationError("检查实施清单编码已被使用", code="duplicate_implementing_code")
        claim = ItemClaim.objects.create(item=item, department=department, implementing_code=implementing_code,
                                         claimed_on=_today(on))
        audit.record(principal, "supervision.item_claimed", claim, {"implementing_code": implementing_code})
    return claim


def item_query(qs: QuerySet[SupervisionItem], q: str = "", way: str = "") -> QuerySet[SupervisionItem]:
    if q:
        qs = qs.filter(Q(catalog_code__startswith=q) | Q(main_name__icontains=q) | Q(sub_name__icontains=q))
    if way:
        qs = qs.filter(way=way)
    return qs.select_related("department")


# ---------------------------------------------------------------- records, credit and referrals (实时抄告)

_CREDIT_KIND = {RecordKind.LICENCE: "licence", RecordKind.PENALTY: "penalty", RecordKind.INSPECTION: "inspection"}


def _credit_record(principal: Principal, kind: str, doc_no: str, entity: Entity, department: Department,
                   title: str, decided_on: dt.date, **extra):
    """Results and penalties feed credit through credit's own service (双公示 and scorecard follow)."""
    from regshare.credit import services as credit
    from regshare.credit.models import CreditRecord

    existing = CreditRecord.objects.filter(kind=kind, doc_no=doc_no).first()
    if existing is not None:
        return existing
    return credit.create_record(principal, {
        "kind": kind, "doc_no": doc_no, "raw_uscc": entity.uscc, "raw_name": entity.name,
        "department": department, "title": title[:200], "decided_on": decided_on, **extra})


def create_record(principal: Principal, data: dict) -> SupervisionRecord:
    require(principal, "supervision.record")
    kind = data.get("kind")
    if kind not in RecordKind.values:
        raise ValidationError(f"未知的监管行为类别: {kind}", code="unknown_kind")
    item, department, entity = data.get("item"), data.get("department"), data.get("entity")
    if item is None or department is None or entity is None:
        raise ValidationError("监管行为须关联监管事项、实施部门和市场主体", code="field_required")
    _acts_for(principal, department)
    doc_no = str(data.get("doc_no") or "").strip()
    if not doc_no:
        raise ValidationError("文书号不能为空", code="doc_no_required")
    if not isinstance(data.get("decided_on"), dt.date):
        raise ValidationError("决定日期格式不正确", code="invalid_date")
    if kind == RecordKind.PENALTY and data.get("severity") not in ("simple", "general", "serious"):
        raise ValidationError("行政处罚须注明失信程度(简易程序/一般失信/严重失信)", code="severity_required")
    with transaction.atomic():
        if SupervisionRecord.objects.filter(kind=kind, doc_no=doc_no).exists():
            raise ValidationError("同类监管行为中已存在该文书号", code="duplicate_doc_no")
        record = SupervisionRecord.objects.create(
            kind=kind, doc_no=doc_no, item=item, department=department, entity=entity,
            title=str(data.get("title") or item.main_name)[:200], content=str(data.get("content") or ""),
            decided_on=data["decided_on"], severity=data.get("severity") or "", amount=data.get("amount"))
        if kind in _CREDIT_KIND:
            extra = {"severity": record.severity, "amount": record.amount, "legal_basis": item.legal_basis[:300]}
            if kind == RecordKind.INSPECTION:
                extra["outcome"] = data.get("outcome") or "passed"
            record.credit_record = _credit_record(principal, _CREDIT_KIND[kind], doc_no, entity, department,
                                                  record.title, record.decided_on, **extra)
            record.save(update_fields=["credit_record"])
        audit.record(principal, "supervision.record_created", record, {"kind": kind, "doc_no": doc_no})
        refer(record)
    return record


def rules_for(record: SupervisionRecord) -> list[ReferralRule]:
    rules = ReferralRule.objects.filter(active=True, kind=record.kind).filter(Q(item__isnull=True) | Q(item=record.item))
    industry = record.entity.industry or ""
    return [r for r in rules.prefetch_related("to_departments") if industry.startswith(r.industry_prefix)]


def refer(record: SupervisionRecord) -> list[Referral]:
    """实时抄告: at once, to every department the matching rules name (never back to the deciding one)."""
    from regshare.core.services import notify_department

    sent = []
    for rule in rules_for(record):
        for department in rule.to_departments.all():
            if department.pk == record.department_id:
                continue
            referral, created = Referral.objects.get_or_create(record=record, to_department=department,
                                                               defaults={"rule": rule})
            if created:
                sent.append(referral)
                notify_department(department, "supervision.referral",
                                  f"抄告:{record.department.name}{record.get_kind_display()} {record.doc_no}",
                                  f"{record.entity.name}:{record.title}", f"/supervision/records/{record.pk}/")
    if sent:
        audit.record("system", "supervision.referred", record, {"to": [r.to_department_id for r in sent]})
    return sent


def acknowledge_referral(principal: Principal, referral: Referral) -> Referral:
    require(principal, "supervision.view")
    _acts_for(principal, referral.to_department)
    if referral.read_at is None:
        referral.read_at = timezone.now()
        referral.save(update_fields=["read_at"])
        audit.record(principal, "supervision.referral_read", referral)
    return referral


# ---------------------------------------------------------------- 双随机、一公开

def default_ratios() -> dict[str, str]:
    return {k: str(v) for k, v in settings.SUPERVISION_DRAW_RATIOS.items()}


def create_task(principal: Principal, *, code: str, name: str, department: Department,
                joint: Iterable[Department] = (), items: Iterable = (), filters: dict | None = None,
                ratios: dict | None = None, inspectors_per_object: int | None = None,
                control_ratio: object = None) -> InspectionTask:
    """A random-inspection task; with joint departments one visit serves them all. ``control_ratio`` (default the
    setting ``SUPERVISION_CONTROL_RATIO``; "0" for none) adds a random control group to its draw."""
    require(principal, "supervision.manage_task")
    _acts_for(principal, department)
    ratios = {str(k): str(v) for k, v in (ratios or default_ratios()).items()}
    k = inspectors_per_object or settings.SUPERVISION_INSPECTORS_PER_OBJECT
    control_ratio = str(settings.SUPERVISION_CONTROL_RATIO if control_ratio in (None, "") else control_ratio).strip()
    try:
        drawing.validate_ratios(ratios, default_ratios())
    except drawing.DrawError as exc:
        raise ValidationError(str(exc), code="invalid_ratios") from exc
    try:
        drawing.parse_control_ratio(control_ratio)
    except drawing.DrawError as exc:
        raise ValidationError(str(exc), code="invalid_control_ratio") from exc
    if len(control_ratio) > 12:
        raise ValidationError("随机对照组比例最多12个字符", code="invalid_control_ratio")
    if k < 2:
        raise ValidationError("每户检查人员不得少于2名", code="too_few_inspectors")
    if not str(code).strip() or not str(name).strip():
        raise ValidationError("任务编号和任务名称不能为空", code="field_required")
    with transaction.atomic():
        if InspectionTask.objects.filter(code=code).exists():
            raise ValidationError("任务编号已存在", code="duplicate_code")
        task = InspectionTask.objects.create(code=code, name=name, department=department, filters=filters or {},
                                             ratios=ratios, inspectors_per_object=k, control_ratio=control_ratio,
                                             created_by=principal.user)
        task.joint_departments.set(list(joint))
        task.items.set(list(items))
        audit.record(principal, "supervision.task_created", task, {"code": code})
    return task


def _days(setting: str) -> Callable[[], int]:
    """A transition's working-day deadline read from the settings when the step is taken, not at import."""
    return lambda: getattr(settings, setting)


def _task_departments(task: InspectionTask) -> list[Department]:
    return [task.department, *task.joint_departments.all()]


def _task_may_act(principal: Principal, task: InspectionTask) -> bool:
    return _in_departments(principal, _task_departments(task))


def _task_step(name, label, source, target, permission, days=None, **kw) -> workflow.Transition:
    return Step(name, label, source, target, permission, days, f"supervision.task.{name}", _task_may_act, **kw)


SEED_STEP = _task_step("publish_seed", "公布随机种子", (TaskStatus.DRAFT,), TaskStatus.SEED_PUBLISHED,
                       "supervision.draw")
DRAW_STEP = _task_step("draw", "抽取", (TaskStatus.SEED_PUBLISHED,), TaskStatus.DRAWN, "supervision.draw")
START_STEP = _task_step("start", "开始检查", (TaskStatus.DRAWN,), TaskStatus.INSPECTING, "supervision.manage_task",
                        _days("SUPERVISION_INSPECTION_WORKDAYS"))
RESULTS_STEP = _task_step("results_entered", "确认结果录入完成", (TaskStatus.INSPECTING,), TaskStatus.RESULTS_ENTERED,
                          "supervision.enter_result", _days("SUPERVISION_RESULT_PUBLISH_WORKDAYS"),
                          when=lambda task: not task.selections.filter(outcome="").exists(),
                          refusal="尚有检查对象未录入结果")
PUBLISH_STEP = _task_step("publish", "公示检查结果", (TaskStatus.RESULTS_ENTERED,), TaskStatus.PUBLISHED,
                          "supervision.publish_result")
def _tasks_waiting_for(principal: Principal) -> Q | None:
    """A task waits for its department and for the departments that inspect jointly."""
    if principal.department_id is None:
        return None
    joint = InspectionTask.objects.filter(joint_departments=principal.department_id).values("pk")
    return Q(department_id=principal.department_id) | Q(pk__in=joint)


def _waiting_for(who: workflow.PendingQuery, steps: Iterable[workflow.Transition], *,
                 done: Iterable[str]) -> list[workflow.Transition]:
    """The steps whose target state still waits for ``who`` (every state but ``done``) declare it."""
    finished = set(done)
    return [step if step.target in finished else replace(step, pending=who) for step in steps]


TASK_FLOW = workflow.Workflow(
    name="supervision.task", model="supervision.InspectionTask", state_field="status", deadline_field="deadline",
    label="双随机抽查", initial=TaskStatus.DRAFT, initial_pending=_tasks_waiting_for,
    transitions=_waiting_for(_tasks_waiting_for, [SEED_STEP, DRAW_STEP, START_STEP, RESULTS_STEP, PUBLISH_STEP],
                             done=[TaskStatus.PUBLISHED]),
    pending_title=lambda t: f"{t.code} {t.name}", pending_link=lambda t: f"/supervision/tasks/{t.pk}/")


def publish_seed(principal: Principal, task: InspectionTask, seed: str = "") -> InspectionTask:
    """The seed is fixed and public before the draw (a public event's figures, or 32 random bytes)."""
    seed = (seed or "").strip() or secrets.token_hex(32)
    if len(seed) > 128 or any(ch in seed for ch in "\n\r"):
        raise ValidationError("随机种子不超过128个字符且不得换行", code="invalid_seed")

    def apply(obj: InspectionTask) -> None:
        obj.seed = seed
        obj.seed_published_at = timezone.now()

    return _perform(principal, task, SEED_STEP, apply)


def build_pool(task: InspectionTask) -> list[tuple[str, str]]:
    """Objects from the entity master by the task's filters, each in its credit-risk stratum."""
    qs = Entity.objects.all()
    f = task.filters or {}
    if f.get("industry"):
        qs = qs.filter(industry__startswith=f["industry"])
    if f.get("area"):
        # The registration area is characters 3-8 of the credit code.
        qs = qs.filter(uscc__regex=rf"^..{re.escape(str(f['area']))}")
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("risk_classes"):
        wanted = set(f["risk_classes"])
        cond = Q(risk__risk_class__in=wanted - {UNRATED})
        if UNRATED in wanted:
            cond |= Q(risk__isnull=True)
        qs = qs.filter(cond)
    rows = qs.order_by("uscc").values_list("uscc", "risk__risk_class")
    return [(code, risk or UNRATED) for code, risk in rows]


def _avoidance(codes: Iterable[str]) -> dict[str, list[int]]:
    """Declared conflicts and the inspectors of each object's last inspection (回避)."""
    codes = set(codes)
    avoid: dict[str, set[int]] = {}
    for code, inspector_id in InspectorConflict.objects.filter(entity__uscc__in=codes).values_list(
            "entity__uscc", "inspector_id"):
        avoid.setdefault(code, set()).add(inspector_id)
    last: dict[str, list[int]] = {}
    for code, ids in (DrawSelection.objects.filter(code__in=codes).exclude(outcome="")
                      .order_by("code", "-inspected_on", "-task_id").values_list("code", "inspector_ids")):
        last.setdefault(code, ids)
    for code, ids in last.items():
        avoid.setdefault(code, set()).update(ids)
    return {code: sorted(ids) for code, ids in avoid.items()}


# ---------------------------------------------------------------- declared conflicts (回避申报)

def _may_declare_for(principal: Principal, inspector: Inspector) -> None:
    """An inspector declares his own conflicts; his department's administrator (or an overseer) may declare for
    him."""
    if principal.user is not None and inspector.user_id == principal.user.pk:
        require(principal, "supervision.declare_conflict")
        return
    require(principal, "supervision.manage_inspectors")
    _acts_for(principal, inspector.department)


def declare_conflict(principal: Principal, inspector: Inspector, entity: Entity, reason: str,
                     today: dt.date | None = None) -> InspectorConflict:
    """A declared conflict of interest: the inspector is never drawn for this entity from the next draw on."""
    _may_declare_for(principal, inspector)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写回避事由", code="field_required")
    with transaction.atomic():
        if InspectorConflict.objects.filter(inspector=inspector, entity=entity).exists():
            raise ValidationError(f"{inspector.name} 已申报对 {entity.name} 回避", code="duplicate")
        conflict = InspectorConflict.objects.create(inspector=inspector, entity=entity, reason=reason[:200],
                                                    declared_by=_actor_label(principal), declared_on=_today(today))
        audit.record(principal, "supervision.conflict_declared", conflict,
                     {"inspector": inspector.certificate_no, "uscc": entity.uscc})
    return conflict


def withdraw_conflict(principal: Principal, conflict: InspectorConflict) -> None:
    """Withdraws a declaration; draws already made keep the avoidance they published."""
    _may_declare_for(principal, conflict.inspector)
    with transaction.atomic():
        audit.record(principal, "supervision.conflict_withdrawn", conflict,
                     {"inspector": conflict.inspector.certificate_no, "uscc": conflict.entity.uscc})
        conflict.delete()


def inspectors_for_declaration(principal: Principal) -> QuerySet[Inspector]:
    """The inspectors this principal may declare conflicts for: himself, or his department's (all for overseers)."""
    active = Inspector.objects.filter(active=True).select_related("department")
    if sees_everything(principal):
        return active
    mine = Q(user_id=principal.user.pk) if principal.user is not None else Q(pk__in=[])
    if has_perm(principal, "supervision.manage_inspectors") and principal.department is not None:
        mine |= Q(department=principal.department)
    return active.filter(mine)


def entity_by_code(value: object) -> Entity:
    """The entity of a credit code typed by a user, or a Chinese error."""
    code = clean_uscc(value)
    error = uscc_error(code)
    if error:
        raise ValidationError(error, code="invalid_uscc")
    entity = Entity.objects.filter(uscc=code).first()
    if entity is None:
        raise ValidationError(f"法人库中没有统一社会信用代码为 {code} 的市场主体", code="unknown_entity")
    return entity


def run_draw(principal: Principal, task: InspectionTask) -> InspectionTask:
    """Draws objects and inspectors with sha256-rank-v1 and stores everything the published record needs."""
    departments = _task_departments(task)
    pool = build_pool(task)
    if not pool:
        raise ValidationError("按筛选条件没有可抽取的检查对象", code="empty_pool")
    inspectors = [drawing.InspectorRef(i.pk, i.department.code, i.area) for i in
                  Inspector.objects.filter(active=True, department__in=departments).select_related("department")]
    avoid = _avoidance(code for code, _ in pool)
    codes = [d.code for d in departments]
    strata = {s for _, s in pool}
    ratios = {s: r for s, r in task.ratios.items() if s in strata}
    try:
        result = drawing.draw(task.seed, pool, ratios, inspectors, codes, avoid, task.inspectors_per_object,
                              task.control_ratio or 0)
    except drawing.DrawError as exc:
        raise ValidationError(str(exc), code="draw_refused") from exc
    entity_ids = dict(Entity.objects.filter(uscc__in=[c for c, _, _ in result.selected]).values_list("uscc", "id"))

    def apply(obj: InspectionTask) -> None:
        obj.pool = [[code, stratum] for code, stratum in pool]
        obj.pool_sha256 = result.pool_sha256
        obj.ratios = {**obj.ratios}
        obj.draw_inputs = {"departments": codes,
                           "inspector_pool": [{"id": i.id, "department": i.department, "area": i.area}
                                              for i in inspectors],
                           "avoidance": {c: ids for c, ids in avoid.items() if c in dict(pool)}}
        obj.drawn_at = timezone.now()
        control = set(result.control)
        DrawSelection.objects.bulk_create(
            [DrawSelection(task=obj, entity_id=entity_ids[code], code=code, stratum=stratum, inspector_ids=ids,
                           by_ratio=code in result.stratified, control=code in control)
             for code, stratum, ids in result.selected], batch_size=2000)

    return _perform(principal, task, DRAW_STEP, apply)


def published_record(task: InspectionTask) -> dict:
    """The file anyone can recompute (``regshare draw export``, the public page)."""
    inputs = task.draw_inputs or {}
    strata = {s for _, s in task.pool}
    return {
        "task": task.code,
        "name": task.name,
        "algorithm": task.algorithm,
        "seed": task.seed,
        "seed_published_at": task.seed_published_at.isoformat() if task.seed_published_at else None,
        "pool_sha256": task.pool_sha256,
        "pool": [{"code": code, "stratum": stratum} for code, stratum in task.pool],
        "ratios": {s: r for s, r in sorted(task.ratios.items()) if s in strata},
        "inspectors_per_object": task.inspectors_per_object,
        "departments": inputs.get("departments", []),
        "inspector_pool": inputs.get("inspector_pool", []),
        "avoidance": inputs.get("avoidance", {}),
        "selected": [{"code": code, "stratum": stratum, "inspectors": ids, "by_ratio": by_ratio, "control": control}
                     for code, stratum, ids, by_ratio, control in task.selections.order_by("code").values_list(
                         "code", "stratum", "inspector_ids", "by_ratio", "control")],
    } | _control_record(task)


def _control_record(task: InspectionTask) -> dict:
    """The control group's extension of the record, only for a task drawn with one."""
    if not drawing.parse_control_ratio(task.control_ratio or 0):
        return {}
    codes = list(task.selections.filter(control=True).order_by("code").values_list("code", flat=True))
    extension = drawing.control_extension(task.control_ratio, drawing.DrawResult("", {}, control=codes))
    return {"extensions": {drawing.CONTROL_EXTENSION: extension}}


# ---------------------------------------------------------------- what the public portal shows (一公开)

PUBLIC_PLAN_STATES = (TaskStatus.SEED_PUBLISHED, TaskStatus.DRAWN, TaskStatus.INSPECTING, TaskStatus.RESULTS_ENTERED,
                      TaskStatus.PUBLISHED)


def public_items(q: str = "", way: str = "") -> QuerySet[SupervisionItem]:
    """The published supervision item catalog (监管事项目录清单), with the departments' active claims prefetched
    (``item.claims.all()``; keep those with ``active``). ``q`` matches a code prefix or a name; ``way`` is a
    ``SupervisionWay`` value (an unknown value matches nothing)."""
    items = SupervisionItem.objects.filter(published=True).select_related("department").prefetch_related("claims")
    return item_query(items, (q or "").replace("\x00", "").strip()[:100], way)


def public_plans(q: str = "") -> QuerySet[InspectionTask]:
    """Random-inspection plans made public: every task whose seed is published (so before its draw), newest
    first. Each row carries ``n_objects`` (objects drawn, 0 before the draw), ``department``, ``joint_departments``
    and ``items`` (``RandomItem`` with ``item``) prefetched. ``q`` searches the task code and name."""
    plans = (InspectionTask.objects.filter(status__in=PUBLIC_PLAN_STATES)
             .defer("pool", "draw_inputs").select_related("department")
             .prefetch_related("joint_departments", "items__item")
             .annotate(n_objects=Count("selections", distinct=True)).order_by("-seed_published_at", "-id"))
    q = (q or "").replace("\x00", "").strip()[:100]
    if q:
        plans = plans.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return plans


def public_results(task: InspectionTask | None = None, q: str = "") -> QuerySet[DrawSelection]:
    """The published inspection results (结果公示): one row per inspected object of the tasks whose results are
    published, newest task first, with ``task`` and ``entity`` selected; the result's label is
    ``row.get_outcome_display()``. ``task`` narrows to one task; ``q`` searches the entity's name and code."""
    rows = (DrawSelection.objects.filter(task__status=TaskStatus.PUBLISHED).exclude(outcome="")
            .select_related("task", "task__department", "entity").defer("task__pool", "task__draw_inputs")
            .order_by("-task__results_published_on", "-task_id",
                                                                           "code"))
    if task is not None:
        rows = rows.filter(task=task)
    q = (q or "").replace("\x00", "").strip()[:100]
    if q:
        rows = rows.filter(Q(entity__name__icontains=q) | Q(code__icontains=q))
    return rows


def public_draw_record(task_id: int) -> dict | None:
    """The published draw record of a task that has been drawn (the same file as ``regshare draw export``), or
    None when the task does not exist or is not drawn yet."""
    task = InspectionTask.objects.filter(pk=task_id, status__in=PUBLIC_PLAN_STATES[1:]).first()
    return published_record(task) if task is not None else None


def verify_task(task: InspectionTask, seed: str | None = None) -> tuple[bool, str]:
    if not task.pool_sha256:
        return False, "该任务尚未抽取"
    return drawing.verify(published_record(task), seed)


def start_inspection(principal: Principal, task: InspectionTask, today: dt.date | None = None) -> InspectionTask:
    return _perform(principal, task, START_STEP)


CREDIT_OUTCOME = {InspectionOutcome.PASSED: "passed", InspectionOutcome.NO_ACTIVITY: "passed"}


def enter_result(principal: Principal, selection: DrawSelection, outcome: str, note: str = "",
                 on: dt.date | None = None) -> DrawSelection:
    require(principal, "supervision.enter_result")
    task = selection.task
    _acts_for(principal, *_task_departments(task))
    if task.status != TaskStatus.INSPECTING:
        raise ValidationError("任务不在检查阶段,不能录入结果", code="wrong_state")
    if outcome not in InspectionOutcome.values:
        raise ValidationError(f"未知的检查结果: {outcome}", code="invalid_outcome")
    with transaction.atomic():
        selection.outcome, selection.outcome_note, selection.inspected_on = outcome, note, _today(on)
        selection.credit_record = _credit_record(
            principal, "inspection", f"{task.code}-{selection.code}", selection.entity, task.department,
            f"双随机抽查:{task.name}({InspectionOutcome(outcome).label})", selection.inspected_on,
            outcome=CREDIT_OUTCOME.get(outcome, "failed"), content=note)
        selection.save()
        audit.record(principal, "supervision.result_entered", selection, {"outcome": outcome})
    return selection


def finish_results(principal: Principal, task: InspectionTask, today: dt.date | None = None) -> InspectionTask:
    if task.selections.filter(outcome="").exists():
        raise ValidationError("尚有检查对象未录入结果", code="results_missing")
    return _perform(principal, task, RESULTS_STEP)


def publish_results(principal: Principal, task: InspectionTask, on: dt.date | None = None) -> InspectionTask:
    def apply(obj: InspectionTask) -> None:
        obj.results_published_on = _today(on)

    return _perform(principal, task, PUBLISH_STEP, apply)


def overdue_tasks(today: dt.date | None = None) -> QuerySet[InspectionTask]:
    return InspectionTask.objects.filter(status__in=[TaskStatus.INSPECTING, TaskStatus.RESULTS_ENTERED],
                                         deadline__lt=_today(today))


def escalate_overdue(today: dt.date | None = None) -> int:
    """Results not published within the deadline: the lead department and the data bureau are told."""
    from regshare.core.services import notify_data_bureau, notify_department

    count = 0
    for task in overdue_tasks(today).select_related("department"):
        title = f"抽查任务 {task.code} 已超过期限({task.deadline})未完成“{task.get_status_display()}”后续环节"
        notify_department(task.department, "supervision.task_overdue", title, link=f"/supervision/tasks/{task.pk}/")
        notify_data_bureau("supervision.task_overdue", title, link=f"/supervision/tasks/{task.pk}/")
        audit.record("system", "supervision.task_escalated", task, {"deadline": str(task.deadline)})
        count += 1
    return count


# ---------------------------------------------------------------- complaints and reports (投诉举报, 12345)

def _match(rule: RoutingRule, category: str, area: str, content: str) -> bool:
    if rule.category and rule.category != category:
        return False
    if rule.area_prefix and not (area or "").startswith(rule.area_prefix):
        return False
    words = [w.strip() for w in rule.keywords.replace(",", ",").split(",") if w.strip()]
    return not words or any(w in content for w in words)


def route_for(rules: Iterable[RoutingRule], category: str, area: str, content: str) -> RoutingRule | None:
    """The first rule (by position) whose conditions all hold."""
    for rule in rules:
        if rule.active and _match(rule, category, area, content):
            return rule
    return None


def dry_run(proposed: list[RoutingRule], orders: QuerySet[Complaint] | None = None, limit: int = 2000) -> dict:
    """What a rule change would do to past orders: how many would go elsewhere, and examples."""
    current = list(RoutingRule.objects.filter(active=True).select_related("department"))
    proposed = sorted(proposed, key=lambda r: (r.position, r.pk or 0))
    orders = orders if orders is not None else Complaint.objects.order_by("-received_on", "-id")
    changed, unrouted, examples, total = 0, 0, [], 0
    for order in orders[:limit]:
        total += 1
        before = route_for(current, order.category, order.area, order.content)
        after = route_for(proposed, order.category, order.area, order.content)
        b = before.department if before else None
        a = after.department if after else None
        if a is None:
            unrouted += 1
        if (b and b.pk) != (a and a.pk):
            changed += 1
            if len(examples) < 20:
                examples.append({"order_no": order.order_no, "category": order.category,
                                 "before": b.name if b else "未匹配", "after": a.name if a else "未匹配"})
    return {"orders": total, "changed": changed, "unrouted": unrouted, "examples": examples}


def save_routing_rule(principal: Principal, rule: RoutingRule) -> RoutingRule:
    require(principal, "supervision.manage_routing")
    with transaction.atomic():
        rule.save()
        audit.record(principal, "supervision.routing_rule_saved", rule,
                     {"department": rule.department.code, "keywords": rule.keywords, "category": rule.category})
    return rule


def intake(principal: Principal, data: dict, source: str = "api") -> Complaint:
    """A new work order; linked to the entity by credit code or exact name, routed at once by the rules."""
    require(principal, "supervision.complaint_intake")
    order_no = str(data.get("order_no") or "").strip()
    content = str(data.get("content") or "").strip()
    if not order_no or not content:
        raise ValidationError("工单编号和诉求内容不能为空", code="field_required")
    received = data.get("received_on") or _today()
    if not isinstance(received, dt.date):
        raise ValidationError("受理登记日期格式不正确", code="invalid_date")
    with transaction.atomic():
        if Complaint.objects.filter(order_no=order_no).exists():
            raise ValidationError(f"工单编号已存在: {order_no}", code="duplicate_order_no")
        complaint = Complaint.objects.create(
            order_no=order_no, source=source, kind=data.get("kind") or "complaint", received_on=received,
            complainant=str(data.get("complainant") or "")[:50], phone=str(data.get("phone") or "")[:30],
            category=str(data.get("category") or "")[:60], area=str(data.get("area") or "")[:12],
            subject_name=str(data.get("subject_name") or "")[:200], content=content,
            entity=_entity_for(data.get("uscc"), data.get("subject_name")),
            deadline=add_workdays(received, settings.SUPERVISION_COMPLAINT_ACCEPT_WORKDAYS))
        ComplaintEvent.objects.create(complaint=complaint, action="接收", actor=_actor_label(principal),
                                      note=ComplaintSourceLabel.get(source, source))
        audit.record(principal, "supervision.complaint_received", complaint, {"order_no": order_no})
        _route(complaint, principal)
    return complaint


ComplaintSourceLabel = {"12345": "12345热线", "api": "系统接口", "form": "网上填报", "import": "工单导入"}


def _entity_for(uscc: object, name: object) -> Entity | None:
    from regshare.core.codes import clean_uscc

    code = clean_uscc(uscc)
    if code:
        entity = Entity.objects.filter(uscc=code).first()
        if entity:
            return entity
    name = str(name or "").strip()
    return Entity.objects.filter(name=name).first() if name else None


def _route(complaint: Complaint, principal: Principal | str) -> None:
    rule = route_for(RoutingRule.objects.filter(active=True).select_related("department"), complaint.category,
                     complaint.area, complaint.content)
    if rule is None:
        return
    complaint.department = rule.department
    complaint.save(update_fields=["department"])
    ComplaintEvent.objects.create(complaint=complaint, action="分派", to_department=rule.department,
                                  actor="分派规则", note=rule.name)


def _complaint_may_act(principal: Principal, complaint: Complaint) -> bool:
    return _in_departments(principal, [complaint.department])


def _complaint_step(name, label, source, target, days=None) -> workflow.Transition:
    return Step(name, label, source, target, "supervision.complaint_handle", days, f"supervision.complaint.{name}",
                _complaint_may_act)


ACCEPT = _complaint_step("accept", "受理", (ComplaintStatus.RECEIVED,), ComplaintStatus.ACCEPTED,
                         _days("SUPERVISION_COMPLAINT_HANDLE_WORKDAYS"))
REFUSE = _complaint_step("refuse", "不予受理", (ComplaintStatus.RECEIVED,), ComplaintStatus.REFUSED,
                         _days("SUPERVISION_COMPLAINT_REPLY_WORKDAYS"))
ASSIGN = _complaint_step("assign", "交办处理", (ComplaintStatus.ACCEPTED,), ComplaintStatus.ROUTED,
                         _days("SUPERVISION_COMPLAINT_HANDLE_WORKDAYS"))
HANDLE = _complaint_step("handle", "办结", (ComplaintStatus.ACCEPTED, ComplaintStatus.ROUTED), ComplaintStatus.HANDLED,
                         _days("SUPERVISION_COMPLAINT_REPLY_WORKDAYS"))
REPLY = _complaint_step("reply", "答复", (ComplaintStatus.HANDLED, ComplaintStatus.REFUSED), ComplaintStatus.REPLIED)
CLOSE = _complaint_step("close", "归档", (ComplaintStatus.REPLIED,), ComplaintStatus.CLOSED)
COMPLAINT_STEPS = {s.name: s for s in (ACCEPT, REFUSE, ASSIGN, HANDLE, REPLY, CLOSE)}
def _of_own_department(field: str) -> workflow.PendingQuery:
    """Objects whose ``field`` names the principal's department wait for it."""
    def pending(principal: Principal) -> Q | None:
        return Q(**{f"{field}_id": principal.department_id}) if principal.department_id is not None else None

    return pending


_complaint_department = _of_own_department("department")


COMPLAINT_FLOW = workflow.Workflow(
    name="supervision.complaint", model="supervision.Complaint", state_field="status", deadline_field="deadline",
    label="投诉举报", initial=ComplaintStatus.RECEIVED, initial_pending=_complaint_department,
    transitions=_waiting_for(_complaint_department, COMPLAINT_STEPS.values(),
                             done=[ComplaintStatus.REPLIED, ComplaintStatus.CLOSED]),
    pending_title=lambda c: f"工单 {c.order_no}", pending_link=lambda c: f"/supervision/complaints/{c.pk}/")


def complaint_step(principal: Principal, complaint: Complaint, name: str, note: str = "",
                   today: dt.date | None = None, **data) -> Complaint:
    step = COMPLAINT_STEPS.get(name)
    if step is None:
        raise ValidationError(f"未知的办理环节: {name}", code="unknown_step")
    if complaint.department_id is None:
        raise ValidationError("工单尚未分派承办部门", code="not_routed")
    if name == "refuse" and not note.strip():
        raise ValidationError("不予受理须说明理由", code="reason_required")
    if name == "reply" and not (data.get("reply") or note).strip():
        raise ValidationError("答复内容不能为空", code="reply_required")

    def apply(obj: Complaint) -> None:
        if name == "handle" and data.get("substantiated") is not None:
            obj.substantiated = bool(data["substantiated"])
        if name == "reply":
            obj.reply = (data.get("reply") or note).strip()
        if name == "close" and data.get("satisfaction"):
            if data["satisfaction"] not in ("satisfied", "basic", "unsatisfied"):
                raise ValidationError("满意度取值不正确", code="invalid_satisfaction")
            obj.satisfaction = data["satisfaction"]
        ComplaintEvent.objects.create(complaint=obj, action=step.label, from_department=obj.department,
                                      actor=_actor_label(principal), note=note)

    complaint = _perform(principal, complaint, step, apply)
    if name == "handle" and complaint.entity_id and complaint.substantiated is not None:
        _credit_record(principal, "complaint", complaint.order_no, complaint.entity, complaint.department,
                       f"投诉举报:{complaint.category or '未分类'}", _today(today),
                       outcome="substantiated" if complaint.substantiated else "unsubstantiated")
    return complaint


def transfer(principal: Principal, complaint: Complaint, to: Department, note: str) -> Complaint:
    """转办: the work order moves to another department, with a reason on the trail."""
    require(principal, "supervision.complaint_handle")
    if not note.strip():
        raise ValidationError("转办须说明理由", code="reason_required")
    with transaction.atomic():
        c = Complaint.objects.select_for_update().get(pk=complaint.pk)
        _acts_for(principal, c.department)
        if c.status not in (ComplaintStatus.RECEIVED, ComplaintStatus.ACCEPTED, ComplaintStatus.ROUTED):
            raise ValidationError(f"当前状态为“{c.get_status_display()}”,不能转办", code="wrong_state")
        if c.department_id == to.pk:
            raise ValidationError("不能转办给本部门", code="same_department")
        ComplaintEvent.objects.create(complaint=c, action="转办", from_department=c.department, to_department=to,
                                      actor=_actor_label(principal), note=note)
        c.department = to
        c.save(update_fields=["department"])
        audit.record(principal, "supervision.complaint_transferred", c, {"to": to.code})
    return c


def overdue_complaints(today: dt.date | None = None, far: bool = False) -> QuerySet[Complaint]:
    """Open orders past their deadline; ``far``: by more than SUPERVISION_COMPLAINT_ALARM_WORKDAYS."""
    today = _today(today)
    qs = Complaint.objects.exclude(status__in=[ComplaintStatus.CLOSED, ComplaintStatus.REPLIED]).filter(
        deadline__lt=today)
    if not far:
        return qs
    ids = [c.pk for c in qs.only("pk", "deadline")
           if workdays_between(c.deadline, today) > settings.SUPERVISION_COMPLAINT_ALARM_WORKDAYS]
    return qs.filter(pk__in=ids)


def alarm_overdue_complaints(today: dt.date | None = None) -> int:
    from regshare.core.services import notify_data_bureau, notify_department

    count = 0
    for c in overdue_complaints(today, far=True).select_related("department"):
        title = f"投诉举报工单 {c.order_no} 已严重超期(期限 {c.deadline})"
        if c.department:
            notify_department(c.department, "supervision.complaint_alarm", title,
                              link=f"/supervision/complaints/{c.pk}/")
        notify_data_bureau("supervision.complaint_alarm", title, link=f"/supervision/complaints/{c.pk}/")
        count += 1
    return count


def complaint_figures(qs: QuerySet[Complaint], today: dt.date | None = None) -> dict:
    today = _today(today)
    by_department = list(qs.values("department__name").annotate(n=Count("id")).order_by("-n"))
    by_category = list(qs.values("category").annotate(n=Count("id")).order_by("-n"))
    overdue = qs.exclude(status__in=[ComplaintStatus.CLOSED, ComplaintStatus.REPLIED]).filter(
        deadline__lt=today).count()
    satisfied = qs.filter(satisfaction__in=["satisfied", "basic"]).count()
    rated = qs.exclude(satisfaction="").count()
    return {"total": qs.count(), "overdue": overdue, "satisfaction_rate": round(satisfied / rated, 3) if rated else None,
            "by_department": [{"department": r["department__name"] or "未分派", "count": r["n"]} for r in by_department],
            "by_category": [{"category": r["category"] or "未分类", "count": r["n"]} for r in by_category]}


# ---------------------------------------------------------------- assistance (协查协办) and cases

def request_assistance(principal: Principal, requester: Department, target: Department, subject: str, content: str,
                       entity: Entity | None = None, case: Case | None = None,
                       today: dt.date | None = None) -> AssistanceRequest:
    require(principal, "supervision.assist")
    _acts_for(principal, requester)
    if requester.pk == target.pk:
        raise ValidationError("协查部门不能是发起部门本身", code="same_department")
    if not subject.strip() or not content.strip():
        raise ValidationError("协查事项和内容不能为空", code="field_required")
    from regshare.core.services import notify_department

    with transaction.atomic():
        req = AssistanceRequest.objects.create(
            requester=requester, target=target, subject=subject.strip()[:200], content=content, entity=entity,
            case=case, deadline=add_workdays(_today(today), settings.SUPERVISION_ASSISTANCE_WORKDAYS))
        audit.record(principal, "supervision.assistance_requested", req, {"target": target.code})
        if case is not None:
            case.departments.add(target)
            CaseEvent.objects.create(case=case, department=requester, actor=_actor_label(principal),
                                     action="发起协查", note=f"{target.name}:{req.subject}")
        notify_department(target, "supervision.assistance", f"协查请求:{req.subject}", content[:200],
                          f"/supervision/assistance/{req.pk}/")
    return req


ASSIST_ACCEPT = Step("accept", "接收", (AssistanceStatus.REQUESTED,), AssistanceStatus.ACCEPTED, "supervision.assist",
                     _days("SUPERVISION_ASSISTANCE_WORKDAYS"), "supervision.assistance.accepted",
                     lambda p, r: _in_departments(p, [r.target]))
ASSIST_REPLY = Step("reply", "反馈", (AssistanceStatus.ACCEPTED,), AssistanceStatus.REPLIED, "supervision.assist",
                    None, "supervision.assistance.replied", lambda p, r: _in_departments(p, [r.target]))
# Closing belongs to the requester, who judges the reply.
ASSIST_CLOSE = Step("close", "办结", (AssistanceStatus.REPLIED,), AssistanceStatus.CLOSED, "supervision.assist",
                    None, "supervision.assistance.closed", lambda p, r: _in_departments(p, [r.requester]))
# A request waits for the department asked, until it has replied.
_asked_department = _of_own_department("target")


ASSISTANCE_FLOW = workflow.Workflow(
    name="supervision.assistance", model="supervision.AssistanceRequest", state_field="status",
    deadline_field="deadline", label="协查协办", initial=AssistanceStatus.REQUESTED, initial_pending=_asked_department,
    transitions=_waiting_for(_asked_department, [ASSIST_ACCEPT, ASSIST_REPLY, ASSIST_CLOSE],
                             done=[AssistanceStatus.REPLIED, AssistanceStatus.CLOSED]),
    pending_title=lambda r: f"协查:{r.subject}", pending_link=lambda r: f"/supervision/assistance/{r.pk}/")


def assistance_step(principal: Principal, req: AssistanceRequest, name: str, reply: str = "",
                    today: dt.date | None = None) -> AssistanceRequest:
    step = {"accept": ASSIST_ACCEPT, "reply": ASSIST_REPLY, "close": ASSIST_CLOSE}.get(name)
    if step is None:
        raise ValidationError(f"未知的办理环节: {name}", code="unknown_step")
    if name == "reply" and not reply.strip():
        raise ValidationError("反馈内容不能为空", code="reply_required")
    def apply(obj: AssistanceRequest) -> None:
        if name == "reply":
            obj.reply = reply.strip()
        if obj.case_id:
            CaseEvent.objects.create(case=obj.case, department=principal.department, actor=_actor_label(principal),
                                     action=f"协查{step.label}", note=obj.subject)

    return _perform(principal, req, step, apply)


def open_case(principal: Principal, title: str, lead: Department, summary: str, kind: str = "case",
              entity: Entity | None = None, departments: Iterable[Department] = (),
              today: dt.date | None = None) -> Case:
    require(principal, "supervision.case")
    _acts_for(principal, lead)
    if not title.strip() or not summary.strip():
        raise ValidationError("名称和案情摘要不能为空", code="field_required")
    if kind not in ("event", "case"):
        raise ValidationError("类别应为重点事件或重大案件", code="invalid_choice")
    with transaction.atomic():
        case = Case.objects.create(title=title.strip()[:200], kind=kind, lead_department=lead, summary=summary,
                                   entity=entity, opened_on=_today(today),
                                   deadline=add_workdays(_today(today), settings.SUPERVISION_CASE_STEP_WORKDAYS))
        case.departments.set([d for d in departments if d.pk != lead.pk])
        CaseEvent.objects.create(case=case, department=lead, actor=_actor_label(principal), action="立案",
                                 note=summary[:500])
        audit.record(principal, "supervision.case_opened", case, {"title": case.title})
    return case


def _case_lead(principal: Principal, case: Case) -> bool:
    return _in_departments(principal, [case.lead_department])


CASE_STEPS = {
    "investigate": Step("investigate", "开始调查处置", (CaseStatus.OPEN,), CaseStatus.INVESTIGATING, "supervision.case",
                        _days("SUPERVISION_CASE_STEP_WORKDAYS"), "supervision.case.investigating", _case_lead),
    "decide": Step("decide", "作出处理", (CaseStatus.INVESTIGATING,), CaseStatus.DECIDED, "supervision.case",
                   _days("SUPERVISION_CASE_STEP_WORKDAYS"), "supervision.case.decided", _case_lead),
    "close": Step("close", "结案", (CaseStatus.DECIDED,), CaseStatus.CLOSED, "supervision.case", None,
                  "supervision.case.closed", _case_lead),
}
CASE_FLOW = workflow.Workflow(
    name="supervision.case", model="supervision.Case", state_field="status", deadline_field="deadline",
    label="重点事件与案件", transitions=list(CASE_STEPS.values()),
    pending_title=lambda c: c.title, pending_link=lambda c: f"/supervision/cases/{c.pk}/")
FLOWS = (TASK_FLOW, COMPLAINT_FLOW, ASSISTANCE_FLOW, CASE_FLOW)


def case_step(principal: Principal, case: Case, name: str, note: str = "", today: dt.date | None = None) -> Case:
    step = CASE_STEPS.get(name)
    if step is None:
        raise ValidationError(f"未知的办理环节: {name}", code="unknown_step")

    def apply(obj: Case) -> None:
        if name == "close":
            obj.closed_on = _today(today)
        CaseEvent.objects.create(case=obj, department=principal.department, actor=_actor_label(principal),
                                 action=step.label, note=note)

    return _perform(principal, case, step, apply)


def involved_in_case(principal: Principal, case: Case) -> bool:
    """The lead and every involved department (and overseers) write to the case's timeline."""
    return _in_departments(principal, [case.lead_department, *case.departments.all()])


def add_case_event(principal: Principal, case: Case, action: str, note: str = "") -> CaseEvent:
    """Any involved department adds to the one timeline (response, measure, result)."""
    require(principal, "supervision.case")
    _acts_for(principal, case.lead_department, *case.departments.all())
    if not action.strip():
        raise ValidationError("事件名称不能为空", code="field_required")
    event = CaseEvent.objects.create(case=case, department=principal.department, actor=_actor_label(principal),
                                     action=action.strip()[:60], note=note)
    audit.record(principal, "supervision.case_event", case, {"action": event.action})
    return event


# ---------------------------------------------------------------- entity page and dashboard

def entity_summary(principal: Principal, entity: Entity) -> dict:
    return {
        "records": SupervisionRecord.objects.visible_to(principal).filter(entity=entity)
        .select_related("department", "item")[:20],
        "inspections": DrawSelection.objects.filter(entity=entity, task__in=InspectionTask.objects.visible_to(
            principal)).select_related("task")[:20],
        "complaints": Complaint.objects.visible_to(principal).filter(entity=entity)[:20],
    }
