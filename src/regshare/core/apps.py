from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "regshare.core"
    label = "core"
    verbose_name = "基础:部门、用户、审计"
