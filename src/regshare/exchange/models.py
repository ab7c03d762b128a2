"""Sharing workflow and data use: applications, reviews, grants, tokens, subscriptions,
corrections, offline packages, destruction records (SPEC §3; seed 002 第十四至十八条, 第二十二条)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models

from regshare.catalog.models import Resource
from regshare.core.filters import Choice, Filters, Search
from regshare.core.models import ApiToken, Department
from regshare.core.permissions import is_data_bureau, require, sees_everything
from regshare.core.visibility import VisibleQuerySet, department_rows


class ApplicationStatus(models.TextChoices):
    PLATFORM_REVIEW = "platform_review", "平台符合性审查中"
    PROVIDER_REVIEW = "provider_review", "提供部门审核中"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已驳回"
    NEGOTIATION = "negotiation", "协商中"
    COORDINATION = "coordination", "数据管理部门协调中"
    WITHDRAWN = "withdrawn", "已撤回"


class Stage(models.TextChoices):
    PLATFORM = "platform", "平台符合性审查"
    PROVIDER = "provider", "提供部门审核"
    NEGOTIATION = "negotiation", "部门协商"
    COORDINATION = "coordination", "数据管理部门协调"


class Decision(models.TextChoices):
    PENDING = "", "待处理"
    APPROVE = "approve", "通过"
    REJECT = "reject", "驳回"
    AGREED = "agreed", "协商一致"
    FAILED = "failed", "协商未果"


def _approval_path(instance, filename: str) -> str:
    return f"exchange/approvals/{instance.requester_id}/{filename}"


def _department_of(principal):
    if principal.department is None:
        raise PermissionDenied("您尚未分配部门,不能办理共享业务")
    return principal.department


class ApplicationQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "number", "resource__name", "resource__code"), Choice("status", ApplicationStatus))

    def visible_to(self, principal):
        """The requesting department's, the provider's and its review delegates'; all for the data bureau
        and auditors."""
        require(principal, "exchange.view")
        items = self.select_related("resource", "requester", "resource__provider")
        if sees_everything(principal):
            return items
        department = _department_of(principal)
        return items.filter(models.Q(requester=department) | models.Q(resource__provider=department)
                            | models.Q(resource__in=ReviewDelegate.delegated_resources(principal)))


class Application(models.Model):
    """共享申请: what a requester department wants, why, and its leader's written approval."""

    number = models.CharField("申请编号", max_length=32, unique=True)
    requester = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="share_applications",
                                  verbose_name="申请部门")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name="申请人")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="applications",
                                 verbose_name="数据资源")
    fields = models.JSONField("申请数据项", default=list)
    clear_fields = models.JSONField("申请明文数据项", default=list, blank=True)
    row_filter = models.JSONField("行范围", default=dict, blank=True)
    purpose = models.TextField("用途")
    scenario = models.TextField("应用场景")
    legal_basis = models.TextField("法律依据")
    period_start = models.DateField("使用起始日")
    period_end = models.DateField("使用截止日")
    approval_file = models.FileField("分管领导书面批准", upload_to=_approval_path)
    status = models.CharField("状态", max_length=20, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.PLATFORM_REVIEW, db_index=True)
    submitted_on = models.DateField("提交日期")
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "共享申请"
        ordering = ["-created_at", "-id"]
        # The applications list: a requester's (or a provider's resources') newest first.
        indexes = [models.Index(fields=["requester", "-created_at", "-id"], name="exch_app_requester_newest"),
                   models.Index(fields=["resource", "-created_at", "-id"], name="exch_app_resource_newest")]

    def __str__(self) -> str:
        return f"{self.number} {self.resource.code}"

    def current_step(self) -> ReviewStep | None:
        return self.steps.filter(decision=Decision.PENDING).order_by("-id").first()


class ReviewStep(models.Model):
    """One stage of an application with its own deadline (working days, fixed when the clock starts)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    stage = models.CharField("环节", max_length=16, choices=Stage.choices)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="办理部门")
    opened_on = models.DateField("起算日")
    deadline = models.DateField("办理期限", db_index=True)
    decision = models.CharField("结论", max_length=10, choices=Decision.choices, default=Decision.PENDING,
                                blank=True, db_index=True)
    reason = models.TextField("意见/理由", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="办理人")
    delegated = models.BooleanField("由授权代理方审核", default=False)
    decided_at = models.DateTimeField("办理时间", null=True, blank=True)
    overdue_flagged_on = models.DateField("超期提醒日", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审核环节"
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return f"{self.application.number} {self.get_stage_display()}"


class ReviewDelegate(models.Model):
    """授权代理方 (002 第十五条(一)): a provider names a person who reviews on its behalf."""

    provider = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="review_delegates",
                                 verbose_name="提供部门")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_delegations",
                                 verbose_name="授权代理人")
    resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 verbose_name="限定资源(空=全部)")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "审核授权代理"

    def __str__(self) -> str:
        return f"{self.provider} → {self.delegate}"

    @staticmethod
    def delegated_resources(principal) -> models.QuerySet:
        """The resources this person reviews on a provider's behalf (all of the provider's, or the named ones)."""
        if principal.user is None:
            return Resource.objects.none()
        delegations = ReviewDelegate.objects.filter(delegate=principal.user, active=True)
        whole = delegations.filter(resource__isnull=True).values("provider")
        named = delegations.filter(resource__isnull=False).values("resource")
        return Resource.objects.filter(models.Q(provider__in=whole) | models.Q(pk__in=named))


class GrantStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    REVOKED = "revoked", "已收回"
    EXPIRED = "expired", "已到期"


class GrantQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "resource__name", "resource__code", "consumer__name"), Choice("status", GrantStatus))

    def visible_to(self, principal):
        """A system sees only the grant its token is bound to; people the consumer's and provider's grants."""
        items = self.select_related("resource", "consumer", "resource__provider", "application")
        if principal.token is not None:
            return items.filter(tokens__token=principal.token)
        require(principal, "exchange.view")
        if sees_everything(principal):
            return items
        department = _department_of(principal)
        return items.filter(models.Q(consumer=department) | models.Q(resource__provider=department))


class Grant(models.Model):
    """授权: what a consumer department may read, for what purpose, until when."""

    application = models.OneToOneField(Application, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="grant", verbose_name="来源申请")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="grants", verbose_name="数据资源")
    consumer = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="grants", verbose_name="使用部门")
    fields = models.JSONField("授权数据项", default=list)
    clear_fields = models.JSONField("允许明文的数据项", default=list, blank=True)
    row_filter = models.JSONField("行范围(数据项→允许值)", default=dict, blank=True)
    purpose = models.TextField("用途")
    starts_on = models.DateField("起始日")
    expires_on = models.DateField("到期日", db_index=True)
    status = models.CharField("状态", max_length=10, choices=GrantStatus.choices, default=GrantStatus.ACTIVE,
                              db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField("终止时间", null=True, blank=True)
    ended_by = models.CharField("终止人", max_length=150, blank=True)
    end_reason = models.TextField("终止原因", blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "共享授权"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"授权#{self.pk} {self.resource.code} → {self.consumer}"


class GrantToken(models.Model):
    """An API token bound to one grant; it stops working the moment the grant ends."""

    token = models.OneToOneField(ApiToken, on_delete=models.CASCADE, related_name="grant_binding")
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="tokens")

    class Meta:
        verbose_name = verbose_name_plural = "授权令牌"

    def __str__(self) -> str:
        return f"{self.token} @ {self.grant_id}"


class Destruction(models.Model):
    """销毁记录: the consumer's record that its copies were destroyed after a grant ended."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="destructions")
    destroyed_on = models.DateField("销毁日期")
    method = models.CharField("销毁方式", max_length=100)
    copies = models.TextField("销毁的副本")
    witness = models.CharField("监销人", max_length=50, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "销毁记录"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"销毁 {self.grant_id} {self.destroyed_on}"


class SubscriptionQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "url", "grant__resource__name"))

    def visible_to(self, principal):
        items = self.select_related("grant", "grant__resource", "grant__consumer")
        if principal.token is not None:
            return items.filter(grant__tokens__token=principal.token)
        require(principal, "exchange.view")
        if is_data_bureau(principal):
            return items
        department = _department_of(principal)
        return items.filter(models.Q(grant__consumer=department) | models.Q(grant__resource__provider=department))


class Subscription(models.Model):
    """增量更新推送: each new version's changed rows go to the consumer's webhook."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="subscriptions")
    url = models.URLField("回调地址", max_length=500)
    secret = models.CharField("签名密钥", max_length=80)
    active = models.BooleanField("启用", default=True)
    delivered_version = models.BigIntegerField("已送达版本", default=-1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "增量订阅"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"订阅#{self.pk} {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待推送"
    DELIVERED = "delivered", "已送达"
    FAILED = "failed", "失败"
    STOPPED = "stopped", "已停止"


class Delivery(models.Model):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    from_version = models.BigIntegerField("起始版本")
    version = models.BigIntegerField("版本")
    rows = models.PositiveIntegerField("行数", default=0)
    status = models.CharField("状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    next_attempt_at = models.DateTimeField("下次重试", null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "推送记录"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"推送 {self.subscription_id} v{self.version}"


class ProxyEndpoint(models.Model):
    """接口代理: a provider's own HTTP service registered as a resource."""

    resource = models.OneToOneField(Resource, on_delete=models.CASCADE, related_name="proxy_endpoint")
    base_url = models.URLField("服务地址", max_length=500)
    timeout = models.FloatField("超时(秒)", default=10.0)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "代理接口"

    def __str__(self) -> str:
        return f"{self.resource.code} → {self.base_url}"


class CorrectionStatus(models.TextChoices):
    OPEN = "open", "待校核"
    CORRECTED = "corrected", "已更正"
    REJECTED = "rejected", "核实无误"


class CorrectionQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "resource__name", "field"), Choice("status", CorrectionStatus))

    def visible_to(self, principal):
        require(principal, "exchange.view")
        items = self.select_related("resource", "reporter", "resource__provider")
        if is_data_bureau(principal):
            return items
        return department_rows(items, principal, "reporter", "resource__provider")


class Correction(models.Model):
    """纠错 (002 第十六条): a consumer flags a value; the provider answers within 5 working days."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="corrections")
    reporter = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="反馈部门")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.JSONField("记录主键")
    field = models.CharField("数据项", max_length=64)
    reported_value = models.TextField("现值", blank=True)
    proposed_value = models.TextField("建议值", blank=True)
    explanation = models.TextField("说明")
    status = models.CharField("状态", max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.OPEN,
                              db_index=True)
    opened_on = models.DateField("反馈日期")
    deadline = models.DateField("校核期限")
    answer = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    new_version = models.BigIntegerField("更正后版本", null=True, blank=True)
    overdue_flagged_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "纠错"
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return f"纠错#{self.pk} {self.resource.code}.{self.field}"


class OfflinePackage(models.Model):
    """离线共享包 with its manifest and handover record (交接记录)."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="offline_packages")
    file_name = models.CharField("文件名", max_length=200)
    manifest = models.JSONField("清单")
    cipher_sha256 = models.CharField("密文摘要", max_length=64)
    key_fingerprint = models.CharField("密钥指纹", max_length=16)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    medium = models.CharField("介质", max_length=50, blank=True)
    handed_over_by = models.CharField("移交人", max_length=50, blank=True)
    received_by = models.CharField("接收人", max_length=50, blank=True)
    handed_over_at = models.DateTimeField("交接时间", null=True, blank=True)
    handover_note = models.TextField("交接说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "离线共享包"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name


class Receipt(models.Model):
    """A signed call record voucher, kept so it can be fetched again (e.g. after a streamed download)."""

    id = models.CharField(primary_key=True, max_length=36)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    grant = models.ForeignKey(Grant, null=True, blank=True, on_delete=models.SET_NULL, related_name="receipts")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    document = models.JSONField("凭证")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "调用记录凭证"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.id
