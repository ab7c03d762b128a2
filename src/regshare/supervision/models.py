"""Supervision "互联网+监管" (seed 001): item catalog and implementation lists, supervision records and
real-time referrals, 双随机、一公开 tasks with a recomputable draw, complaints (12345 work orders) with routing
rules, assistance requests and cases with one timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from regshare.core.models import Department, Role
from regshare.core.permissions import Principal
from regshare.core.visibility import VisibleQuerySet
from regshare.entities.models import Entity

from .codes import validate_catalog_code, validate_implementing_code

# Roles that oversee every department's supervision work (the data bureau, leaders, analysts, auditors).
WIDE_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.LEADER, Role.ANALYST, Role.AUDITOR})


def sees_everything(principal: Principal) -> bool:
    if principal.token is not None:
        return False
    department = principal.department
    return bool(principal.roles & WIDE_ROLES) or bool(department and department.is_data_bureau)


class ScopedQuerySet(VisibleQuerySet):
    """``visible_to``: wide roles see all rows; everyone else the rows of the departments named in
    ``dept_lookups`` (lead, joint, target …); the anonymous public sees only ``public_filter``."""

    dept_lookups: tuple[str, ...] = ("department",)
    public_filter: Q | None = None

    def visible_to(self, principal: Principal) -> models.QuerySet:
        if not principal.is_authenticated:
            return self.filter(self.public_filter) if self.public_filter is not None else self.none()
        if sees_everything(principal):
            return self.all()
        department = principal.department
        if department is None:
            return self.filter(self.public_filter) if self.public_filter is not None else self.none()
        cond = Q()
        for lookup in self.dept_lookups:
            cond |= Q(**{lookup: department})
        if self.public_filter is not None:
            cond |= self.public_filter
        return self.filter(cond).distinct()


# ---------------------------------------------------------------- item catalog (监管事项目录清单)

class SupervisionWay(models.TextChoices):
    ROUTINE = "routine", "日常检查"
    RANDOM = "random", "双随机抽查"
    KEY = "key", "重点检查"
    SPECIAL = "special", "专项检查"
    CREDIT = "credit", "信用监管"
    ONLINE = "online", "非现场监管"
    OTHER = "other", "其他"


class SupervisionLevel(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区县级"


class ItemQuerySet(ScopedQuerySet):
    public_filter = Q(published=True)


class SupervisionItem(models.Model):
    """One entry of the catalog with the ten fields of seed 001 (一)."""

    catalog_code = models.CharField("监管事项目录编码", max_length=14, unique=True, validators=[validate_catalog_code])
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="监管部门")
    main_name = models.CharField("主项名称", max_length=200)
    sub_name = models.CharField("子项名称", max_length=200, blank=True)
    way = models.CharField("监管方式", max_length=16, choices=SupervisionWay.choices)
    measures = models.TextField("监管措施", blank=True)
    target = models.CharField("监管对象", max_length=300)
    legal_basis = models.TextField("设定依据")
    process = models.TextField("监管流程", blank=True)
    result = models.TextField("监管结果", blank=True)
    level = models.CharField("监管层级", max_length=16, choices=SupervisionLevel.choices)
    published = models.BooleanField("已发布", default=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "监管事项"
        ordering = ["catalog_code"]

    def __str__(self) -> str:
        return f"{self.catalog_code} {self.main_name}{' / ' + self.sub_name if self.sub_name else ''}"


class ClaimQuerySet(ScopedQuerySet):
    public_filter = Q(active=True, item__published=True)


class ItemClaim(models.Model):
    """A department's claim of an item into its implementation list (实施清单)."""

    item = models.ForeignKey(SupervisionItem, on_delete=models.PROTECT, related_name="claims", verbose_name="监管事项")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="实施部门")
    implementing_code = models.CharField("检查实施清单编码", max_length=19, unique=True,
                                         validators=[validate_implementing_code])
    claimed_on = models.DateField("认领日期")
    active = models.BooleanField("有效", default=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "实施清单"
        ordering = ["implementing_code"]
        constraints = [models.UniqueConstraint(fields=["item", "department"], name="supervision_claim_unique")]

    def __str__(self) -> str:
        return f"{self.implementing_code} {self.item.main_name}"


# ---------------------------------------------------------------- records and referrals (实时抄告)

class RecordKind(models.TextChoices):
    LICENCE = "licence", "行政许可"
    INSPECTION = "inspection", "监督检查"
    PENALTY = "penalty", "行政处罚"
    ENFORCEMENT = "enforcement", "行政强制"


class RecordQuerySet(ScopedQuerySet):
    dept_lookups = ("department", "referrals__to_department")


class SupervisionRecord(models.Model):
    kind = models.CharField("类别", max_length=16, choices=RecordKind.choices)
    doc_no = models.CharField("文书号", max_length=80)
    item = models.ForeignKey(SupervisionItem, on_delete=models.PROTECT, related_name="records", verbose_name="监管事项")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="实施部门")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="supervision_records",
                               verbose_name="市场主体")
    title = models.CharField("事由", max_length=200)
    content = models.TextField("内容", blank=True)
    decided_on = models.DateField("决定日期")
    severity = models.CharField("失信程度", max_length=16, blank=True, default="")
    amount = models.DecimalField("罚没金额(元)", max_digits=14, decimal_places=2, null=True, blank=True)
    credit_record = models.ForeignKey("credit.CreditRecord", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name="信用记录")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "监管行为记录"
        ordering = ["-decided_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "doc_no"], name="supervision_record_doc_unique")]
        indexes = [models.Index(fields=["entity", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.doc_no}"


class ReferralRule(models.Model):
    """Which departments a licence or penalty is referred to at once (实时抄告)."""

    name = models.CharField("规则名称", max_length=100)
    kind = models.CharField("记录类别", max_length=16, choices=RecordKind.choices)
    item = models.ForeignKey(SupervisionItem, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                             verbose_name="限定监管事项")
    industry_prefix = models.CharField("行业代码前缀", max_length=10, blank=True)
    to_departments = models.ManyToManyField(Department, related_name="+", verbose_name="抄告部门")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "抄告规则"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ReferralQuerySet(ScopedQuerySet):
    dept_lookups = ("to_department", "record__department")


class Referral(models.Model):
    record = models.ForeignKey(SupervisionRecord, on_delete=models.CASCADE, related_name="referrals",
                               verbose_name="监管行为记录")
    rule = models.ForeignKey(ReferralRule, null=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name="依据规则")
    to_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="抄告部门")
    sent_at = models.DateTimeField("抄告时间", auto_now_add=True)
    read_at = models.DateTimeField("签收时间", null=True, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "抄告记录"
        ordering = ["-sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["record", "to_department"], name="supervision_referral_unique")]

    def __str__(self) -> str:
        return f"{self.record} → {self.to_department}"


# ---------------------------------------------------------------- 双随机、一公开

class InspectorQuerySet(ScopedQuerySet):
    pass


class Inspector(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="inspector", verbose_name="用户")
    name = models.CharField("姓名", max_length=50)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="所属部门")
    certificate_no = models.CharField("执法证号", max_length=40, unique=True)
    area = models.CharField("负责区域(行政区划代码)", max_length=12, blank=True)
    active = models.BooleanField("在岗", default=True)

    objects = InspectorQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "执法检查人员"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}({self.certificate_no})"


class ConflictQuerySet(ScopedQuerySet):
    dept_lookups = ("inspector__department",)


class InspectorConflict(models.Model):
    """A declared conflict of interest (回避): the inspector is never drawn for this entity."""

    inspector = models.ForeignKey(Inspector, on_delete=models.CASCADE, related_name="conflicts",
                                  verbose_name="执法检查人员")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+", verbose_name="市场主体")
    reason = models.CharField("回避事由", max_length=200)
    declared_by = models.CharField("申报人", max_length=100, blank=True)
    declared_on = models.DateField("申报日期", null=True, blank=True)

    objects = ConflictQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "回避申报"
        constraints = [models.UniqueConstraint(fields=["inspector", "entity"], name="supervision_conflict_unique")]

    def __str__(self) -> str:
        return f"{self.inspector} ≠ {self.entity_id}"


class RandomItemCategory(models.TextChoices):
    KEY = "key", "重点检查事项"
    GENERAL = "general", "一般检查事项"


class RandomItem(models.Model):
    """The random-inspection item list (随机抽查事项清单)."""

    item = models.OneToOneField(SupervisionItem, on_delete=models.CASCADE, related_name="random_entry",
                                verbose_name="监管事项")
    category = models.CharField("类别", max_length=10, choices=RandomItemCategory.choices)
    inspection_content = models.TextField("检查内容", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "随机抽查事项"
        ordering = ["item__catalog_code"]

    def __str__(self) -> str:
        return f"[{self.get_category_display()}] {self.item}"


class TaskStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SEED_PUBLISHED = "seed_published", "已公布随机种子"
    DRAWN = "drawn", "已抽取"
    INSPECTING = "inspecting", "检查中"
    RESULTS_ENTERED = "results_entered", "结果已录入"
    PUBLISHED = "published", "结果已公示"


class TaskQuerySet(ScopedQuerySet):
    dept_lookups = ("department", "joint_departments")
    public_filter = Q(status__in=[TaskStatus.DRAWN, TaskStatus.INSPECTING, TaskStatus.RESULTS_ENTERED,
                                  TaskStatus.PUBLISHED])


class InspectionTask(models.Model):
    code = models.CharField("任务编号", max_length=40, unique=True)
    name = models.CharField("任务名称", max_length=200)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="牵头部门")
    joint_departments = models.ManyToManyField(Department, blank=True, related_name="+", verbose_name="联合部门")
    items = models.ManyToManyField(RandomItem, related_name="tasks", verbose_name="抽查事项")
    filters = models.JSONField("对象筛选条件", default=dict, blank=True)
    ratios = models.JSONField("各信用风险分类抽查比例", default=dict, blank=True)
    inspectors_per_object = models.PositiveSmallIntegerField("每户检查人员数", default=2)
    control_ratio = models.CharField("随机对照组比例", max_length=12, default="0", blank=True,
                                     help_text="从整个对象库中另行等概率抽取的比例(0 为不设对照组)")
    algorithm = models.CharField("抽取算法", max_length=30, default="sha256-rank-v1")
    seed = models.CharField("随机种子", max_length=128, blank=True)
    seed_published_at = models.DateTimeField("种子公布时间", null=True, blank=True)
    pool_sha256 = models.CharField("对象库摘要(SHA-256)", max_length=64, blank=True)
    pool = models.JSONField("对象库", default=list, blank=True)
    draw_inputs = models.JSONField("回避与人员库(公布)", default=dict, blank=True)
    drawn_at = models.DateTimeField("抽取时间", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=TaskStatus.choices, default=TaskStatus.DRAFT)
    deadline = models.DateField("下一步期限", null=True, blank=True)
    results_published_on = models.DateField("结果公示日期", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="创建人")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "双随机抽查任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class InspectionOutcome(models.TextChoices):
    PASSED = "passed", "未发现问题"
    NO_ACTIVITY = "no_activity", "未发现开展本次抽查涉及的经营活动"
    CORRECTED = "corrected", "发现问题已责令改正"
    NOT_COOPERATING = "not_cooperating", "不配合检查情节严重"
    UNREACHABLE = "unreachable", "通过登记的住所(经营场所)无法联系"
    TRANSFERRED = "transferred", "发现问题待后续处理(已移送)"


class DrawSelection(models.Model):
    """One object drawn by a task with its inspectors, and, later, the inspection result."""

    task = models.ForeignKey(InspectionTask, on_delete=models.CASCADE, related_name="selections",
                             verbose_name="抽查任务")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name="市场主体")
    code = models.CharField("统一社会信用代码", max_length=18)
    stratum = models.CharField("信用风险分类", max_length=4)
    inspector_ids = models.JSONField("检查人员", default=list)
    by_ratio = models.BooleanField("按分类比例抽中", default=True)
    control = models.BooleanField("随机对照组", default=False,
                                  help_text="按对照组规则从整个对象库等概率抽中(不论信用风险分类)")
    outcome = models.CharField("检查结果", max_length=20, choices=InspectionOutcome.choices, blank=True, default="")
    outcome_note = models.TextField("结果说明", blank=True)
    inspected_on = models.DateField("检查日期", null=True, blank=True)
    credit_record = models.ForeignKey("credit.CreditRecord", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name="信用记录")

    class Meta:
        verbose_name = verbose_name_plural = "抽取结果"
        ordering = ["task", "code"]
        constraints = [models.UniqueConstraint(fields=["task", "code"], name="supervision_selection_unique")]

    def __str__(self) -> str:
        return f"{self.task.code}:{self.code}"


# ---------------------------------------------------------------- complaints (投诉举报, 12345)

class ComplaintSource(models.TextChoices):
    HOTLINE = "12345", "12345热线"
    API = "api", "系统接口"
    FORM = "form", "网上填报"
    IMPORT = "import", "工单导入"


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "已接收"
    ACCEPTED = "accepted", "已受理"
    REFUSED = "refused", "不予受理"
    ROUTED = "routed", "已分派"
    HANDLED = "handled", "已办结"
    REPLIED = "replied", "已答复"
    CLOSED = "closed", "已归档"


class ComplaintQuerySet(ScopedQuerySet):
    dept_lookups = ("department", "events__from_department")


class Complaint(models.Model):
    order_no = models.CharField("工单编号", max_length=40, unique=True)
    source = models.CharField("来源", max_length=10, choices=ComplaintSource.choices)
    kind = models.CharField("类型", max_length=10, choices=[("complaint", "投诉"), ("report", "举报"),
                                                           ("consult", "咨询")], default="complaint")
    received_on = models.DateField("受理登记日期")
    complainant = models.CharField("诉求人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    category = models.CharField("诉求分类", max_length=60, blank=True)
    area = models.CharField("发生区域(行政区划代码)", max_length=12, blank=True)
    subject_name = models.CharField("被投诉对象", max_length=200, blank=True)
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints",
                               verbose_name="市场主体")
    content = models.TextField("诉求内容")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="承办部门")
    status = models.CharField("状态", max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED)
    deadline = models.DateField("下一步期限", null=True, blank=True)
    reply = models.TextField("答复内容", blank=True)
    substantiated = models.BooleanField("诉求属实", null=True, blank=True)
    satisfaction = models.CharField("满意度", max_length=12, blank=True,
                                    choices=[("satisfied", "满意"), ("basic", "基本满意"), ("unsatisfied", "不满意")])
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "投诉举报工单"
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return self.order_no


class ComplaintEvent(models.Model):
    """The trail of a work order: each step, transfer between departments, reply."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events", verbose_name="工单")
    action = models.CharField("环节", max_length=30)
    from_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name="原部门")
    to_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      verbose_name="转至部门")
    actor = models.CharField("操作人", max_length=100)
    note = models.TextField("说明", blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "工单流转记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.action}"


class RoutingRule(models.Model):
    """Ordered routing: the first active rule whose conditions all hold names the department."""

    position = models.PositiveIntegerField("顺序")
    name = models.CharField("规则名称", max_length=100)
    category = models.CharField("诉求分类", max_length=60, blank=True)
    area_prefix = models.CharField("区域代码前缀", max_length=12, blank=True)
    keywords = models.CharField("关键词(逗号分隔,任一命中)", max_length=300, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="承办部门")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "分派规则"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


# ---------------------------------------------------------------- joint supervision

class AssistanceStatus(models.TextChoices):
    REQUESTED = "requested", "已发起"
    ACCEPTED = "accepted", "已接收"
    REPLIED = "replied", "已反馈"
    CLOSED = "closed", "已办结"


class AssistanceQuerySet(ScopedQuerySet):
    dept_lookups = ("requester", "target")


class AssistanceRequest(models.Model):
    """协查协办: one department asks another for a check or a piece of evidence, with a deadline."""

    requester = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="发起部门")
    target = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="协办部门")
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name="市场主体")
    case = models.ForeignKey("Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="assistance",
                             verbose_name="关联案件")
    subject = models.CharField("协查事项", max_length=200)
    content = models.TextField("协查内容")
    status = models.CharField("状态", max_length=10, choices=AssistanceStatus.choices,
                              default=AssistanceStatus.REQUESTED)
    deadline = models.DateField("办理期限", null=True, blank=True)
    reply = models.TextField("反馈内容", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssistanceQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "协查协办"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class CaseStatus(models.TextChoices):
    OPEN = "open", "已立案"
    INVESTIGATING = "investigating", "调查处置中"
    DECIDED = "decided", "已作出处理"
    CLOSED = "closed", "已结案"


class CaseQuerySet(ScopedQuerySet):
    dept_lookups = ("lead_department", "departments")


class Case(models.Model):
    """A key event or major case (重点事件、重大案件) followed from first report to closing."""

    title = models.CharField("名称", max_length=200)
    kind = models.CharField("类别", max_length=10, choices=[("event", "重点事件"), ("case", "重大案件")],
                            default="case")
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name="市场主体")
    lead_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                        verbose_name="牵头部门")
    departments = models.ManyToManyField(Department, blank=True, related_name="+", verbose_name="参与部门")
    summary = models.TextField("案情摘要")
    status = models.CharField("状态", max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_on = models.DateField("立案日期")
    deadline = models.DateField("下一步期限", null=True, blank=True)
    closed_on = models.DateField("结案日期", null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "重点事件与案件"
        ordering = ["-opened_on", "-id"]

    def __str__(self) -> str:
        return self.title


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name="案件")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="部门")
    actor = models.CharField("操作人", max_length=100)
    action = models.CharField("事件", max_length=60)
    note = models.TextField("说明", blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "案件时间线"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"
