from django import forms

from .models import RiskRule


class RuleForm(forms.ModelForm):
    class Meta:
        model = RiskRule
        fields = ["code", "name", "indicator", "threshold", "industry_prefix", "level", "department", "active"]

    def clean_threshold(self) -> float:
        value = self.cleaned_data["threshold"]
        if value <= 0:
            raise forms.ValidationError("阈值应大于0")
        return value
