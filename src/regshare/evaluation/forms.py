from __future__ import annotations

import json

from django import forms

from regshare.core.models import Department

from .ahp import RI_TABLE_LABELS
from .fuzzy import OPERATORS
from .models import AnalysisKind, Evaluation, Indicator, MeetingKind, SourceKind


class PeriodForm(forms.Form):
    period = forms.CharField(label="统计期", max_length=10, help_text="如 2026H1(半年)、2026Q2、2026-05、2026")


class SubmissionForm(forms.Form):
    indicator = forms.ModelChoiceField(label="指标", queryset=Indicator.objects.filter(source=SourceKind.SUBMISSION,
                                                                                       active=True))
    period = forms.CharField(label="统计期", max_length=10, help_text="如 2026H1")
    value = forms.FloatField(label="指标值", min_value=0, max_value=1e12)
    basis = forms.CharField(label="数据说明(来源、口径与计算过程)", widget=forms.Textarea(attrs={"rows": 3}))


class SurveyForm(forms.Form):
    name = forms.CharField(label="问卷名称", max_length=200)
    period = forms.CharField(label="统计期", max_length=10, help_text="如 2026H1")
    file = forms.FileField(label="问卷结果(Excel)",
                           help_text="表头:指标代码、行业(可选)、优、良、中、差(各等级人数)")


class WeightingForm(forms.Form):
    name = forms.CharField(label="名称", max_length=200)
    level = forms.CharField(label="层级", max_length=20, help_text="group 为五类指标之间比较;指标类别代码为该类指标之间比较")
    criteria = forms.CharField(label="比较对象(按矩阵顺序,逗号分隔)")
    matrices = forms.CharField(label="判断矩阵(JSON,一位专家一个矩阵,可多位)",
                               widget=forms.Textarea(attrs={"rows": 6}),
                               help_text="如 [[1, 3], [\"1/3\", 1]];多位专家:[[[…]], [[…]]],按几何平均合成")
    ri_table = forms.ChoiceField(label="随机一致性指标表", choices=list(RI_TABLE_LABELS.items()))

    def clean_matrices(self):
        try:
            return json.loads(self.cleaned_data["matrices"])
        except (ValueError, RecursionError) as exc:
            raise forms.ValidationError("判断矩阵不是有效的 JSON") from exc

    def clean_criteria(self) -> list[str]:
        text = self.cleaned_data["criteria"].replace(",", ",")
        return [p.strip() for p in text.split(",") if p.strip()]


class EvaluateForm(forms.Form):
    period = forms.CharField(label="统计期", max_length=10, help_text="如 2026H1")
    operator = forms.ChoiceField(label="合成算子", choices=list(OPERATORS.items()))
    name = forms.CharField(label="名称", max_length=200, required=False)


class RectificationForm(forms.Form):
    problem = forms.CharField(label="存在问题", widget=forms.Textarea(attrs={"rows": 3}))
    requirement = forms.CharField(label="整改要求", widget=forms.Textarea(attrs={"rows": 2}))
    department = forms.ModelChoiceField(label="责任部门", queryset=Department.objects.filter(
        active=True, level=Department.Level.DEPARTMENT))
    deadline = forms.DateField(label="整改时限", widget=forms.DateInput(attrs={"type": "date"}))
    evaluation = forms.ModelChoiceField(label="来源评估", queryset=Evaluation.objects.all(), required=False)


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    title = forms.CharField(label="会议名称", max_length=200)
    held_on = forms.DateField(label="召开日期", widget=forms.DateInput(attrs={"type": "date"}))
    attendees = forms.ModelMultipleChoiceField(label="参会部门", required=False, queryset=Department.objects.filter(
        active=True, level=Department.Level.DEPARTMENT))
    minutes = forms.CharField(label="会议纪要(讨论内容、达成的共识)", widget=forms.Textarea(attrs={"rows": 5}))
    decisions = forms.CharField(label="议定事项(每行一项:部门编码或名称 | 任务 | 截止日期 YYYY-MM-DD)", required=False,
                                widget=forms.Textarea(attrs={"rows": 4}))


class ReportForm(forms.Form):
    title = forms.CharField(label="报告名称", max_length=200)
    period = forms.CharField(label="统计期", max_length=10, help_text="如 2026H1")
    evaluation = forms.ModelChoiceField(label="依据的综合评价(选择后自动起草各部分)", queryset=Evaluation.objects.all(),
                                        required=False)


class ReportTextForm(forms.Form):
    purpose = forms.CharField(label="评估目的", max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))
    method = forms.CharField(label="评估方法", max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    results = forms.CharField(label="评估结果", max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    problems = forms.CharField(label="存在问题及原因", max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    suggestions = forms.CharField(label="意见建议", max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))


class CommentForm(forms.Form):
    kind = forms.ChoiceField(label="意见来源", choices=[("entity", "市场主体"), ("public", "社会公众")])
    author = forms.CharField(label="姓名或单位名称", max_length=100)
    uscc = forms.CharField(label="统一社会信用代码(市场主体填写)", max_length=30, required=False)
    content = forms.CharField(label="意见内容", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class DepartmentCommentForm(forms.Form):
    content = forms.CharField(label="本部门意见", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class TopicForm(forms.Form):
    title = forms.CharField(label="专题名称", max_length=200)
    kind = forms.ChoiceField(label="分析类型", choices=AnalysisKind.choices)
    method = forms.CharField(label="分析方法", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    members = forms.ModelMultipleChoiceField(label="专题组成员部门", required=False, widget=forms.CheckboxSelectMultiple,
                                             queryset=Department.objects.filter(active=True, level="department"))
    grants = forms.ModelMultipleChoiceField(label="使用的数据(共享授权)", required=False, queryset=None,
                                            widget=forms.CheckboxSelectMultiple)
    months = forms.IntegerField(label="分析月数(行业准入趋势)", min_value=1, max_value=36, initial=12, required=False)

    def __init__(self, grants, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grants"].queryset = grants
        self.fields["grants"].label_from_instance = lambda g: f"{g.consumer.name}:{g.resource}(至 {g.expires_on})"


class FeedbackForm(forms.Form):
    applied_to = forms.CharField(label="应用场景", max_length=200)
    effect = forms.CharField(label="应用效果", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
