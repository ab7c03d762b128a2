"""Risk warning (风险预警): rules with thresholds, model versions, scores with reasons, and alerts."""

from __future__ import annotations

from django.db import models

from regshare.core.filters import Choice, Filters, Search
from regshare.core.models import Department
from regshare.core.permissions import Principal, require, sees_everything
from regshare.core.visibility import VisibleQuerySet, department_rows
from regshare.credit.models import RiskClass
from regshare.entities.models import Entity

from .indicators import INDICATOR_CHOICES


class RiskRule(models.Model):
    """A configurable rule: an indicator at or above a threshold (e.g. 近30日食品类投诉 ≥ 3) raises an alert."""

    code = models.CharField("规则编号", max_length=40, unique=True)
    name = models.CharField("规则名称", max_length=100)
    indicator = models.CharField("指标", max_length=40, choices=INDICATOR_CHOICES)
    threshold = models.FloatField("阈值(达到即命中)")
    industry_prefix = models.CharField("适用行业代码前缀", max_length=10, blank=True,
                                       help_text="留空表示适用所有行业")
    level = models.CharField("预警等级", max_length=1, choices=RiskClass.choices, default=RiskClass.C)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="处置部门", help_text="留空时按行业分派规则确定")
    active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "预警规则"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class AlertRoute(models.Model):
    """Which department an alert of an industry goes to (the longest matching prefix wins)."""

    industry_prefix = models.CharField("行业代码前缀", max_length=10, blank=True, help_text="留空表示其他所有行业")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="处置部门")

    class Meta:
        verbose_name = verbose_name_plural = "预警分派规则"
        ordering = ["-industry_prefix"]
        constraints = [models.UniqueConstraint(fields=["industry_prefix"], name="risk_route_prefix_unique")]

    def __str__(self) -> str:
        return f"{self.industry_prefix or '其他'} → {self.department.name}"


class ModelVersion(models.Model):
    """One trained model: its data window, features, hold-out figures and file (the model registry)."""

    version = models.PositiveIntegerField("版本", unique=True)
    algorithm = models.CharField("算法", max_length=40, default="LightGBM")
    trained_on = models.DateField("训练日期")
    train_cut = models.DateField("训练样本截止日")
    holdout_cut = models.DateField("留出样本截止日")
    label_days = models.PositiveIntegerField("标签观察期(天)", default=365)
    features = models.JSONField("特征", default=list)
    params = models.JSONField("参数", default=dict)
    train_rows = models.PositiveIntegerField("训练样本数", default=0)
    holdout_rows = models.PositiveIntegerField("留出样本数", default=0)
    positive_rate = models.FloatField("留出样本阳性率", default=0)
    auc = models.FloatField("AUC", null=True)
    ks = models.FloatField("KS", null=True)
    precision_at_k = models.JSONField("前K名精确率", default=dict)
    feedback_labels = models.PositiveIntegerField("采用的预警反馈标签数", default=0)
    path = models.CharField("模型文件", max_length=300)
    active = models.BooleanField("当前使用", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "风险模型版本"
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def precision_at_100(self) -> float | None:
        return self.precision_at_k.get("100")


class ScoreQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "entity__name", "entity__uscc"), Choice("level", RiskClass))

    def visible_to(self, principal: Principal) -> models.QuerySet:
        """Risk scores are district-wide analysis: every role with ``risk.view`` sees all of them."""
        require(principal, "risk.view")
        return self.select_related("entity", "model_version").order_by("-score", "entity__uscc")


class RiskScore(models.Model):
    """The latest score of an entity, with its reasons (model contributions) and the rules it meets."""

    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, related_name="risk_score", verbose_name="市场主体")
    score = models.FloatField("风险分(0-100)", db_index=True)
    probability = models.FloatField("风险概率")
    level = models.CharField("风险等级", max_length=1, choices=RiskClass.choices, db_index=True)
    reasons = models.JSONField("主要原因", default=list)
    rule_hits = models.JSONField("命中规则", default=list)
    indicators = models.JSONField("指标值", default=dict)
    industry = models.CharField("行业代码", max_length=20, blank=True)
    area = models.CharField("所在乡镇(街道)", max_length=40, blank=True)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name="模型版本")
    computed_on = models.DateField("评分日期")

    objects = ScoreQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "风险评分"
        ordering = ["-score"]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.score}"


class AlertStatus(models.TextChoices):
    DISPATCHED = "dispatched", "已分派待核实"
    VERIFIED = "verified", "已核实待处置"
    ACTED = "acted", "已处置待办结"
    CLOSED = "closed", "已办结"
    DISMISSED = "dismissed", "核实排除"


class AlertSource(models.TextChoices):
    RULE = "rule", "规则预警"
    MODEL = "model", "模型预警"
    LINK = "link", "关联预警"


class AlertQuerySet(VisibleQuerySet):
    filters = Filters(Search("q", "number", "entity__name", "entity__uscc"), Choice("status", AlertStatus),
                      Choice("source", AlertSource), Choice("level", RiskClass))

    def visible_to(self, principal: Principal) -> models.QuerySet:
        """The data bureau and auditors see every alert; a department the alerts dispatched to it."""
        require(principal, "risk.view")
        items = self.select_related("entity", "department", "rule", "model_version")
        if sees_everything(principal):
            return items
        return department_rows(items, principal, "department")


class Alert(models.Model):
    number = models.CharField("预警编号", max_length=40, unique=True)
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="risk_alerts", verbose_name="市场主体")
    source = models.CharField("来源", max_length=10, choices=AlertSource.choices)
    rule = models.ForeignKey(RiskRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts",
                             verbose_name="规则")
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="alerts", verbose_name="模型版本")
    level = models.CharField("预警等级", max_length=1, choices=RiskClass.choices)
    score = models.FloatField("风险分", default=0)
    title = models.CharField("预警事由", max_length=200)
    reasons = models.JSONField("原因", default=list)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="处置部门")
    status = models.CharField("状态", max_length=12, choices=AlertStatus.choices, default=AlertStatus.DISPATCHED)
    raised_on = models.DateField("预警日期")
    deadline = models.DateField("下一步期限", null=True, blank=True)
    verification = models.TextField("核实情况", blank=True)
    action_taken = models.TextField("处置措施", blank=True)
    feedback = models.TextField("办结反馈", blank=True)
    confirmed = models.BooleanField("预警属实", null=True, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "风险预警"
        ordering = ["-raised_on", "-score", "id"]
        indexes = [models.Index(fields=["status", "department"]), models.Index(fields=["entity", "source"])]

    def __str__(self) -> str:
        return self.number
