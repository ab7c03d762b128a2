"""Credit records, lists, joint measures, checks, repair and risk classes (信用监管)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from regshare.core.models import Department
from regshare.entities.models import Entity


class RecordKind(models.TextChoices):
    LICENCE = "licence", "行政许可"
    PENALTY = "penalty", "行政处罚"
    INSPECTION = "inspection", "监督检查"
    COMMITMENT = "commitment", "信用承诺"
    COMPLAINT = "complaint", "投诉举报"


class Severity(models.TextChoices):
    NONE = "", "—"
    SIMPLE = "simple", "简易程序"
    GENERAL = "general", "一般失信"
    SERIOUS = "serious", "严重失信"


class Outcome(models.TextChoices):
    NONE = "", "—"
    PASSED = "passed", "未发现问题"
    FAILED = "failed", "发现问题"
    SUBSTANTIATED = "substantiated", "属实"
    UNSUBSTANTIATED = "unsubstantiated", "不属实"
    KEPT = "kept", "已履行"
    BROKEN = "broken", "未履行"


class PublicityStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", "无需公示"
    PENDING = "pending", "待公示"
    PUBLISHED = "published", "公示中"
    REPAIRED = "repaired", "已信用修复"
    EXPIRED = "expired", "公示期满"


class CreditRecord(models.Model):
    kind = models.CharField("类别", max_length=16, choices=RecordKind.choices)
    doc_no = models.CharField("文书号", max_length=80)
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="credit_records",
                               verbose_name="市场主体")
    raw_uscc = models.CharField("记录中的统一社会信用代码", max_length=60, blank=True)
    raw_name = models.CharField("记录中的主体名称", max_length=200)
    raw_legal_rep = models.CharField("记录中的法定代表人", max_length=100, blank=True)
    raw_address = models.CharField("记录中的地址", max_length=300, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="决定部门")
    title = models.CharField("事项", max_length=200)
    content = models.TextField("内容", blank=True)
    legal_basis = models.CharField("依据", max_length=300, blank=True)
    decided_on = models.DateField("决定日期")
    severity = models.CharField("失信程度", max_length=16, choices=Severity.choices, blank=True, default="")
    amount = models.DecimalField("罚没金额(元)", max_digits=14, decimal_places=2, null=True, blank=True)
    outcome = models.CharField("结果", max_length=20, choices=Outcome.choices, blank=True, default="")
    publicity = models.CharField("公示状态", max_length=16, choices=PublicityStatus.choices,
                                 default=PublicityStatus.NOT_REQUIRED)
    publish_due = models.DateField("应公示日期", null=True, blank=True)
    published_on = models.DateField("公示日期", null=True, blank=True)
    publicity_until = models.DateField("公示截止", null=True, blank=True)
    repair_from = models.DateField("可申请修复日期", null=True, blank=True)
    repaired_on = models.DateField("修复日期", null=True, blank=True)
    link_method = models.CharField("关联方式", max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "信用记录"
        ordering = ["-decided_on", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "doc_no"], name="credit_record_doc_unique")]
        indexes = [models.Index(fields=["entity", "kind"]), models.Index(fields=["publicity", "publish_due"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.doc_no}"


class ListType(models.TextChoices):
    ABNORMAL = "abnormal", "经营异常名录"
    SERIOUS = "serious", "严重违法失信名单"
    DISHONEST_DEBTOR = "dishonest_debtor", "失信被执行人"
    TAX_VIOLATION = "tax_violation", "重大税收违法失信主体"
    RED = "red", "守信红名单"


class ListCause(models.TextChoices):
    ANNUAL_REPORT = "annual_report", "未按规定期限(6月30日前)公示年度报告"
    UNREACHABLE = "unreachable", "通过登记的住所或经营场所无法联系"
    NO_DISCLOSURE = "no_disclosure", "未在责令期限内公示有关企业信息"
    FALSE_INFO = "false_info", "公示企业信息隐瞒真实情况、弄虚作假"
    ABNORMAL_3Y = "abnormal_3y", "列入经营异常名录届满3年仍未履行相关义务"
    SERIOUS_VIOLATION = "serious_violation", "严重违法行为"
    COURT = "court", "有履行能力而拒不履行生效法律文书确定义务"
    TAX = "tax", "重大税收违法案件"
    HONOUR = "honour", "守信激励(A级纳税人、先进单位等)"


class ListEntry(models.Model):
    list_type = models.CharField("名单", max_length=20, choices=ListType.choices)
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="list_entries", verbose_name="市场主体")
    cause = models.CharField("列入事由", max_length=20, choices=ListCause.choices)
    cause_text = models.CharField("事由说明", max_length=300, blank=True)
    decision_no = models.CharField("决定书文号", max_length=80, unique=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="列入部门")
    listed_on = models.DateField("列入日期")
    removed_on = models.DateField("移出日期", null=True, blank=True)
    removal_reason = models.CharField("移出原因", max_length=300, blank=True)
    origin = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name="由该名单转入")

    class Meta:
        verbose_name = verbose_name_plural = "名单记录"
        ordering = ["-listed_on", "id"]
        indexes = [models.Index(fields=["entity", "list_type"]), models.Index(fields=["list_type", "removed_on"])]

    def __str__(self) -> str:
        return f"{self.get_list_type_display()} {self.decision_no}"

    @property
    def active(self) -> bool:
        return self.removed_on is None


class Scenario(models.TextChoices):
    GOV_PROCUREMENT = "gov_procurement", "政府采购"
    BIDDING = "bidding", "招标投标"
    SUBSIDY = "subsidy", "财政补贴"
    HONOURS = "honours", "评优评先"
    QUALIFICATION = "qualification", "任职资格"
    APPROVAL = "approval", "行政审批"
    LAND = "land", "国有土地出让"
    FINANCING = "financing", "融资信贷"


class MeasureKind(models.TextChoices):
    PUNISH = "punish", "联合惩戒"
    REWARD = "reward", "联合激励"


class Memorandum(models.Model):
    """A joint reward or punishment memorandum (联合奖惩合作备忘录), kept as data."""

    code = models.CharField("编号", max_length=60, unique=True)
    title = models.CharField("名称", max_length=200)
    issuer = models.CharField("发文单位", max_length=300)
    document_no = models.CharField("文号", max_length=80, blank=True)
    list_type = models.CharField("触发名单", max_length=20, choices=ListType.choices)
    kind = models.CharField("类别", max_length=10, choices=MeasureKind.choices)
    active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "联合奖惩备忘录"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


class Measure(models.Model):
    memorandum = models.ForeignKey(Memorandum, on_delete=models.CASCADE, related_name="measures",
                                   verbose_name="备忘录")
    scenario = models.CharField("应用场景", max_length=20, choices=Scenario.choices)
    department = models.CharField("实施部门", max_length=100)
    text = models.CharField("措施", max_length=400)
    legal_basis = models.CharField("法律依据", max_length=400)

    class Meta:
        verbose_name = verbose_name_plural = "联合奖惩措施"
        ordering = ["memorandum", "scenario", "id"]
        constraints = [models.UniqueConstraint(fields=["memorandum", "scenario", "text"], name="measure_unique")]

    def __str__(self) -> str:
        return self.text


class CreditCheck(models.Model):
    """信用核查记录: who checked which entity for which scenario, and what applied."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="credit_checks")
    scenario = models.CharField("应用场景", max_length=20, choices=Scenario.choices)
    actor = models.CharField("核查人", max_length=150)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    purpose = models.CharField("业务事项", max_length=200, blank=True)
    punish_count = models.PositiveIntegerField("惩戒措施数", default=0)
    reward_count = models.PositiveIntegerField("激励措施数", default=0)
    conclusion = models.CharField("结论", max_length=20)
    risk_class = models.CharField("信用风险分类", max_length=1, blank=True)
    created_at = models.DateTimeField("核查时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "信用核查记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.scenario} {self.conclusion}"


class RepairStatus(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "准予修复"
    REJECTED = "rejected", "不予修复"


class RepairApplication(models.Model):
    """信用修复 of a published penalty: application, review, decision."""

    record = models.ForeignKey(CreditRecord, on_delete=models.CASCADE, related_name="repairs", verbose_name="处罚记录")
    applicant = models.CharField("申请人", max_length=100)
    reason = models.TextField("申请理由(履行情况、整改说明)")
    commitment = models.BooleanField("已作出信用承诺", default=False)
    status = models.CharField("状态", max_length=16, choices=RepairStatus.choices, default=RepairStatus.SUBMITTED)
    submitted_on = models.DateField("申请日期")
    due_on = models.DateField("办结时限")
    decided_on = models.DateField("决定日期", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decision_note = models.CharField("决定说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "信用修复申请"
        ordering = ["-submitted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.record_id} {self.applicant}"


class RiskClass(models.TextChoices):
    A = "A", "A类(信用风险低)"
    B = "B", "B类(信用风险一般)"
    C = "C", "C类(信用风险较高)"
    D = "D", "D类(信用风险高)"


class RiskAssessment(models.Model):
    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, related_name="risk")
    risk_class = models.CharField("信用风险分类", max_length=1, choices=RiskClass.choices, db_index=True)
    score = models.IntegerField("评分")
    probability = models.FloatField("风险概率")
    reasons = models.JSONField("主要原因", default=list)
    features = models.JSONField("指标", default=dict)
    computed_on = models.DateField("评价日期")

    class Meta:
        verbose_name = verbose_name_plural = "信用风险分类"

    def __str__(self) -> str:
        return f"{self.entity_id} {self.risk_class}"
