from regshare.core.models import Role as R
from regshare.core.permissions import ALL_ROLES, register

register(
    {
        "entities.view": ALL_ROLES,
        "entities.review": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.DATA_LIAISON, R.REVIEWER},
        "entities.rebuild": {R.PLATFORM_ADMIN},
    },
    token_scopes={"entities.view": "查询市场主体(一企一档)"},
)
