from __future__ import annotations

from django import forms

from regshare.core.models import Department

from .models import (
    Demand,
    FieldTag,
    FieldType,
    Frequency,
    Grade,
    OpenType,
    Provision,
    Resource,
    ShareType,
    Status,
    UpdateObligation,
)

TEXTAREA = forms.Textarea(attrs={"rows": 2, "cols": 60})


class ResourceForm(forms.ModelForm):
    required_css_class = "required"

    class Meta:
        model = Resource
        fields = ["name", "summary", "source_system", "category", "catalog_class", "catalog_item", "catalog_subitem",
                  "data_format", "update_frequency", "share_type", "share_conditions", "legal_basis", "open_type",
                  "open_conditions", "provision", "grade", "dedicated_departments", "related", "successor",
                  "max_invalid_fraction"]
        widgets = {"summary": TEXTAREA, "share_conditions": TEXTAREA, "legal_basis": TEXTAREA,
                   "open_conditions": TEXTAREA, "dedicated_departments": forms.SelectMultiple(attrs={"size": 5}),
                   "related": forms.SelectMultiple(attrs={"size": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dedicated_departments"].queryset = Department.objects.filter(level=Department.Level.DEPARTMENT)
        others = Resource.objects.exclude(status=Status.OFFLINE)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["related"].queryset = others
        self.fields["successor"].queryset = others
        self.fields["legal_basis"].label = "共享条件依据 / 不予共享的法律依据"
        self.fields["legal_basis"].help_text = "有条件共享时写明设定条件的依据;不予共享时必须写明法律、行政法规或党中央、国务院政策依据。"


class FieldForm(forms.Form):
    required_css_class = "required"
    name = forms.CharField(label="字段中文名", max_length=100, widget=forms.TextInput(attrs={"size": 12}))
    code_name = forms.CharField(label="字段代码", max_length=64, widget=forms.TextInput(attrs={"size": 12}))
    data_type = forms.ChoiceField(label="类型", choices=FieldType.choices, initial=FieldType.STRING)
    required = forms.BooleanField(label="必填", required=False)
    is_key = forms.BooleanField(label="主键", required=False)
    enumeration = forms.CharField(label="枚举值(用、分隔)", required=False, max_length=1000,
                                  widget=forms.TextInput(attrs={"size": 14}))
    tag = forms.ChoiceField(label="敏感标签", choices=FieldTag.choices, required=False)
    grade = forms.ChoiceField(label="分级", choices=Grade.choices, initial=Grade.GENERAL)
    description = forms.CharField(label="说明", required=False, max_length=300,
                                  widget=forms.TextInput(attrs={"size": 12}))

    def clean_enumeration(self) -> list[str]:
        text = self.cleaned_data.get("enumeration") or ""
        return [x.strip() for x in text.replace(",", "、").replace(",", "、").split("、") if x.strip()]


# One blank row; the page adds more (static/regshare/forms.js).
FieldFormSet = forms.formset_factory(FieldForm, extra=1, can_delete=True)


def field_initial(fields) -> list[dict]:
    return [{"name": f.name, "code_name": f.code_name, "data_type": f.data_type, "required": f.required,
             "is_key": f.is_key, "enumeration": "、".join(f.enumeration or []), "tag": f.tag, "grade": f.grade,
             "description": f.description} for f in fields]


class SearchForm(forms.Form):
    q = forms.CharField(label="关键词", required=False, max_length=200)
    provider = forms.ModelChoiceField(label="提供部门", required=False, empty_label="全部部门",
                                      queryset=Department.objects.filter(level=Department.Level.DEPARTMENT))
    share_type = forms.ChoiceField(label="共享类型", required=False, choices=[("", "全部共享类型"), *ShareType.choices])
    open_type = forms.ChoiceField(label="开放属性", required=False, choices=[("", "全部开放属性"), *OpenType.choices])
    grade = forms.ChoiceField(label="分级", required=False, choices=[("", "全部分级"), *Grade.choices])
    update_frequency = forms.ChoiceField(label="更新周期", required=False,
                                         choices=[("", "全部更新周期"), *Frequency.choices])
    provision = forms.ChoiceField(label="提供方式", required=False, choices=[("", "全部提供方式"), *Provision.choices])
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *Status.choices])


class RetireForm(forms.Form):
    reason = forms.CharField(label="下线原因", max_length=500)
    successor = forms.ModelChoiceField(label="替代资源(可选)", required=False,
                                       queryset=Resource.objects.exclude(status=Status.OFFLINE))


class DemandForm(forms.ModelForm):
    class Meta:
        model = Demand
        fields = ["title", "provider", "purpose", "scenario", "fields_wanted", "frequency"]
        widgets = {"purpose": TEXTAREA, "scenario": TEXTAREA, "fields_wanted": TEXTAREA}


class ObligationForm(forms.Form):
    department = forms.ModelChoiceField(label="部门", queryset=Department.objects.filter(
        level=Department.Level.DEPARTMENT), required=False, help_text="数据管理部门可为其他部门登记;留空为本部门")
    reason = forms.ChoiceField(label="原因", choices=UpdateObligation.Reason.choices)
    description = forms.CharField(label="变化说明", widget=TEXTAREA, max_length=2000)
    changed_on = forms.DateField(label="变化发生日期", widget=forms.DateInput(attrs={"type": "date"}))


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="清单类型", choices=[("share", "政务数据共享清单"), ("demand", "政务数据需求清单")])
    file = forms.FileField(label="Excel 文件")
