"""Market-access effectiveness evaluation (市场准入效能评估, SPEC §8, seed 004): indicators as data, their values
per period / department / industry, department submissions with review, survey results, AHP weightings and
fuzzy evaluations."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from regshare.core.filters import Choice, Filters, Search
from regshare.core.models import Department
from regshare.core.visibility import VisibleQuerySet


class IndicatorGroup(models.TextChoices):
    """The five indicator groups of seed 004 三(二)."""

    LIST_EXECUTION = "list_execution", "清单执行"
    APPROVAL = "approval", "审批效能"
    SERVICE = "service", "服务质量"
    SUPERVISION = "supervision", "监管效能"
    SATISFACTION = "satisfaction", "市场主体满意度"


class SourceKind(models.TextChoices):
    """Where a figure comes from (seed 004 四(一)): system collection, department submission, survey."""

    COMPUTED = "computed", "系统采集"
    SUBMISSION = "submission", "部门报送"
    SURVEY = "survey", "问卷调查"


class Direction(models.TextChoices):
    POSITIVE = "positive", "越大越好"
    NEGATIVE = "negative", "越小越好"


class Period(models.TextChoices):
    MONTH = "month", "月度"
    QUARTER = "quarter", "季度"
    HALF = "half", "半年"
    YEAR = "year", "年度"


class VisibleToAll(models.QuerySet):
    """Evaluation figures are shared among every department that takes part (seed 004 四(二))."""

    def visible_to(self, principal) -> models.QuerySet:
        from regshare.core.permissions import has_perm

        return self if has_perm(principal, "evaluation.view") else self.none()


class Indicator(models.Model):
    code = models.CharField("指标代码", max_length=32, unique=True)
    name = models.CharField("指标名称", max_length=100)
    group = models.CharField("指标类别", max_length=20, choices=IndicatorGroup.choices, db_index=True)
    formula = models.TextField("计算公式/口径")
    source = models.CharField("数据来源方式", max_length=12, choices=SourceKind.choices)
    source_detail = models.CharField("来源", max_length=200, blank=True,
                                     help_text="系统采集的数据资源代码、问卷名称或报送要求")
    calculator = models.CharField("计算方法", max_length=40, blank=True,
                                  help_text="系统采集指标的内置计算方法(见 evaluation.indicators)")
    unit = models.CharField("单位", max_length=20)
    direction = models.CharField("指标方向", max_length=10, choices=Direction.choices)
    period = models.CharField("统计周期", max_length=10, choices=Period.choices, default=Period.HALF)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="责任部门")
    thresholds = models.JSONField("分级标准值(优/良/中/差)", default=list, blank=True,
                                  help_text="每个等级一个标准值,从优到差;用于模糊综合评价的隶属度")
    position = models.PositiveIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    objects = VisibleToAll.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "评估指标"
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class IndicatorValue(models.Model):
    """One figure of one indicator for one period, overall (no department, no industry) or broken down."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values", verbose_name="指标")
    period = models.CharField("统计期", max_length=10, db_index=True, help_text="如 2026H1、2026Q2、2026-05、2026")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="部门")
    industry = models.CharField("行业", max_length=40, blank=True, default="")
    value = models.FloatField("指标值")
    origin = models.CharField("来源方式", max_length=12, choices=SourceKind.choices)
    facts = models.JSONField("计算依据", default=dict, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = VisibleToAll.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "指标值"
        ordering = ["indicator__position", "indicator__code", "period", "department__code", "industry"]
        constraints = [models.UniqueConstraint(fields=["indicator", "period", "department", "industry"],
                                               name="evaluation_value_once")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period} {self.value}"


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "已采用"
    RETURNED = "returned", "已退回"


class SubmissionQuerySet(VisibleQuerySet):
    def visible_to(self, principal) -> models.QuerySet:
        """A department sees its own submissions; reviewers and analysts see all."""
        from regshare.core.permissions import has_perm

        if has_perm(principal, "evaluation.review") or has_perm(principal, "evaluation.manage"):
            return self
        if has_perm(principal, "evaluation.view") and principal.department is not None:
            return self.filter(department=principal.department)
        return self.none()


class Submission(models.Model):
    """A figure no system holds, reported by the responsible department and reviewed by 区发改 (seed 004 五(一)2)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="submissions",
                                  verbose_name="指标")
    period = models.CharField("统计期", max_length=10)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="报送部门")
    value = models.FloatField("指标值")
    basis = models.TextField("数据说明", help_text="数据来源、口径与计算过程")
    status = models.CharField("状态", max_length=12, choices=SubmissionStatus.choices,
                              default=SubmissionStatus.DRAFT, db_index=True)
    deadline = models.DateField("审核期限", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="填报人")
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="审核人")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_comment = models.TextField("审核意见", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "部门报送"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period} {self.department}"

    def get_absolute_url(self) -> str:
        return f"/evaluation/submissions/{self.pk}/"


class Survey(models.Model):
    """A satisfaction survey (问卷调查) whose results were imported from Excel."""

    name = models.CharField("问卷名称", max_length=200)
    period = models.CharField("统计期", max_length=10)
    grades = models.JSONField("评价等级", default=list)
    file_name = models.CharField("导入文件", max_length=200, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="导入人")
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)

    objects = VisibleToAll.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "问卷调查"
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}({self.period})"


class SurveyResult(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="results", verbose_name="问卷")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name="指标")
    industry = models.CharField("行业", max_length=40, blank=True, default="")
    counts = models.JSONField("各等级人数")
    respondents = models.PositiveIntegerField("有效答卷数")

    class Meta:
        verbose_name = verbose_name_plural = "问卷结果"
        ordering = ["indicator__code", "industry"]

    def __str__(self) -> str:
        return f"{self.survey} {self.indicator.code} {self.industry}"


class RiTable(models.TextChoices):
    SAATY = "saaty", "Saaty"
    CN = "cn", "国内常用(许树柏)"


class Weighting(models.Model):
    """One AHP judgement of one level: the criteria compared, every expert's matrix, and the result with the
    RI table it was checked against."""

    name = models.CharField("名称", max_length=200)
    level = models.CharField("层级", max_length=20, help_text="group 为准则层(五类指标),其余为该类下的指标层")
    criteria = models.JSONField("比较对象")
    matrices = models.JSONField("专家判断矩阵")
    matrix = models.JSONField("综合判断矩阵")
    ri_table = models.CharField("随机一致性指标表", max_length=10, choices=RiTable.choices)
    ri = models.FloatField("RI")
    weights = models.JSONField("权重")
    lambda_max = models.FloatField("λmax")
    ci = models.FloatField("CI")
    cr = models.FloatField("CR")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = VisibleToAll.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "层次分析权重"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Evaluation(models.Model):
    """A comprehensive evaluation of one period: AHP weights × fuzzy membership → grade and score."""

    name = models.CharField("名称", max_length=200)
    period = models.CharField("统计期", max_length=10, db_index=True)
    operator = models.CharField("合成算子", max_length=10)
    grades = models.JSONField("评语集")
    weighting = models.ForeignKey(Weighting, on_delete=models.PROTECT, related_name="+", verbose_name="准则层权重")
    result = models.JSONField("评价向量")
    grade = models.CharField("评价等级", max_length=20)
    score = models.FloatField("综合得分")
    detail = models.JSONField("分类与指标明细", default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = VisibleToAll.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "综合评价"
        ordering = ["-period", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} {self.period}"


class MeetingKind(models.TextChoices):
    """Coordination meetings (seed 000 §6: monthly; seed 004 六: half-yearly, and ad hoc when needed)."""

    MONTHLY = "monthly", "月度协调会议"
    HALF_YEAR = "half_year", "半年评估工作协调会议"
    AD_HOC = "ad_hoc", "临时协调会议"


class Meeting(models.Model):
    kind = models.CharField("会议类型", max_length=12, choices=MeetingKind.choices)
    title = models.CharField("会议名称", max_length=200)
    held_on = models.DateField("召开日期")
    convener = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="召集部门")
    attendees = models.ManyToManyField(Department, blank=True, related_name="+", verbose_name="参会部门")
    minutes = models.TextField("会议纪要")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="记录人")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = VisibleToAll.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "协调会议"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class TaskKind(models.TextChoices):
    PROBLEM = "problem", "评估问题整改"
    MEETING = "meeting", "会议议定事项"


class RectificationStatus(models.TextChoices):
    ASSIGNED = "assigned", "待制定整改方案"
    RECTIFYING = "rectifying", "整改中"
    RECHECKING = "rechecking", "待复查验收"
    CLOSED = "closed", "已销号"


class RectificationQuerySet(models.QuerySet):
    def visible_to(self, principal) -> models.QuerySet:
        """The responsible department sees its own problems; 区发改 (evaluation.manage / review) sees all."""
        from regshare.core.permissions import has_perm

        if has_perm(principal, "evaluation.manage") or has_perm(principal, "evaluation.review"):
            return self
        if has_perm(principal, "evaluation.view") and principal.department_id is not None:
            return self.filter(department_id=principal.department_id)
        return self.none()


class Rectification(models.Model):
    """One problem of the problem list (问题清单, seed 004 七(二)): responsible department, measures, deadline,
    person; progress; re-inspection and closing (销号); overdue items are escalated (督办)."""

    number = models.CharField("问题编号", max_length=32, unique=True)
    evaluation = models.ForeignKey(Evaluation, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="rectifications", verbose_name="来源评估")
    kind = models.CharField("事项类别", max_length=10, choices=TaskKind.choices, default=TaskKind.PROBLEM)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks",
                                verbose_name="来源会议")
    problem = models.TextField("存在问题/议定事项")
    requirement = models.TextField("整改要求")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="责任部门")
    deadline = models.DateField("整改时限", db_index=True)
    status = models.CharField("状态", max_length=12, choices=RectificationStatus.choices,
                              default=RectificationStatus.ASSIGNED, db_index=True)
    measures = models.TextField("整改措施", blank=True)
    person = models.CharField("责任人", max_length=50, blank=True)
    progress = models.TextField("整改进展", blank=True)
    recheck_opinion = models.TextField("复查意见", blank=True)
    escalated_at = models.DateTimeField("督办时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="交办人")
    created_at = models.DateTimeField("交办时间", auto_now_add=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)

    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "整改事项"
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return f"{self.number} {self.problem[:30]}"

    def get_absolute_url(self) -> str:
        return f"/evaluation/rectifications/{self.pk}/"


# ----------------------------------------------------------------------------- reports (评估报告, seed 004 五(三))

class ReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    CONSULTING = "consulting", "征求意见中"
    REVISED = "revised", "已修改待审定"
    APPROVED = "approved", "区政府已审定"
    PUBLISHED = "published", "已发布"


class BuildState(models.TextChoices):
    IDLE = "idle", "未生成"
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已生成"
    FAILED = "failed", "生成失败"


class ReportQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "title", "period"), Choice("status", ReportStatus))

    def visible_to(self, principal) -> models.QuerySet:
        """Everyone taking part in the evaluation reads every report; the public only the published ones."""
        from regshare.core.permissions import has_perm

        if principal.is_authenticated and has_perm(principal, "evaluation.view"):
            return self
        return self.filter(status=ReportStatus.PUBLISHED)


class Report(models.Model):
    """An evaluation report: purpose, method, results, problems and causes, suggestions (seed 004 五(三)),
    drafted by 区发改, put out for comments (征求意见) with a deadline, revised, approved by the district
    government and published on the portal. The Word and PDF files are generated in the background."""

    title = models.CharField("报告名称", max_length=200)
    period = models.CharField("统计期", max_length=10)
    evaluation = models.ForeignKey(Evaluation, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="reports", verbose_name="依据的综合评价")
    purpose = models.TextField("评估目的")
    method = models.TextField("评估方法")
    results = models.TextField("评估结果")
    problems = models.TextField("存在问题及原因")
    suggestions = models.TextField("意见建议")
    status = models.CharField("状态", max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT,
                              db_index=True)
    deadline = models.DateField("下一步期限", null=True, blank=True)
    comment_deadline = models.DateField("征求意见截止日期", null=True, blank=True)
    revision_note = models.TextField("修改说明", blank=True)
    approval_note = models.TextField("审定意见", blank=True)
    published_on = models.DateField("发布日期", null=True, blank=True)
    build_state = models.CharField("文件生成状态", max_length=8, choices=BuildState.choices, default=BuildState.IDLE)
    build_progress = models.PositiveSmallIntegerField("生成进度(%)", default=0)
    build_step = models.CharField("当前步骤", max_length=60, blank=True)
    build_error = models.TextField("生成错误", blank=True)
    docx = models.BinaryField("Word 文件", null=True, blank=True, editable=False)
    pdf = models.BinaryField("PDF 文件", null=True, blank=True, editable=False)
    built_at = models.DateTimeField("生成时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="起草人")
    created_at = models.DateTimeField("起草时间", auto_now_add=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "评估报告"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/evaluation/reports/{self.pk}/"


class CommenterKind(models.TextChoices):
    DEPARTMENT = "department", "部门"
    ENTITY = "entity", "市场主体"
    PUBLIC = "public", "社会公众"


class ReportComment(models.Model):
    """One comment received while the report is out for comments, and how the revision answered it."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments", verbose_name="评估报告")
    kind = models.CharField("意见来源", max_length=12, choices=CommenterKind.choices)
    author = models.CharField("提出人", max_length=100)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="部门")
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    content = models.TextField("意见内容")
    answer = models.TextField("采纳情况", blank=True)
    created_at = models.DateTimeField("提出时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "报告意见"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.author}"


# ----------------------------------------------------------------------------- analysis topics (协同分析, seed 000 §4)

class AnalysisKind(models.TextChoices):
    ENTRY_TREND = "entry_trend", "行业准入趋势"
    APPROVAL = "approval", "审批效率"
    BUSINESS_RISK = "business_risk", "企业经营风险"
    CUSTOM = "custom", "自定义分析"


class TopicStatus(models.TextChoices):
    PLANNED = "planned", "已立项"
    ANALYSED = "analysed", "已完成分析"
    REPORTED = "reported", "已报送区政府"
    CLOSED = "closed", "已结题"


class TopicQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "title", "method"), Choice("status", TopicStatus), Choice("kind", AnalysisKind))

    def visible_to(self, principal) -> models.QuerySet:
        """The analysis group works on a topic; everyone in the evaluation reads it (its results are shared)."""
        from regshare.core.permissions import require

        require(principal, "evaluation.view")
        return self.select_related("lead")


class AnalysisTopic(models.Model):
    """A collaborative analysis topic (协同分析专题): its group, the data used (through grants), method, results,
    report to the district government and the feedback of the departments that applied it."""

    title = models.CharField("专题名称", max_length=200)
    kind = models.CharField("分析类型", max_length=16, choices=AnalysisKind.choices)
    lead = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="牵头部门")
    members = models.ManyToManyField(Department, blank=True, related_name="+", verbose_name="专题组成员部门")
    grants = models.ManyToManyField("exchange.Grant", blank=True, related_name="+", verbose_name="使用的数据(共享授权)")
    method = models.TextField("分析方法")
    params = models.JSONField("分析参数", default=dict, blank=True)
    results = models.JSONField("分析结果", default=dict, blank=True)
    conclusion = models.TextField("分析结论", blank=True)
    report = models.TextField("专题报告", blank=True)
    status = models.CharField("状态", max_length=10, choices=TopicStatus.choices, default=TopicStatus.PLANNED,
                              db_index=True)
    deadline = models.DateField("下一步期限", null=True, blank=True)
    analysed_at = models.DateTimeField("分析时间", null=True, blank=True)
    reported_on = models.DateField("报送日期", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="立项人")
    created_at = models.DateTimeField("立项时间", auto_now_add=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "协同分析专题"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/evaluation/topics/{self.pk}/"


class TopicFeedback(models.Model):
    """How a department applied a topic's results, and to what effect."""

    topic = models.ForeignKey(AnalysisTopic, on_delete=models.CASCADE, related_name="feedback", verbose_name="专题")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="部门")
    applied_to = models.CharField("应用场景", max_length=200)
    effect = models.TextField("应用效果")
    author = models.CharField("填报人", max_length=100)
    created_at = models.DateTimeField("反馈时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "专题应用反馈"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.department} {self.applied_to}"
