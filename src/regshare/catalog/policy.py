"""Catalog permissions. Object-level rules (own department, data bureau) live in services."""

from regshare.core.models import Role
from regshare.core.permissions import ALL_ROLES, register

R = Role

register(
    {
        "catalog.view": ALL_ROLES,
        "catalog.edit": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.PLATFORM_ADMIN},
        "catalog.review": {R.DATA_LIAISON, R.REVIEWER, R.LEADER, R.DEPARTMENT_ADMIN, R.PLATFORM_ADMIN},
        "catalog.obligation": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.PLATFORM_ADMIN},
        "catalog.demand": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.PLATFORM_ADMIN},
        "catalog.demand.view": ALL_ROLES,
    },
    token_scopes={"catalog.view": "查看数据资源目录", "catalog.edit": "维护本部门数据资源目录"},
)
