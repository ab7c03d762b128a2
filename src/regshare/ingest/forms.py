from django import forms

from .models import LoadMode


class UploadForm(forms.Form):
    required_css_class = "required"
    resource = forms.ModelChoiceField(queryset=None, label="数据资源", empty_label="请选择本部门提供的资源",
                                      to_field_name="code")
    # Merging on the key is the safe default: a replace drops every row the file lacks, so the page asks first.
    mode = forms.ChoiceField(choices=[(LoadMode.MERGE, "增量合并(按主键新增或更新,保留文件中没有的行)"),
                                      (LoadMode.REPLACE, "全量替换(以本文件替换全部数据,文件中没有的行将删除)")],
                             label="写入方式", initial=LoadMode.MERGE, widget=forms.RadioSelect)
    file = forms.FileField(label="数据文件", help_text="CSV(UTF-8/GBK/GB18030)、XLSX、XLS、JSON、NDJSON")

    def __init__(self, *args, resources=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources
