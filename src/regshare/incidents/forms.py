from __future__ import annotations

from django import forms

from .models import Grade, ReportLevel


class IncidentForm(forms.Form):
    title = forms.CharField(label="事件名称", max_length=200)
    grade = forms.ChoiceField(label="事件等级", choices=Grade.choices)
    discovered_at = forms.DateTimeField(label="发现时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    discoverer = forms.CharField(label="发现人/发现途径", max_length=100, required=False)
    description = forms.CharField(label="事件经过(涉及的数据、范围、影响)", widget=forms.Textarea(attrs={"rows": 4}))
    resources = forms.CharField(label="涉及数据资源代码(逗号分隔)", required=False)
    grants = forms.CharField(label="涉及共享授权编号(逗号分隔)", required=False)
    departments = forms.CharField(label="其他涉及部门编码(逗号分隔)", required=False)

    def clean_grants(self) -> list[int]:
        parts = [p.strip().lstrip("#") for p in self.cleaned_data["grants"].replace(",", ",").split(",")]
        try:
            ids = [int(p) for p in parts if p]
        except ValueError as exc:
            raise forms.ValidationError("授权编号须为数字") from exc
        if any(not 1 <= i < 2**31 for i in ids):
            raise forms.ValidationError("授权编号超出范围")
        return ids


def split_codes(text: str) -> list[str]:
    return [p.strip() for p in (text or "").replace(",", ",").split(",") if p.strip()]


class StepForm(forms.Form):
    happened_at = forms.DateTimeField(label="处置时间(空=现在)", required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    description = forms.CharField(label="处置情况", widget=forms.Textarea(attrs={"rows": 3}))


class ReportForm(forms.Form):
    level = forms.ChoiceField(label="报告类别", choices=ReportLevel.choices)
    recipient = forms.CharField(label="报告对象", max_length=100)
    content = forms.CharField(label="报告内容", widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 2}))


class RevokeForm(forms.Form):
    grant = forms.IntegerField(label="授权编号", min_value=1, max_value=2**31 - 1)
    reason = forms.CharField(label="收回理由", widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    review = forms.CharField(label="结案复核意见", widget=forms.Textarea(attrs={"rows": 3}))
