from regshare.core.models import Role
from regshare.core.permissions import register

R = Role

register({
    # The district-wide cockpit: the data bureau's platform admins, auditors and analysts.
    "cockpit.view": {R.PLATFORM_ADMIN, R.AUDITOR, R.ANALYST},
    # A department against the district: its leader and admin; the data bureau picks any department.
    "cockpit.leader": {R.LEADER, R.DEPARTMENT_ADMIN, R.PLATFORM_ADMIN},
}, token_scopes={"cockpit.view": "读取全区共享统计图表"})
