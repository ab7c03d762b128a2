"""The entity master (法人库) and the links from shared records to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from regshare.core.codes import clean_uscc
from regshare.core.filters import Exact, Filters, Search
from regshare.core.permissions import require
from regshare.core.visibility import VisibleQuerySet

from .codes import normalize_name


class EntitySearch(Search):
    """A code prefix, or a name as written or normalised (有限责任公司 = 有限公司, full-width = half-width)."""

    def apply(self, queryset: models.QuerySet, value: str) -> models.QuerySet:
        return queryset.filter(models.Q(uscc__startswith=clean_uscc(value)) | models.Q(name__icontains=value)
                               | models.Q(name_norm__icontains=normalize_name(value)))


class EntityQuerySet(VisibleQuerySet):
    filters = Filters(EntitySearch("q"), Exact("status", "status"))

    def visible_to(self, principal):
        """The entity register is one for the district: every role with ``entities.view`` sees all of it."""
        require(principal, "entities.view")
        return self.order_by("uscc")


class Entity(models.Model):
    """One market entity, keyed by its unified social credit code; rebuilt from SCJG-0001."""

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("企业名称", max_length=200)
    name_norm = models.CharField("规范化名称", max_length=200, db_index=True)
    legal_rep = models.CharField("法定代表人", max_length=100, blank=True)
    legal_rep_id = models.CharField("法定代表人身份证号", max_length=32, blank=True)
    phone = models.CharField("联系电话", max_length=40, blank=True)
    address = models.CharField("住所", max_length=300, blank=True)
    established = models.DateField("成立日期", null=True, blank=True)
    capital = models.DecimalField("注册资本(万元)", max_digits=16, decimal_places=2, null=True, blank=True)
    industry = models.CharField("行业代码", max_length=20, blank=True)
    status = models.CharField("登记状态", max_length=20, blank=True)
    source_version = models.IntegerField("来源版本", default=0)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = EntityQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "市场主体"
        ordering = ["uscc"]

    def __str__(self) -> str:
        return f"{self.name}({self.uscc})"


class LinkMethod(models.TextChoices):
    EXACT = "exact", "代码精确匹配"
    PROBABILISTIC = "probabilistic", "概率匹配"
    MANUAL = "manual", "人工确认"


class LinkStatus(models.TextChoices):
    LINKED = "linked", "已关联"
    CANDIDATE = "candidate", "待人工确认"
    REJECTED = "rejected", "已否决"
    UNMATCHED = "unmatched", "未匹配"


class EntityLink(models.Model):
    """A record of a shared resource (or a credit record) linked to an entity.

    ``source`` is a catalog resource code or ``credit:<kind>`` for the credit app's own records;
    ``record_key`` is the record's key in that source. Probabilistic links keep Splink's match
    weight and probability; the uncertain band waits in the review queue as ``candidate``.
    """

    source = models.CharField("来源", max_length=60)
    record_key = models.CharField("记录键", max_length=120)
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.CASCADE, related_name="links",
                               verbose_name="市场主体")
    raw_uscc = models.CharField("记录中的代码", max_length=60, blank=True)
    raw_name = models.CharField("记录中的名称", max_length=200, blank=True)
    method = models.CharField("关联方式", max_length=16, choices=LinkMethod.choices)
    status = models.CharField("状态", max_length=16, choices=LinkStatus.choices)
    match_weight = models.FloatField("匹配权重", null=True, blank=True)
    match_probability = models.FloatField("匹配概率", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="确认人")
    reviewed_at = models.DateTimeField("确认时间", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "记录关联"
        ordering = ["-match_probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "record_key", "entity"], name="entity_link_unique"),
        ]
        indexes = [models.Index(fields=["source", "record_key"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.source}:{self.record_key} → {self.entity_id}"
