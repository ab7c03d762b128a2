from regshare.core.models import Role as R
from regshare.core.permissions import register

register(
    {
        # Scores name entities as risky before anything is decided: supervision staff only, not data liaisons.
        "risk.view": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.INSPECTOR, R.LEADER, R.ANALYST, R.AUDITOR},
        "risk.handle": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.INSPECTOR},
        "risk.manage": {R.PLATFORM_ADMIN, R.ANALYST},
    },
    token_scopes={"risk.view": "查询风险评分与预警"},
)
