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
