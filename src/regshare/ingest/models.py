"""Provision records: each load (数据归集) with its quality report, attachments, pull sources and
the monthly reporting duty (月度报送/零报告). The data itself lives in the lake, never here."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from regshare.catalog.models import Resource
from regshare.core.filters import Choice, Exact, Filters, Search
from regshare.core.models import Department
from regshare.core.permissions import is_data_bureau, require
from regshare.core.visibility import VisibleQuerySet, department_rows


class LoadStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "处理中"
    LOADED = "loaded", "已入库"
    REJECTED = "rejected", "已拒收"
    FAILED = "failed", "失败"


class LoadMode(models.TextChoices):
    REPLACE = "replace", "全量替换"
    MERGE = "merge", "增量合并"


class SourceKind(models.TextChoices):
    FILE = "file", "文件上传"
    TABLE = "table", "库表对接"
    API = "api", "接口拉取"


class LoadQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "resource__code", "resource__name", "file_name"), Choice("status", LoadStatus),
                      Exact("resource", "resource__code"))

    def visible_to(self, principal):
        """A department sees its own loads; the data bureau every load."""
        require(principal, "ingest.view")
        loads = self.select_related("resource", "department", "created_by")
        if is_data_bureau(principal):
            return loads
        return department_rows(loads, principal, "department")


class Load(models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="loads", verbose_name="数据资源")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="提供部门")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="操作人")
    actor_label = models.CharField("操作者", max_length=150, blank=True)
    source_kind = models.CharField("来源方式", max_length=8, choices=SourceKind.choices, default=SourceKind.FILE)
    file_name = models.CharField("文件名/来源", max_length=300, blank=True)
    stored_path = models.CharField("暂存文件", max_length=500, blank=True)
    file_format = models.CharField("文件格式", max_length=16, blank=True)
    encoding = models.CharField("编码", max_length=20, blank=True)
    mode = models.CharField("写入方式", max_length=8, choices=LoadMode.choices, default=LoadMode.REPLACE)
    status = models.CharField("状态", max_length=10, choices=LoadStatus.choices, default=LoadStatus.PENDING)
    stage = models.CharField("当前阶段", max_length=40, blank=True)
    progress = models.FloatField("进度", default=0.0)
    rows_in = models.BigIntegerField("读入行数", default=0)
    rows_loaded = models.BigIntegerField("入库行数", default=0)
    rows_rejected = models.BigIntegerField("无效行数", default=0)
    duplicates = models.BigIntegerField("重复行数", default=0)
    version = models.IntegerField("数据版本", null=True, blank=True)
    message = models.TextField("结果说明", blank=True)
    errors = models.JSONField("问题示例(前20行)", default=list, blank=True)
    ignored_columns = models.JSONField("未识别的列", default=list, blank=True)
    rejects_path = models.CharField("问题数据清单", max_length=500, blank=True)
    watermark_from = models.CharField("起始水位", max_length=100, blank=True)
    watermark_to = models.CharField("截止水位", max_length=100, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = LoadQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "数据归集"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["resource", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.resource.code} 第{self.pk}次归集"

    @property
    def is_finished(self) -> bool:
        return self.status in (LoadStatus.LOADED, LoadStatus.REJECTED, LoadStatus.FAILED)


class LoadAttachment(models.Model):
    """Word/PDF documents that come with a load (说明、公函); kept, never parsed as data."""

    load = models.ForeignKey(Load, on_delete=models.CASCADE, related_name="attachments", verbose_name="归集")
    name = models.CharField("文件名", max_length=300)
    stored_path = models.CharField("存储位置", max_length=500)
    size = models.BigIntegerField("大小", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "归集附件"

    def __str__(self) -> str:
        return self.name


class QualityReport(models.Model):
    load = models.OneToOneField(Load, on_delete=models.CASCADE, related_name="quality", verbose_name="归集")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="quality_reports",
                                 verbose_name="数据资源")
    completeness = models.FloatField("完整性", default=0.0)
    validity = models.FloatField("有效性", default=0.0)
    uniqueness = models.FloatField("唯一性", default=1.0)
    timeliness = models.FloatField("及时性", default=1.0)
    score = models.FloatField("综合得分", default=0.0)
    field_stats = models.JSONField("字段统计", default=list, blank=True)
    notes = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "质量报告"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.resource.code} 质量报告 {self.created_at:%Y-%m-%d}"


class DataSource(models.Model):
    """Where table docking (库表对接) or interface pull (接口拉取) gets a resource's rows."""

    resource = models.OneToOneField(Resource, on_delete=models.CASCADE, related_name="pull_source",
                                    verbose_name="数据资源")
    kind = models.CharField("方式", max_length=8, choices=[(SourceKind.TABLE, "库表对接"), (SourceKind.API, "接口拉取")])
    url = models.CharField("连接地址", max_length=500,
                           help_text="库表:SQLAlchemy 连接串,如 postgresql://user@host/db;接口:HTTP(S) 地址")
    table = models.CharField("表名", max_length=200, blank=True)
    query = models.TextField("查询语句", blank=True, help_text="填写时代替表名,须为只读 SELECT")
    db_schema = models.CharField("模式(schema)", max_length=100, blank=True)
    watermark_column = models.CharField("水位字段", max_length=100, blank=True,
                                        help_text="增量拉取依据的列(如更新时间);为空则每次全量")
    watermark_value = models.CharField("当前水位", max_length=100, blank=True)
    page_param = models.CharField("页码参数", max_length=40, default="page")
    size_param = models.CharField("每页参数", max_length=40, default="page_size")
    page_size = models.PositiveIntegerField("每页条数", default=500)
    records_key = models.CharField("数据所在键", max_length=100, blank=True, help_text="如 data.rows;为空自动识别")
    since_param = models.CharField("水位参数", max_length=40, blank=True, help_text="接口增量:把当前水位作为该参数传给接口")
    headers = models.JSONField("请求头", default=dict, blank=True)
    enabled = models.BooleanField("启用", default=True)
    last_pulled_at = models.DateTimeField("上次拉取", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "对接来源"

    def __str__(self) -> str:
        return f"{self.resource.code} {self.get_kind_display()}"


class ReportKind(models.TextChoices):
    DATA = "data", "数据报送"
    ZERO = "zero", "零报告"


class MonthlyReport(models.Model):
    """A file-based provider's report for one month: the month's new data, or a zero report."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="monthly_reports",
                                 verbose_name="数据资源")
    period = models.DateField("所属月份", help_text="该月第一天")
    kind = models.CharField("类型", max_length=8, choices=ReportKind.choices)
    load = models.ForeignKey(Load, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name="对应归集")
    due_date = models.DateField("报送期限")
    submitted_at = models.DateTimeField("报送时间")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name="报送人")
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "月度报送"
        ordering = ["-period", "resource__code"]
        constraints = [models.UniqueConstraint(fields=["resource", "period"], name="monthly_report_once")]

    def __str__(self) -> str:
        return f"{self.resource.code} {self.period:%Y-%m} {self.get_kind_display()}"

    @property
    def is_late(self) -> bool:
        return self.submitted_at.date() > self.due_date


class DutyReminder(models.Model):
    """One reminder sent for a missing monthly report, so the daily task does not repeat itself."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+", verbose_name="数据资源")
    period = models.DateField("所属月份")
    sent_on = models.DateField("提醒日期")
    overdue = models.BooleanField("已逾期", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "报送提醒"
        constraints = [models.UniqueConstraint(fields=["resource", "period", "sent_on"], name="duty_reminder_daily")]

    def __str__(self) -> str:
        return f"{self.resource.code} {self.period:%Y-%m} {self.sent_on}"
