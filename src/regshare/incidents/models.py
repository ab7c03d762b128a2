"""Security-incident register (数据安全事件, SPEC §1; seed 000 五(三), 002 第二十二条): grade, discovery,
reports to the data bureau and upward within set hours, handling log, channel cut, closing review."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from regshare.catalog.models import Resource
from regshare.core.filters import Choice, Filters, Search
from regshare.core.models import Department
from regshare.core.permissions import require, sees_everything
from regshare.core.visibility import VisibleQuerySet
from regshare.exchange.models import Grant


class Grade(models.TextChoices):
    ESPECIALLY_MAJOR = "especially_major", "特别重大"
    MAJOR = "major", "重大"
    LARGE = "large", "较大"
    GENERAL = "general", "一般"


class IncidentStatus(models.TextChoices):
    REPORTING = "reporting", "待报告"
    HANDLING = "handling", "处置中"
    CLOSED = "closed", "已结案"


class ReportLevel(models.TextChoices):
    BUREAU = "bureau", "报告区数据管理局"
    UPWARD = "upward", "向上级报告"


class IncidentQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "number", "title"), Choice("grade", Grade), Choice("status", IncidentStatus))

    def visible_to(self, principal):
        """The data bureau and auditors see every incident; a department those it registered or is involved in."""
        require(principal, "incidents.view")
        items = self.select_related("department", "registered_by", "closed_by")
        if sees_everything(principal):
            return items
        if principal.department is None:
            return items.none()
        involved = Incident.objects.filter(departments=principal.department).values("pk")
        return items.filter(models.Q(department=principal.department) | models.Q(pk__in=involved))


class Incident(models.Model):
    number = models.CharField("事件编号", max_length=32, unique=True)
    title = models.CharField("事件名称", max_length=200)
    grade = models.CharField("事件等级", max_length=20, choices=Grade.choices, db_index=True)
    description = models.TextField("事件经过")
    discovered_at = models.DateTimeField("发现时间")
    discoverer = models.CharField("发现人/发现途径", max_length=100)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="登记部门")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                      verbose_name="登记人")
    resources = models.ManyToManyField(Resource, blank=True, related_name="+", verbose_name="涉及数据资源")
    grants = models.ManyToManyField(Grant, blank=True, related_name="+", verbose_name="涉及共享授权")
    departments = models.ManyToManyField(Department, blank=True, related_name="security_incidents",
                                         verbose_name="涉及部门")
    status = models.CharField("状态", max_length=12, choices=IncidentStatus.choices,
                              default=IncidentStatus.REPORTING, db_index=True)
    report_hours = models.PositiveIntegerField("报告时限(小时)")
    report_deadline = models.DateTimeField("报告期限", db_index=True)
    bureau_reported_at = models.DateTimeField("报告数据管理局时间", null=True, blank=True)
    upward_reported_at = models.DateTimeField("向上级报告时间", null=True, blank=True)
    overdue_flagged_at = models.DateTimeField("逾期提醒时间", null=True, blank=True)
    channel_cut_at = models.DateTimeField("切断共享通道时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name="结案复核人")
    closing_review = models.TextField("结案复核意见", blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "安全事件"
        ordering = ["-discovered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def report_overdue(self, now) -> bool:
        """A report is missing after the deadline, or was made after it."""
        for reported_at in (self.bureau_reported_at, self.upward_reported_at):
            if (reported_at or now) > self.report_deadline:
                return True
        return False


class IncidentReport(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reports")
    level = models.CharField("报告类别", max_length=10, choices=ReportLevel.choices)
    recipient = models.CharField("报告对象", max_length=100)
    content = models.TextField("报告内容")
    reported_at = models.DateTimeField("报告时间")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="报告人")
    on_time = models.BooleanField("按时报告")

    class Meta:
        verbose_name = verbose_name_plural = "事件报告"
        ordering = ["reported_at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "level"], name="one_report_per_level")]

    def __str__(self) -> str:
        return f"{self.incident.number} {self.get_level_display()}"


class StepKind(models.TextChoices):
    REGISTER = "register", "登记"
    REPORT = "report", "报告"
    HANDLING = "handling", "处置"
    CUT = "cut", "切断共享通道"
    REVOKE = "revoke", "收回授权"
    CLOSE = "close", "结案复核"


class IncidentStep(models.Model):
    """One dated entry of the handling log; the platform adds its own entries for reports, cuts and closing."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField("类别", max_length=10, choices=StepKind.choices)
    happened_at = models.DateTimeField("时间")
    description = models.TextField("内容")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="办理人")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "处置记录"
        ordering = ["happened_at", "id"]

    def __str__(self) -> str:
        return f"{self.incident.number} {self.get_kind_display()}"
