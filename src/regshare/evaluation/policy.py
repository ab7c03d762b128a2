"""Permissions of market-access effectiveness evaluation. Object rules (own department, not one's own
department's figure) are in services."""

from regshare.core.models import Role as R
from regshare.core.permissions import ALL_ROLES, register

register({
    "evaluation.view": ALL_ROLES,
    # 区发改 and the data bureau's analysts run the evaluation: compute figures, import surveys, AHP, evaluate.
    "evaluation.manage": {R.ANALYST, R.PLATFORM_ADMIN},
    # Departments report the figures no system holds.
    "evaluation.submit": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN},
    # The responsible department draws up and reports its rectification (seed 004 七(二)2).
    "evaluation.rectify": {R.DATA_LIAISON, R.DEPARTMENT_ADMIN, R.LEADER},
    # 区发改 reviews the submissions (seed 004 五(一)2); never one's own submission.
    "evaluation.review": {R.ANALYST, R.LEADER, R.PLATFORM_ADMIN},
    # The district government's leaders approve an evaluation report before it is published (seed 004 五(三)).
    "evaluation.approve_report": {R.LEADER, R.PLATFORM_ADMIN},
    # Departments comment on a report put out for comments (征求意见).
    "evaluation.comment": ALL_ROLES,
}, token_scopes={"evaluation.view": "查询效能评估指标与结果"})
