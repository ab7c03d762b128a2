"""Permissions of the sharing workflow. Object-level rules (whose application, which provider) are in services."""

from regshare.core.models import Role as R
from regshare.core.permissions import ALL_ROLES, register

GOVERNMENT_ROLES = ALL_ROLES - {R.AUDITOR}

register(
    {
        "exchange.view": ALL_ROLES,
        "exchange.apply": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN},
        "exchange.review": {R.REVIEWER, R.DATA_LIAISON, R.PLATFORM_ADMIN, R.LEADER},
        "exchange.delegate": {R.DEPARTMENT_ADMIN, R.LEADER},
        "exchange.revoke": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.PLATFORM_ADMIN, R.LEADER},
        "exchange.token": {R.DEPARTMENT_ADMIN, R.PLATFORM_ADMIN},
        "exchange.access": GOVERNMENT_ROLES,
        "exchange.subscribe": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN},
        "exchange.correct": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.ANALYST, R.INSPECTOR},
        "exchange.provide": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.PLATFORM_ADMIN},
        "exchange.destroy": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN},
        "exchange.access_log": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.PLATFORM_ADMIN, R.AUDITOR},
        "exchange.receipt": ALL_ROLES,
    },
    token_scopes={
        "exchange.access": "读取授权数据(查询、下载、接口代理、调用凭证)",
        "exchange.subscribe": "管理增量更新订阅",
        "exchange.correct": "提交数据纠错",
        "exchange.receipt": "取回调用记录凭证",
    },
)
