"""Departments, people, roles, tokens, the working-day calendar, the audit chain, notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from .visibility import VisibleQuerySet


class Department(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        DISTRICT = "district", "区县"
        DEPARTMENT = "department", "部门"
        UNIT = "unit", "单位"

    code = models.CharField("部门编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=20, blank=True)
    level = models.CharField("层级", max_length=16, choices=Level.choices, default=Level.DEPARTMENT)
    division_code = models.CharField("行政区划代码", max_length=12)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name="上级")
    is_data_bureau = models.BooleanField("数据管理部门", default=False)
    duties = models.TextField("职责", blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "部门"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[Department]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", "平台管理员"
    DEPARTMENT_ADMIN = "department_admin", "部门管理员"
    DATA_LIAISON = "data_liaison", "数据联络员"
    REVIEWER = "reviewer", "审核员"
    LEADER = "leader", "分管领导"
    ANALYST = "analyst", "分析员"
    INSPECTOR = "inspector", "执法检查员"
    AUDITOR = "auditor", "审计员"


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="users", verbose_name="所属部门")
    roles = models.JSONField("角色", default=list, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    failed_logins = models.PositiveIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles or ())

    def role_labels(self) -> list[str]:
        return [Role(r).label for r in self.roles if r in Role.values]


class ApiTokenQuerySet(VisibleQuerySet):
    def visible_to(self, principal):
        """A department admin manages its department's tokens; a platform admin all of them."""
        from .permissions import require  # core.permissions imports this module

        require(principal, "tokens.manage")
        tokens = self.select_related("department", "created_by")
        if Role.PLATFORM_ADMIN in principal.roles:
            return tokens
        return tokens.filter(department=principal.department)


class ApiToken(models.Model):
    """A credential for a department's system. Only the SHA-256 of the secret is stored."""

    name = models.CharField("名称", max_length=100)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="api_tokens",
                                   verbose_name="所属部门")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="创建人")
    prefix = models.CharField("前缀", max_length=12, db_index=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField("权限范围", default=list)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("到期时间")
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class CalendarYear(models.Model):
    """A year whose holidays the platform admin has entered by hand (chinesecalendar does not know it)."""

    year = models.PositiveIntegerField("年份", unique=True)
    note = models.CharField("依据", max_length=200, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "已录入节假日的年份"
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class WorkdayOverride(models.Model):
    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=200, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "工作日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'工作日' if self.is_workday else '休息日'}"


class AuditHead(models.Model):
    """One row that is locked while a record is appended, so the chain can never fork."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class AuditRecord(models.Model):
    seq = models.BigIntegerField("序号", unique=True)
    created_at = models.DateTimeField("时间")
    actor = models.CharField("操作者", max_length=150)
    action = models.CharField("动作", max_length=80, db_index=True)
    target = models.CharField("对象", max_length=300)
    detail = models.TextField("详情")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "审计记录"
        ordering = ["-seq"]
        # A resource's access log (exchange.access) filters on the target, then on the action's prefix.
        indexes = [models.Index(fields=["target", "action"], name="core_audit_target_action")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target}"


class Notification(models.Model):
    """An inbox item for one user, or for every member of one department."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notifications")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="notifications")
    kind = models.CharField("类别", max_length=40)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        # The inbox: one person's or one department's newest items first, a page at a time.
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="core_notif_user_newest"),
                   models.Index(fields=["department", "-created_at", "-id"], name="core_notif_dept_newest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(department__isnull=False),
                name="notification_has_recipient",
            )
        ]

    def __str__(self) -> str:
        return self.title


class NotificationRead(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "user"], name="one_read_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.notification_id}"


class EgressAllow(models.Model):
    """A host, address range or directory the platform admin lets sources, webhooks and the proxy reach
    although it is internal (see core.egress)."""

    entry = models.CharField("地址", max_length=200, unique=True,
                             help_text="主机、主机:端口、IP、网段(如 10.8.0.0/16)或 SQLite 文件所在的绝对目录")
    note = models.CharField("用途说明", max_length=200, blank=True)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "出网白名单"
        ordering = ["entry"]

    def __str__(self) -> str:
        return self.entry

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .egress import parse_entry

        try:
            self.entry = parse_entry(self.entry).text
        except ValidationError as exc:
            raise ValidationError({"entry": exc.messages}) from exc
