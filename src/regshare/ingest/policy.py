"""Permissions of data provision (数据归集与治理)."""

from regshare.core.models import Role as R
from regshare.core.permissions import ALL_ROLES, register

register(
    {
        "ingest.view": ALL_ROLES,
        "ingest.upload": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.PLATFORM_ADMIN},
        "ingest.duty.view": ALL_ROLES,
    },
    token_scopes={"ingest.view": "查看归集记录与质量报告", "ingest.upload": "上传归集数据、触发拉取、报送零报告"},
)
