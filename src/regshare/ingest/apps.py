from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "regshare.ingest"
    label = "ingest"
    verbose_name = "数据归集与治理"

    def ready(self) -> None:
        from regshare.core.dashboard import register_pending
        from regshare.core.navigation import MenuItem, register_menu

        from . import (
            policy,  # noqa: F401  (registers permissions)
            services,
        )

        register_menu(MenuItem("归集记录", "ingest:list", "ingest.view", "数据归集"))
        register_menu(MenuItem("上传数据", "ingest:upload", "ingest.upload", "数据归集"))
        register_menu(MenuItem("月度报送", "ingest:duty", "ingest.duty.view", "数据归集"))
        register_pending(services.pending_duty_items)
        # The catalog's resource page shows quality; its 审核表 export asks for each month's new rows.
        from regshare.catalog import services as catalog_services
        from regshare.catalog import transfer as catalog_transfer

        catalog_services.register_detail_panel(services.catalog_quality_panel)
        catalog_transfer.register_period_counter(services.rows_reported)
