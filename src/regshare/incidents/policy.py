"""Permissions of the security-incident register. Object-level rules (which department, who closes) are in services."""

from regshare.core.models import Role as R
from regshare.core.permissions import ALL_ROLES, register

register({
    "incidents.view": ALL_ROLES,
    "incidents.register": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.LEADER, R.PLATFORM_ADMIN},
    "incidents.handle": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.LEADER, R.PLATFORM_ADMIN},
    # Cutting a channel goes through exchange.cut_channel / revoke_grant, which also need exchange.revoke.
    "incidents.cut": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.LEADER, R.PLATFORM_ADMIN},
    "incidents.close": {R.REVIEWER, R.DEPARTMENT_ADMIN, R.LEADER, R.PLATFORM_ADMIN},
})
