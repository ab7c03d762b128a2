from django.apps import AppConfig


class LakeConfig(AppConfig):
    name = "regshare.lake"
    label = "lake"
    verbose_name = "数据湖"
