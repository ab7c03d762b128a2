"""The data resource catalog (目录 / 共享清单): resources and their fields (GB/T 21063 core metadata)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from regshare.core.filters import Choice, Filters, Flag, Search
from regshare.core.models import Department
from regshare.core.permissions import sees_everything
from regshare.core.visibility import VisibleQuerySet, department_rows


class ShareType(models.TextChoices):
    UNCONDITIONAL = "unconditional", "无条件共享"
    CONDITIONAL = "conditional", "有条件共享"
    NONE = "none", "不予共享"


class OpenType(models.TextChoices):
    OPEN = "open", "可开放"
    CLOSED = "closed", "不可开放"


class Provision(models.TextChoices):
    API = "api", "接口"
    TABLE = "table", "库表"
    FILE = "file", "文件"


class Category(models.TextChoices):
    BASIC = "basic", "基础数据"
    RESULT = "result", "成果数据"
    OTHER = "other", "其他数据"


class Grade(models.TextChoices):
    CORE = "core", "核心"
    IMPORTANT = "important", "重要"
    GENERAL = "general", "一般"


class Frequency(models.TextChoices):
    REALTIME = "realtime", "实时"
    DAILY = "daily", "每日"
    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"
    YEARLY = "yearly", "每年"
    IRREGULAR = "irregular", "不定期"


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    OFFLINE = "offline", "已下线"


class FieldType(models.TextChoices):
    STRING = "string", "字符"
    INTEGER = "integer", "整数"
    DECIMAL = "decimal", "小数"
    DATE = "date", "日期"
    DATETIME = "datetime", "日期时间"
    BOOLEAN = "boolean", "布尔"
    ENUM = "enum", "枚举"


class FieldTag(models.TextChoices):
    """Sensitivity tags; masking is decided by the tag (USCC and company names are never masked)."""

    NONE = "", "无"
    ID_CARD = "id_card", "身份证号"
    MOBILE = "mobile", "手机号"
    PERSON_NAME = "person_name", "姓名"
    ADDRESS = "address", "地址"
    USCC = "uscc", "统一社会信用代码"
    COMPANY_NAME = "company_name", "企业名称"
    BANK_CARD = "bank_card", "银行卡号"


class ResourceQuerySet(VisibleQuerySet):
    def visible_to(self, principal):
        """Published resources, and a department's own drafts; the data bureau's people and auditors see all."""
        resources = self.select_related("provider")
        if sees_everything(principal, people_only=True):
            return resources
        own = models.Q(provider=principal.department) if principal.department is not None else models.Q(pk__in=[])
        return resources.filter(models.Q(status=Status.PUBLISHED) | own)


class Resource(models.Model):
    code = models.CharField("资源代码", max_length=40, unique=True)
    name = models.CharField("资源名称", max_length=200)
    summary = models.TextField("资源摘要", blank=True)
    provider = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="resources",
                                 verbose_name="提供部门")
    source_system = models.CharField("来源系统", max_length=200, blank=True)
    category = models.CharField("数据分类", max_length=16, choices=Category.choices, default=Category.BASIC)
    data_format = models.CharField("数据格式", max_length=40, default="数据库表")
    update_frequency = models.CharField("更新周期", max_length=16, choices=Frequency.choices,
                                        default=Frequency.MONTHLY)
    share_type = models.CharField("共享类型", max_length=16, choices=ShareType.choices,
                                  default=ShareType.UNCONDITIONAL)
    share_conditions = models.TextField("共享条件", blank=True)
    legal_basis = models.TextField("不予共享依据/法律依据", blank=True)
    open_type = models.CharField("开放属性", max_length=16, choices=OpenType.choices, default=OpenType.CLOSED)
    open_conditions = models.TextField("开放条件", blank=True)
    provision = models.CharField("提供方式", max_length=16, choices=Provision.choices, default=Provision.FILE)
    grade = models.CharField("分级", max_length=16, choices=Grade.choices, default=Grade.GENERAL)
    dedicated_departments = models.ManyToManyField(Department, blank=True, related_name="dedicated_resources",
                                                   verbose_name="专用部门")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField("目录版本", default=1)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    related = models.ManyToManyField("self", blank=True, verbose_name="关联资源")
    max_invalid_fraction = models.FloatField("可容忍无效行比例", default=0.05)
    # 类/项/目 of the catalog classification (GB/T 21063.4); the identifier is "<类><项><目>/<code>".
    catalog_class = models.CharField("分类·类", max_length=8, blank=True)
    catalog_item = models.CharField("分类·项", max_length=8, blank=True)
    catalog_subitem = models.CharField("分类·目", max_length=8, blank=True)
    submitted_at = models.DateTimeField("提交审核时间", null=True, blank=True)
    successor = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="predecessors", verbose_name="替代资源")
    retire_requested_at = models.DateTimeField("申请下线时间", null=True, blank=True)
    retire_reason = models.CharField("下线原因", max_length=500, blank=True)
    retire_on = models.DateField("计划下线日期", null=True, blank=True)
    offline_at = models.DateTimeField("下线时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "数据资源"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def identifier(self) -> str:
        """The GB/T 21063 style identifier: classification front part / department-sequence back part."""
        front = "".join(x for x in (self.catalog_class, self.catalog_item, self.catalog_subitem) if x)
        return f"{front}/{self.code}" if front else self.code


class ResourceField(models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="fields",
                                 verbose_name="数据资源")
    position = models.PositiveIntegerField("序号", default=0)
    name = models.CharField("字段中文名", max_length=100)
    code_name = models.CharField("字段代码", max_length=64)
    data_type = models.CharField("类型", max_length=16, choices=FieldType.choices, default=FieldType.STRING)
    required = models.BooleanField("必填", default=False)
    is_key = models.BooleanField("主键", default=False)
    enumeration = models.JSONField("枚举值", default=list, blank=True)
    tag = models.CharField("敏感标签", max_length=16, choices=FieldTag.choices, default=FieldTag.NONE, blank=True)
    grade = models.CharField("分级", max_length=16, choices=Grade.choices, default=Grade.GENERAL)
    description = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "数据项"
        ordering = ["resource", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "code_name"], name="field_code_unique_in_resource"),
            models.UniqueConstraint(fields=["resource", "name"], name="field_name_unique_in_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.code_name})"


# ----------------------------------------------------------------------------- additions (migration 0002)

class DemandStatus(models.TextChoices):
    OPEN = "open", "待满足"
    MATCHED = "matched", "已匹配"
    CLOSED = "closed", "已关闭"


class ResourceVersion(models.Model):
    """A snapshot of a published resource's schema and metadata; a schema change of a published resource adds one."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions", verbose_name="数据资源")
    version = models.PositiveIntegerField("版本")
    schema = models.JSONField("数据项快照", default=list)
    metadata = models.JSONField("元数据快照", default=dict)
    note = models.CharField("变更说明", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "目录版本"
        ordering = ["resource", "-version"]
        constraints = [models.UniqueConstraint(fields=["resource", "version"], name="resource_version_unique")]

    def __str__(self) -> str:
        return f"{self.resource_id} v{self.version}"


class StatusChange(models.Model):
    """The status history of a resource (提交、发布、退回、申请下线、下线)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="status_changes",
                                 verbose_name="数据资源")
    from_status = models.CharField("原状态", max_length=16, blank=True)
    to_status = models.CharField("新状态", max_length=16)
    action = models.CharField("操作", max_length=40)
    note = models.CharField("说明", max_length=500, blank=True)
    actor = models.CharField("操作者", max_length=150)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "状态变更记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.action}"


class CatalogStamp(models.Model):
    """One row whose value changes with every catalog change, so each process knows when its search index is stale."""

    value = models.CharField(max_length=40)

    def __str__(self) -> str:
        return self.value


class UpdateObligationQuerySet(VisibleQuerySet):
    filters = Filters(Flag("open", "fulfilled_at__isnull"))

    def visible_to(self, principal):
        items = self.select_related("department")
        if sees_everything(principal, people_only=True):
            return items
        return items.filter(department=principal.department)


class UpdateObligation(models.Model):
    """A department's duty to update its catalog within 15 working days of a change of law or duties (002 第八条)."""

    class Reason(models.TextChoices):
        DUTY = "duty", "行政管理职能变化"
        LAW = "law", "法律法规修订"

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="catalog_obligations",
                                   verbose_name="部门")
    reason = models.CharField("原因", max_length=16, choices=Reason.choices)
    description = models.TextField("变化说明")
    changed_on = models.DateField("变化发生日期")
    due_date = models.DateField("目录更新期限")
    fulfilled_at = models.DateTimeField("完成时间", null=True, blank=True)
    fulfilled_note = models.CharField("完成说明", max_length=500, blank=True)
    overdue_flagged_at = models.DateTimeField("逾期提醒时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UpdateObligationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "目录更新义务"
        ordering = ["fulfilled_at", "due_date", "id"]

    def __str__(self) -> str:
        return f"{self.department} {self.get_reason_display()} 期限 {self.due_date}"


class DemandQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "title"), Choice("status", DemandStatus))

    def visible_to(self, principal):
        """A demand is seen by the department that asks and the one asked to provide."""
        items = self.select_related("requester", "provider", "matched_resource")
        if sees_everything(principal, people_only=True):
            return items
        return department_rows(items, principal, "requester", "provider")


class Demand(models.Model):
    """An entry of the 政务数据需求清单."""

    title = models.CharField("所需数据", max_length=200)
    requester = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="catalog_demands",
                                  verbose_name="需求部门")
    provider = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name="拟提供部门")
    purpose = models.TextField("用途", blank=True)
    scenario = models.TextField("应用场景", blank=True)
    fields_wanted = models.TextField("所需信息项", blank=True)
    frequency = models.CharField("更新频率", max_length=16, choices=Frequency.choices, default=Frequency.MONTHLY)
    status = models.CharField("状态", max_length=16, choices=DemandStatus.choices, default=DemandStatus.OPEN)
    matched_resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="demands", verbose_name="匹配资源")
    note = models.CharField("备注", max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "数据需求"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
