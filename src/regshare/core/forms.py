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
