from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "regshare.catalog"
    label = "catalog"
    verbose_name = "数据资源目录"
