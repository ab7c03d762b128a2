from regshare.core.models import Role as R
from regshare.core.permissions import ALL_ROLES, register

_STAFF = {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.DATA_LIAISON, R.INSPECTOR, R.REVIEWER, R.LEADER}

register(
    {
        "supervision.view": ALL_ROLES,
        "supervision.manage_items": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.DATA_LIAISON},
        "supervision.claim_item": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.DATA_LIAISON},
        "supervision.record": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.DATA_LIAISON, R.INSPECTOR},
        "supervision.manage_task": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.REVIEWER},
        "supervision.draw": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.REVIEWER},
        "supervision.enter_result": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.INSPECTOR},
        "supervision.publish_result": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.LEADER, R.REVIEWER},
        "supervision.manage_inspectors": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN},
        # An inspector declares his own conflicts of interest (回避申报).
        "supervision.declare_conflict": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.INSPECTOR},
        "supervision.complaint_intake": _STAFF,
        "supervision.complaint_handle": _STAFF,
        "supervision.manage_routing": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN},
        "supervision.assist": _STAFF,
        "supervision.case": _STAFF,
        "supervision.stats": {R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN, R.LEADER, R.ANALYST, R.AUDITOR},
    },
    token_scopes={
        "supervision.view": "查询监管事项、监管行为与抽查任务",
        "supervision.record": "报送监管行为记录(许可、检查、处罚、强制)",
        "supervision.complaint_intake": "推送投诉举报工单(12345)",
    },
)
