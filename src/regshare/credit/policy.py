from regshare.core.models import Role as R
from regshare.core.permissions import ALL_ROLES, register

register(
    {
        "credit.view": ALL_ROLES,
        "credit.check": ALL_ROLES,
        "credit.manage": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.DATA_LIAISON, R.INSPECTOR},
        "credit.repair": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.REVIEWER},
        "credit.stats": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.LEADER, R.ANALYST, R.AUDITOR},
        "credit.report": ALL_ROLES,
    },
    token_scopes={"credit.check": "信用核查(联合奖惩)", "credit.view": "查询信用记录与名单"},
)
