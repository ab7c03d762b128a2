"""Rules of the security-incident register (SPEC §1; seed 000 五(三), 002 第二十二条).

An incident is registered at discovery with its grade; the report deadline (hours per grade) is fixed
then. The registering department reports to the data bureau and upward; the involved departments and the
data bureau log handling steps; the data bureau or the resource's provider cuts the sharing channel of the
involved grants and may revoke them; a data-bureau person other than the one who registered it closes the
incident after review. Every change is audited and notified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from regshare.catalog.models import Resource
from regshare.core import audit, workflow
from regshare.core import services as core
from regshare.core.models import ApiToken, Department
from regshare.core.permissions import Principal, is_data_bureau, require
from regshare.exchange import services as exchange
from regshare.exchange.models import Grant, GrantStatus, Subscription

from .models import Grade, Incident, IncidentReport, IncidentStatus, IncidentStep, ReportLevel, StepKind

# Hours from discovery within which the incident must be reported to the data bureau and upward.
DEFAULT_REPORT_HOURS = {Grade.ESPECIALLY_MAJOR: 1, Grade.MAJOR: 1, Grade.LARGE: 2, Grade.GENERAL: 24}
MAX_TEXT = 5000
# Dates near year 1 cannot be converted between time zones by every database; no real incident is that old.
EARLIEST_DISCOVERY = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def report_hours(grade: str) -> int:
    configured = getattr(settings, "REGSHARE_INCIDENT_REPORT_HOURS", None) or {}
    return int(configured.get(grade, DEFAULT_REPORT_HOURS[grade]))


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _aware(moment: dt.datetime) -> dt.datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _encodable(value: str, label: str) -> str:
    # Lone surrogates (possible in JSON) and NUL cannot be stored or compared by every database.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(f"{label}含有无效字符", code="bad_text") from exc
    if "\x00" in value:
        raise ValidationError(f"{label}含有无效字符", code="bad_text")
    return value


def _text(value: str | None, label: str, code: str, *, limit: int = MAX_TEXT) -> str:
    value = _encodable((value or "").strip(), label)
    if not value:
        raise ValidationError(f"请填写{label}", code=code)
    if len(value) > limit:
        raise ValidationError(f"{label}不能超过 {limit} 个字", code=code)
    return value


def _department_of(principal: Principal) -> Department:
    if principal.user is None or principal.department is None:
        raise PermissionDenied("您尚未分配部门,不能办理安全事件")
    return principal.department


def _involved(actor: Principal, incident: Incident) -> bool:
    if is_data_bureau(actor):
        return True
    department = actor.department
    return department is not None and (department.pk == incident.department_id
                                       or incident.departments.filter(pk=department.pk).exists())


def _require_involved(actor: Principal, incident: Incident) -> None:
    if not _involved(actor, incident):
        raise PermissionDenied("只有登记部门、涉及部门或数据管理部门可以办理该事件")


def _require_open(incident: Incident) -> None:
    if incident.status == IncidentStatus.CLOSED:
        raise ValidationError("事件已结案,不能再办理", code="incident_closed")


def _step(incident: Incident, kind: str, actor: Principal, description: str, at: dt.datetime) -> IncidentStep:
    return IncidentStep.objects.create(incident=incident, kind=kind, happened_at=at, description=description,
                                       actor=actor.user)


def _link(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/"


def _notify_involved(incident: Incident, kind: str, title: str, body: str, *, skip: Department | None = None) -> None:
    recipients = {incident.department_id: incident.department}
    recipients.update({d.pk: d for d in incident.departments.all()})
    for department in recipients.values():
        if skip is None or department.pk != skip.pk:
            core.notify_department(department, kind, title, body, _link(incident))


# ----------------------------------------------------------------------------- registration


@dataclass
class IncidentInput:
    title: str
    grade: str
    description: str
    discovered_at: dt.datetime
    discoverer: str = ""
    resource_codes: list[str] = field(default_factory=list)
    grant_ids: list[int] = field(default_factory=list)
    department_codes: list[str] = field(default_factory=list)


def _next_number(moment: dt.datetime) -> str:
    prefix = f"AQ{timezone.localtime(moment):%Y%m%d}"
    return f"{prefix}{Incident.objects.filter(number__startswith=prefix).count() + 1:03d}"


def _resources(actor: Principal, codes: Iterable[str]) -> list[Resource]:

    codes = sorted({_encodable(c.strip(), "数据资源代码") for c in codes if c and c.strip()})
    found = {r.code: r for r in Resource.objects.visible_to(actor).filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationError(f"数据资源不存在或无权查看:{'、'.join(missing)}", code="unknown_resource")
    return [found[c] for c in codes]


def _grants(actor: Principal, ids: Iterable[int]) -> list[Grant]:
    ids = sorted(set(ids))
    found = {g.pk: g for g in Grant.objects.visible_to(actor).filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(f"共享授权不存在或无权查看:#{'、#'.join(missing)}", code="unknown_grant")
    return [found[i] for i in ids]


def _departments(codes: Iterable[str]) -> list[Department]:
    codes = sorted({_encodable(c.strip(), "部门编码") for c in codes if c and c.strip()})
    found = {d.code: d for d in Department.objects.filter(code__in=codes, active=True)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationError(f"部门不存在:{'、'.join(missing)}", code="unknown_department")
    return [found[c] for c in codes]


def register_incident(actor: Principal, data: IncidentInput, *, now: dt.datetime | None = None) -> Incident:
    """Register a discovered incident; its report deadline is fixed now from the grade's hours."""
    require(actor, "incidents.register")
    department = _department_of(actor)
    now = _now(now)
    if data.grade not in Grade.values:
        raise ValidationError(f"事件等级须为 {'、'.join(Grade.labels)} 之一", code="bad_grade")
    title = _text(data.title, "事件名称", "missing_title", limit=200)
    description = _text(data.description, "事件经过", "missing_description")
    discoverer = _encodable((data.discoverer or "").strip(), "发现人")[:100] or str(actor.user)
    if data.discovered_at is None:
        raise ValidationError("请填写发现时间", code="bad_discovered_at")
    discovered_at = _aware(data.discovered_at)
    if discovered_at > now:
        raise ValidationError("发现时间不能晚于当前时间", code="bad_discovered_at")
    if discovered_at < EARLIEST_DISCOVERY:
        raise ValidationError("发现时间不能早于 2000 年", code="bad_discovered_at")
    resources = _resources(actor, data.resource_codes)
    grants = _grants(actor, data.grant_ids)
    named = _departments(data.department_codes)
    involved = {d.pk: d for d in named}
    for grant in grants:
        involved[grant.consumer_id] = grant.consumer
        involved[grant.resource.provider_id] = grant.resource.provider
    for resource in resources:
        involved[resource.provider_id] = resource.provider
    involved.pop(department.pk, None)
    hours = report_hours(data.grade)
    deadline = discovered_at + dt.timedelta(hours=hours)
    # When the data bureau itself registers the incident, it has been reported to the bureau by that act.
    by_bureau = department.is_data_bureau
    with transaction.atomic():
        incident = Incident.objects.create(
            number=_next_number(now), title=title, grade=data.grade, description=description,
            discovered_at=discovered_at, discoverer=discoverer, department=department, registered_by=actor.user,
            report_hours=hours, report_deadline=deadline, bureau_reported_at=now if by_bureau else None)
        incident.resources.set(resources)
        incident.grants.set(grants)
        incident.departments.set(involved.values())
        _step(incident, StepKind.REGISTER, actor, f"登记事件({incident.get_grade_display()}):{title}", now)
        if by_bureau:
            IncidentReport.objects.create(incident=incident, level=ReportLevel.BUREAU, recipient=department.name,
                                          content="由数据管理部门直接登记", reported_at=now, reported_by=actor.user,
                                          on_time=now <= deadline)
        audit.record(actor, "incidents.register", incident, {
            "number": incident.number, "grade": data.grade, "discovered_at": discovered_at,
            "report_deadline": deadline, "resources": [r.code for r in resources], "grants": [g.pk for g in grants],
            "departments": sorted(d.code for d in involved.values())})
        title_text = f"数据安全事件({incident.get_grade_display()}):{title}"
        body = (f"{department.name}于 {timezone.localtime(discovered_at):%Y-%m-%d %H:%M} 发现,"
                f"须在 {timezone.localtime(deadline):%Y-%m-%d %H:%M} 前报告区数据管理局并向上级报告。")
        core.notify_data_bureau("incidents.registered", title_text, body, _link(incident))
        _notify_involved(incident, "incidents.registered", title_text, body, skip=department)
    return incident


# ----------------------------------------------------------------------------- reports and handling


def report(actor: Principal, incident: Incident, level: str, recipient: str, content: str, *,
           now: dt.datetime | None = None) -> IncidentReport:
    """Record the report to the data bureau or upward; a late report is kept and flagged, not refused."""
    require(actor, "incidents.handle")
    if level not in ReportLevel.values:
        raise ValidationError("报告类别须为 报告区数据管理局(bureau)或 向上级报告(upward)", code="bad_level")
    department = _department_of(actor)
    if not (is_data_bureau(actor) or department.pk == incident.department_id):
        raise PermissionDenied("只有登记部门或数据管理部门可以报告该事件")
    _require_open(incident)
    recipient = _text(recipient, "报告对象", "missing_recipient", limit=100)
    content = _text(content, "报告内容", "missing_content")
    if incident.reports.filter(level=level).exists():
        raise ValidationError(f"该事件已{ReportLevel(level).label},不能重复登记", code="already_reported")
    now = _now(now)
    on_time = now <= incident.report_deadline
    with transaction.atomic():
        entry = IncidentReport.objects.create(incident=incident, level=level, recipient=recipient, content=content,
                                              reported_at=now, reported_by=actor.user, on_time=on_time)
        if level == ReportLevel.BUREAU:
            incident.bureau_reported_at = now
        else:
            incident.upward_reported_at = now
        incident.save(update_fields=["bureau_reported_at", "upward_reported_at"])
        late = "" if on_time else "(逾期报告)"
        _step(incident, StepKind.REPORT, actor, f"{entry.get_level_display()}{late}:{recipient}", now)
        audit.record(actor, "incidents.report", incident, {"level": level, "recipient": recipient,
                                                           "on_time": on_time})
        if incident.bureau_reported_at and incident.upward_reported_at:
            workflow.perform(actor, incident, "reported")
        if level == ReportLevel.BUREAU:
            core.notify_data_bureau("incidents.reported", f"安全事件报告{late}:{incident.title}", content,
                                    _link(incident))
    return entry


def add_step(actor: Principal, incident: Incident, description: str, happened_at: dt.datetime | None = None, *,
             now: dt.datetime | None = None) -> IncidentStep:
    require(actor, "incidents.handle")
    _department_of(actor)
    _require_involved(actor, incident)
    _require_open(incident)
    description = _text(description, "处置情况", "missing_description")
    now = _now(now)
    happened_at = _aware(happened_at) if happened_at is not None else now
    if happened_at > now:
        raise ValidationError("处置时间不能晚于当前时间", code="bad_time")
    if happened_at < incident.discovered_at:
        raise ValidationError("处置时间不能早于事件发现时间", code="bad_time")
    with transaction.atomic():
        step = _step(incident, StepKind.HANDLING, actor, description, happened_at)
        audit.record(actor, "incidents.step", incident, {"step": step.pk, "happened_at": happened_at})
    return step


# ----------------------------------------------------------------------------- channel cut and revocation


def channel_grants(incident: Incident) -> list[Grant]:
    """The grants whose channels the incident concerns: those named, and every active grant of a named resource."""
    named = Q(pk__in=incident.grants.values("pk"))
    of_resources = Q(resource__in=incident.resources.values("pk"), status=GrantStatus.ACTIVE)
    return list(Grant.objects.filter(named | of_resources).select_related("resource", "consumer").order_by("pk"))


def open_channels(incident: Incident) -> list[Grant]:
    """Grants of the incident that still have a live token or an active subscription."""
    grants = channel_grants(incident)
    ids = [g.pk for g in grants]
    with_token = set(ApiToken.objects.filter(grant_binding__grant__in=ids, revoked_at__isnull=True)
                     .values_list("grant_binding__grant", flat=True))
    subscribed = set(Subscription.objects.filter(grant__in=ids, active=True).values_list("grant", flat=True))
    return [g for g in grants if g.pk in with_token | subscribed]


def cut_channel(actor: Principal, incident: Incident, reason: str, *, now: dt.datetime | None = None) -> Incident:
    """切断共享通道 for every active grant of the incident (all or none) and keep it shut until closing."""
    require(actor, "incidents.cut")
    _department_of(actor)
    _require_involved(actor, incident)
    _require_open(incident)
    reason = _text(reason, "切断理由", "reason_required")
    active = [g for g in channel_grants(incident) if g.status == GrantStatus.ACTIVE]
    if not active:
        raise ValidationError("该事件未涉及仍有效的共享授权,没有可切断的共享通道", code="no_channel")
    now = _now(now)
    with transaction.atomic():
        totals = {"tokens": 0, "subscriptions": 0, "deliveries": 0}
        for grant in active:
            cut = exchange.cut_channel(actor, grant, f"安全事件 {incident.number}:{reason}")
            totals = {"tokens": totals["tokens"] + cut.tokens,
                      "subscriptions": totals["subscriptions"] + cut.subscriptions,
                      "deliveries": totals["deliveries"] + cut.deliveries}
        incident.channel_cut_at = now
        incident.save(update_fields=["channel_cut_at"])
        grants_text = "、".join(f"#{g.pk}({g.resource.code}→{g.consumer.name})" for g in active)
        _step(incident, StepKind.CUT, actor,
              f"切断共享通道:授权 {grants_text};吊销令牌 {totals['tokens']} 个,停止订阅 {totals['subscriptions']} 个,"
              f"取消待推送 {totals['deliveries']} 次。理由:{reason}", now)
        audit.record(actor, "incidents.cut", incident, {"grants": [g.pk for g in active], **totals,
                                                        "reason": reason})
        core.notify_data_bureau("incidents.cut", f"安全事件 {incident.number} 已切断共享通道", grants_text,
                                _link(incident))
    return incident


def revoke_grant(actor: Principal, incident: Incident, grant_id: int, reason: str, *,
                 now: dt.datetime | None = None) -> Grant:
    """收回使用权 from the incident: the grant ends (exchange.revoke_grant checks provider or data bureau)."""
    require(actor, "incidents.cut")
    _department_of(actor)
    _require_involved(actor, incident)
    _require_open(incident)
    grant = next((g for g in channel_grants(incident) if g.pk == grant_id), None)
    if grant is None:
        raise ValidationError(f"授权 #{grant_id} 不在该事件涉及的范围内", code="grant_not_involved")
    reason = _text(reason, "收回理由", "reason_required")
    now = _now(now)
    with transaction.atomic():
        exchange.revoke_grant(actor, grant, f"安全事件 {incident.number}:{reason}")
        _step(incident, StepKind.REVOKE, actor,
              f"收回授权 #{grant.pk}({grant.resource.code}→{grant.consumer.name})。理由:{reason}", now)
        audit.record(actor, "incidents.revoke", incident, {"grant": grant.pk, "reason": reason})
    return grant


def channel_refusal(grant: Grant) -> str | None:
    """Registered with the exchange: while an open incident holds a grant's channel shut, no new token or
    subscription reopens it."""
    holding = (Incident.objects.exclude(status=IncidentStatus.CLOSED).filter(channel_cut_at__isnull=False)
               .filter(Q(grants=grant) | Q(resources=grant.resource_id)).order_by("pk").first())
    if holding is None:
        return None
    return f"该授权涉及未结案的安全事件 {holding.number},共享通道已切断,结案前不能签发令牌或新建订阅"


# ----------------------------------------------------------------------------- closing


def close(actor: Principal, incident: Incident, review: str, *, now: dt.datetime | None = None) -> Incident:
    """结案复核: by a data-bureau person other than the one who registered the incident."""
    _department_of(actor)
    refusal = workflow.acting_refusal(actor, incident, "close")
    if refusal:
        raise PermissionDenied(refusal)
    _require_open(incident)
    review = _text(review, "复核意见", "review_required")
    if not (incident.bureau_reported_at and incident.upward_reported_at):
        raise ValidationError("事件尚未完成报告(报告区数据管理局和向上级报告),不能结案", code="not_reported")
    if not incident.steps.filter(kind__in=[StepKind.HANDLING, StepKind.CUT, StepKind.REVOKE]).exists():
        raise ValidationError("尚无处置记录,不能结案", code="no_handling")
    still_open = open_channels(incident)
    if still_open:
        names = "、".join(f"#{g.pk}" for g in still_open)
        raise ValidationError(f"授权 {names} 的共享通道仍未切断,不能结案", code="channel_open")
    now = _now(now)
    with transaction.atomic():
        workflow.perform(actor, incident, "close", review=review, now=now)
        _step(incident, StepKind.CLOSE, actor, f"结案复核:{review}", now)
        _notify_involved(incident, "incidents.closed", f"安全事件已结案:{incident.title}", review)
    return incident


# ----------------------------------------------------------------------------- deadlines


def flag_overdue_reports(now: dt.datetime | None = None) -> int:
    """Notify the data bureau and the registering department once when a report deadline passes unmet."""
    now = _now(now)
    due = (Incident.objects.exclude(status=IncidentStatus.CLOSED)
           .filter(report_deadline__lt=now, overdue_flagged_at__isnull=True)
           .filter(Q(bureau_reported_at__isnull=True) | Q(upward_reported_at__isnull=True)))
    count = 0
    for incident in due.select_related("department"):
        with transaction.atomic():
            incident.overdue_flagged_at = now
            incident.save(update_fields=["overdue_flagged_at"])
            audit.record(audit.SYSTEM_ACTOR, "incidents.overdue", incident,
                         {"report_deadline": incident.report_deadline})
            title = f"安全事件逾期未报告:{incident.number} {incident.title}"
            body = f"报告期限 {timezone.localtime(incident.report_deadline):%Y-%m-%d %H:%M} 已过。"
            core.notify_data_bureau("incidents.overdue", title, body, _link(incident))
            core.notify_department(incident.department, "incidents.overdue", title, body, _link(incident))
        count += 1
    return count
