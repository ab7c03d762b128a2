"""Forms of the supervision pages: what a user types, checked with Chinese messages before the services run."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from regshare.core.models import Department
from regshare.core.permissions import Principal

from . import draw as drawing
from . import services
from .models import Case, Inspector, RandomItem


def _departments(exclude: Department | None = None):
    qs = Department.objects.filter(active=True).order_by("code")
    return qs.exclude(pk=exclude.pk) if exclude is not None else qs


class EntityCodeField(forms.CharField):
    """A credit code that must name an entity of the register; cleans to the entity."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("label", "市场主体统一社会信用代码")
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        return services.entity_by_code(value)


class AssistanceForm(forms.Form):
    target = forms.ModelChoiceField(label="协办部门", queryset=Department.objects.none())
    subject = forms.CharField(label="协查事项", max_length=200)
    content = forms.CharField(label="协查内容", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    entity = EntityCodeField(required=False, help_text="涉及某一市场主体时填写")
    case = forms.ModelChoiceField(label="关联案件", queryset=Case.objects.none(), required=False)

    def __init__(self, principal: Principal, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = _departments(principal.department)
        self.fields["case"].queryset = Case.objects.visible_to(principal).exclude(status="closed")


class CaseForm(forms.Form):
    title = forms.CharField(label="名称", max_length=200)
    kind = forms.ChoiceField(label="类别", choices=[("case", "重大案件"), ("event", "重点事件")])
    summary = forms.CharField(label="案情摘要", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    entity = EntityCodeField(required=False)
    departments = forms.ModelMultipleChoiceField(label="参与部门", queryset=Department.objects.none(), required=False,
                                                 widget=forms.CheckboxSelectMultiple)

    def __init__(self, principal: Principal, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = _departments(principal.department)


class CaseEventForm(forms.Form):
    action = forms.CharField(label="事件", max_length=60, help_text="如:调取证据、约谈、采取措施、处理结果")
    note = forms.CharField(label="说明", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConflictForm(forms.Form):
    inspector = forms.ModelChoiceField(label="执法检查人员", queryset=Inspector.objects.none())
    entity = EntityCodeField(required=True)
    reason = forms.CharField(label="回避事由", max_length=200, help_text="如:近亲属任该企业高级管理人员、曾在该企业任职")

    def __init__(self, principal: Principal, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = services.inspectors_for_declaration(principal)


class TaskForm(forms.Form):
    code = forms.CharField(label="任务编号", max_length=40, help_text="如 柴桑双随机〔2026〕3号")
    name = forms.CharField(label="任务名称", max_length=200)
    joint_departments = forms.ModelMultipleChoiceField(
        label="联合部门(联合抽查,一次检查多部门事项)", queryset=Department.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    items = forms.ModelMultipleChoiceField(label="抽查事项", queryset=RandomItem.objects.select_related("item"),
                                           widget=forms.CheckboxSelectMultiple)
    industry = forms.RegexField(label="行业代码前缀", regex=r"^[A-Z]?\d{0,4}$", required=False, max_length=5,
                                error_messages={"invalid": "行业代码前缀应为门类字母加至多4位数字,如 F52"})
    area = forms.RegexField(label="登记区域(行政区划代码)", regex=r"^\d{2,6}$", required=False, max_length=6,
                            error_messages={"invalid": "登记区域应为2至6位行政区划代码数字"})
    inspectors_per_object = forms.IntegerField(label="每户检查人员数", min_value=2, max_value=5, initial=2)
    control_ratio = forms.CharField(label="随机对照组比例", max_length=12, required=False,
                                    help_text="从整个对象库另行等概率抽取的比例,用于比较按风险抽查与随机抽查的效果;0 为不设")

    def __init__(self, principal: Principal, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["joint_departments"].queryset = _departments(principal.department)
        self.fields["control_ratio"].initial = settings.SUPERVISION_CONTROL_RATIO

    def clean_control_ratio(self) -> str:
        value = (self.cleaned_data.get("control_ratio") or "").strip()
        if value:
            try:
                drawing.parse_control_ratio(value)
            except drawing.DrawError as exc:
                raise ValidationError(str(exc)) from exc
        return value

    def filters(self) -> dict:
        data = self.cleaned_data
        return {key: data[key] for key in ("industry", "area") if data.get(key)}
