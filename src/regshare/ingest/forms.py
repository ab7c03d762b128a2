from django import forms

from .models import LoadMode


class UploadForm(forms.Form):
    resource = forms.ModelChoiceField(queryset=None, label="数据资源", empty_label="请选择本部门提供的资源",
                                      to_field_name="code")
    mode = forms.ChoiceField(choices=LoadMode.choices, label="写入方式", initial=LoadMode.REPLACE)
    file = forms.FileField(label="数据文件", help_text="CSV(UTF-8/GBK/GB18030)、XLSX、XLS、JSON、NDJSON")

    def __init__(self, *args, resources=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources
