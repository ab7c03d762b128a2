from __future__ import annotations

from django import forms

from .permissions import TOKEN_SCOPES


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput)


class TokenForm(forms.Form):
    name = forms.CharField(label="令牌名称", max_length=100)
    scopes = forms.MultipleChoiceField(label="权限范围", widget=forms.CheckboxSelectMultiple)
    days_valid = forms.IntegerField(label="有效天数", min_value=1, max_value=730, initial=365)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = sorted(TOKEN_SCOPES.items())


class OverrideForm(forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(label="类型", choices=[("1", "工作日(调休上班)"), ("0", "休息日(放假)")],
                                        coerce=lambda v: v == "1")
    note = forms.CharField(label="说明", max_length=200, required=False)


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100)
    note = forms.CharField(label="依据(如国务院办公厅通知文号)", max_length=200, required=False)


class ScheduleImportForm(forms.Form):
    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100)
    note = forms.CharField(label="依据(如国务院办公厅通知文号)", max_length=200, required=False)
    file = forms.FileField(label="文件(CSV 或 Excel:日期,类型)", required=False)
    text = forms.CharField(label="或直接粘贴(每行「日期,类型」,类型为 放假 或 调休上班)", required=False,
                           widget=forms.Textarea(attrs={"rows": 6, "placeholder": "2027-01-01,放假\n2027-02-06,调休上班"}))

    def clean(self):
        data = super().clean()
        if not data.get("file") and not (data.get("text") or "").strip():
            raise forms.ValidationError("请上传文件或粘贴放假安排")
        return data


class WorkdayCheckForm(forms.Form):
    start = forms.DateField(label="起算日", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="工作日数", min_value=0, max_value=3650, initial=5)


class UserForm(forms.Form):
    username = forms.RegexField(label="用户名", regex=r"^[A-Za-z0-9_.-]{3,40}$",
                                error_messages={"invalid": "用户名只能包含字母、数字、下划线、点和横线,3–40 位"})
    full_name = forms.CharField(label="姓名", max_length=50)
    password = forms.CharField(label="初始密码", widget=forms.PasswordInput, min_length=8)
    roles = forms.MultipleChoiceField(label="角色", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, role_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = role_choices
