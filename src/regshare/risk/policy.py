from regshare.core.models import Role as R
from regshare.core.permissions import register

register(
    {
        "risk.view": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.DATA_LIAISON, R.INSPECTOR, R.REVIEWER, R.LEADER,
                      R.ANALYST, R.AUDITOR},
        "risk.handle": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.INSPECTOR},
        "risk.manage": {R.PLATFORM_ADMIN, R.ANALYST},
    },
    token_scopes={"risk.view": "查询风险评分与预警"},
)
