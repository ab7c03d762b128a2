from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "regshare.ingest"
    label = "ingest"
    verbose_name = "数据归集与治理"
