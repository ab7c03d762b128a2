"""The data resource catalog (目录 / 共享清单): resources and their fields (GB/T 21063 core metadata)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from regshare.core.models import Department


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
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "数据资源"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


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
