from __future__ import annotations

from django import forms


class ApplicationForm(forms.Form):
    required_css_class = "required"
    resource = forms.CharField(label="资源代码", max_length=40)
    fields = forms.MultipleChoiceField(label="申请数据项", widget=forms.CheckboxSelectMultiple, required=False)
    clear_fields = forms.MultipleChoiceField(label="申请明文的数据项(默认脱敏)", widget=forms.CheckboxSelectMultiple,
                                             required=False)
    purpose = forms.CharField(label="用途", widget=forms.Textarea(attrs={"rows": 2}))
    scenario = forms.CharField(label="应用场景", widget=forms.Textarea(attrs={"rows": 2}))
    legal_basis = forms.CharField(label="法律依据", widget=forms.Textarea(attrs={"rows": 2}))
    period_start = forms.DateField(label="使用起始日", widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="使用截止日", widget=forms.DateInput(attrs={"type": "date"}))
    approval_file = forms.FileField(label="分管领导书面批准(PDF/图片/Word)")

    def __init__(self, *args, field_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields"].choices = field_choices
        self.fields["clear_fields"].choices = field_choices


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(label="结论", choices=[("1", "通过"), ("0", "驳回")], coerce=lambda v: v == "1")
    reason = forms.CharField(label="意见/驳回理由", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 2}))


class DestructionForm(forms.Form):
    destroyed_on = forms.DateField(label="销毁日期", widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.CharField(label="销毁方式", max_length=100)
    copies = forms.CharField(label="销毁的副本", widget=forms.Textarea(attrs={"rows": 2}))
    witness = forms.CharField(label="监销人", max_length=50, required=False)


class SubscriptionForm(forms.Form):
    url = forms.URLField(label="回调地址", max_length=500)
    from_version = forms.IntegerField(label="从版本(留空=从当前起)", required=False, min_value=0)


class CorrectionForm(forms.Form):
    resource = forms.CharField(label="资源代码", max_length=40)
    key_value = forms.CharField(label="记录主键值", max_length=200)
    field = forms.CharField(label="数据项代码", max_length=64)
    proposed_value = forms.CharField(label="建议值", max_length=500, required=False)
    explanation = forms.CharField(label="错误说明及依据", widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(forms.Form):
    accept = forms.TypedChoiceField(label="校核结论", choices=[("1", "确有错误,更正"), ("0", "核实无误")],
                                    coerce=lambda v: v == "1")
    corrected_value = forms.CharField(label="更正值(留空则采用建议值)", max_length=500, required=False)
    answer = forms.CharField(label="校核意见", widget=forms.Textarea(attrs={"rows": 2}))


class HandoverForm(forms.Form):
    medium = forms.CharField(label="介质(光盘/U盘…)", max_length=50)
    handed_over_by = forms.CharField(label="移交人", max_length=50)
    received_by = forms.CharField(label="接收人", max_length=50)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
